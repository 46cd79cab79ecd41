"""One DynamoDB for everyone (embedded mode): LocalStack's DynamoDB and DynamoDB Streams APIs forward
to the DynamoDB process, which the functions call directly, so all of them see the same tables, in
LocalStack's account. The process ends with LocalStack (`make down`, or LocalStack killed), and
`make status` fails once it has ended on its own (embedded_localstack/dynamodb_process/)."""

import os
import signal
import subprocess
import uuid
from pathlib import Path

import boto3
import psutil
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from embedded_localstack import eventually
from embedded_localstack.dynamodb_process.process import recorded
from infra import settings
from infra.aws import client
from tests.integration.direct_dynamodb import direct_endpoint
from tests.integration.embedded_instances import (  # noqa: F401 (instance is a fixture)
    PROJECT,
    alive,
    instance,
    localstack_pid,
    make,
    port_is_free,
)
from tests.integration.invocations import zip_sources

LOCALSTACK_ACCOUNT = "000000000000"
WRITER = """
import os
import boto3

def handler(event, context):
    boto3.client("dynamodb").put_item(TableName=event["table"], Item={"id": {"S": event["id"]}, "by": {"S": "function"}})
    return {"endpoint": os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")}
"""


def new_table(dynamodb, **settings) -> str:
    name = f"one-store-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **settings,
    )
    return name


@pytest.fixture
def table(embedded_only):
    dynamodb = client("dynamodb")
    name = new_table(dynamodb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    yield name
    dynamodb.delete_table(TableName=name)


def test_a_function_writes_the_table_created_through_localstack_and_both_endpoints_read_it(
    table, create_function, invoke
):
    # Given a table created through LocalStack's DynamoDB API, and a function that writes to it
    writer = create_function(code={"ZipFile": zip_sources({"app.py": WRITER})})

    # When the function puts an item
    answer, response = invoke(writer, {"table": table, "id": "from-function"})

    # Then it did so straight at the DynamoDB process, and LocalStack and that process both show the
    # item and the table, with LocalStack's account in its ARN
    assert "FunctionError" not in response, answer
    assert answer["endpoint"] == direct_endpoint()
    for dynamodb in (client("dynamodb"), client("dynamodb", endpoint_url=direct_endpoint())):
        item = dynamodb.get_item(TableName=table, Key={"id": {"S": "from-function"}})["Item"]
        assert item["by"] == {"S": "function"}
        arn = dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
        assert arn == f"arn:aws:dynamodb:{settings.REGION}:{LOCALSTACK_ACCOUNT}:table/{table}"


def test_localstacks_streams_api_reads_what_was_written_straight_at_the_process(table):
    # Given a table with a stream, created through LocalStack
    client("dynamodb", endpoint_url=direct_endpoint()).put_item(
        TableName=table, Item={"id": {"S": "direct"}, "by": {"S": "test"}}
    )

    # When LocalStack's DynamoDB Streams API reads the stream
    stream_arn = client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]

    # Then it holds the write made straight at the process, under LocalStack's account
    assert [r["dynamodb"]["NewImage"]["id"] for r in records] == [{"S": "direct"}]
    assert f":{LOCALSTACK_ACCOUNT}:table/{table}/stream/" in stream_arn


STREAM_CONSUMER = """
import os
import boto3

def handler(event, context):
    for record in event["Records"]:
        boto3.client("dynamodb").put_item(TableName=os.environ["SINK"], Item={"id": record["dynamodb"]["NewImage"]["id"]})
"""


@pytest.fixture
def sink(embedded_only):
    dynamodb = client("dynamodb")
    name = new_table(dynamodb)
    yield name
    dynamodb.delete_table(TableName=name)


def test_a_stream_mapping_hands_a_write_to_a_function(table, sink, create_function, lambda_client):
    # Given a function mapped to the table's stream, which copies each new item's key to the sink table
    consumer = create_function(
        code={"ZipFile": zip_sources({"app.py": STREAM_CONSUMER})}, Environment={"Variables": {"SINK": sink}}
    )
    stream_arn = client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    mapping = lambda_client.create_event_source_mapping(
        FunctionName=consumer, EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON", BatchSize=1
    )
    try:
        # When an item is written through LocalStack
        client("dynamodb").put_item(TableName=table, Item={"id": {"S": "streamed"}})

        # Then the function gets it from the stream
        eventually(
            lambda: client("dynamodb").get_item(TableName=sink, Key={"id": {"S": "streamed"}}).get("Item"),
            timeout=60,
            what="the streamed item in the sink table",
        )
    finally:
        lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])


def instance_dynamodb(env: dict):
    """LocalStack's DynamoDB API of a private instance, without retries: each answer counts."""
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    return session.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{env['LOCALSTACK_PORT']}",
        config=Config(retries={"max_attempts": 0}),
    )


def started_dynamodb_process(env: dict) -> tuple[psutil.Process, int]:
    """The private instance's DynamoDB process, started by a first DynamoDB request, and its port."""
    instance_dynamodb(env).list_tables()
    record = recorded(Path(env["EMBEDDED_STATE_DIR"]), psutil.Process(localstack_pid(env)))
    assert record, "LocalStack recorded the DynamoDB process it started"
    process = psutil.Process(record["pid"])
    assert process.ppid() == localstack_pid(env)
    return process, int(record["endpoint"].rsplit(":", 1)[1])


def status(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["scripts/localenv.sh", "status"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.lifecycle
def test_make_down_ends_the_dynamodb_process_and_frees_its_port(instance):
    assert make("up", instance).returncode == 0
    process, port = started_dynamodb_process(instance)

    result = make("down", instance)

    assert result.returncode == 0, result.stdout + result.stderr
    assert not alive(process.pid)
    assert port_is_free(port)


@pytest.mark.lifecycle
def test_the_dynamodb_process_ends_with_a_killed_localstack(instance):
    assert make("up", instance).returncode == 0
    process, _ = started_dynamodb_process(instance)

    os.kill(localstack_pid(instance), signal.SIGKILL)

    eventually(lambda: not alive(process.pid), timeout=30, what="the DynamoDB process ended with LocalStack")


@pytest.mark.lifecycle
def test_a_killed_dynamodb_process_fails_status_and_every_request_names_the_fix(instance):
    assert make("up", instance).returncode == 0
    assert status(instance).returncode == 0
    process, _ = started_dynamodb_process(instance)

    process.kill()

    eventually(lambda: status(instance).returncode != 0, timeout=30, what="make status failing")
    broken = status(instance)
    assert f"the DynamoDB process (pid {process.pid}" in broken.stderr
    assert "make down && make up" in broken.stderr
    with pytest.raises(ClientError) as error:
        instance_dynamodb(instance).list_tables()
    assert "make down && make up" in str(error.value)


def test_a_browsers_request_goes_through_localstacks_cors_and_a_plain_one_straight_to_the_process_sees_the_same_item(
    table,
):
    # Given an item written with a plain SDK call (the gateway sends it straight to the process:
    # dynamodb_process/shortcut.py)
    dynamodb = client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"id": {"S": "plain"}, "n": {"N": "1"}})

    # When browsers read it, from a page LocalStack allows (its web app) and from one it does not, and a
    # plain call repeats a conditional write that must now fail
    allowed, seen = browser("https://app.localstack.cloud"), {}
    allowed.meta.events.register(
        "after-call.dynamodb.GetItem", lambda http_response, **_: seen.update(http_response.headers)
    )
    item = allowed.get_item(TableName=table, Key={"id": {"S": "plain"}})["Item"]
    with pytest.raises(ClientError) as cors:
        browser("http://attacker.example").get_item(TableName=table, Key={"id": {"S": "plain"}})
    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(
            TableName=table,
            Item={"id": {"S": "plain"}, "n": {"N": "2"}},
            ConditionExpression="attribute_not_exists(id)",
        )

    # Then the browsers' requests went through LocalStack's CORS (allowed: the item and CORS headers;
    # the other page: 403), and the refusal is DynamoDB's own error, with the item unchanged
    assert item["n"] == {"N": "1"}
    assert seen.get("Access-Control-Allow-Origin") == "https://app.localstack.cloud"
    assert cors.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert dynamodb.get_item(TableName=table, Key={"id": {"S": "plain"}})["Item"]["n"] == {"N": "1"}


def browser(origin: str, **config):
    """A DynamoDB client whose requests carry the Origin header of a page at ``origin``."""
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=settings.REGION)
    dynamodb = session.client(
        "dynamodb",
        endpoint_url=settings.ENDPOINT_URL,
        config=Config(retries={"max_attempts": 1}).merge(Config(**config)),
    )

    def with_origin(request, **_):
        request.headers["Origin"] = origin

    dynamodb.meta.events.register("before-sign.dynamodb.*", with_origin)
    return dynamodb


def test_requests_that_expect_100_continue_each_get_their_own_item_on_both_paths(table):
    # Given items a..f, and clients whose every request carries "Expect: 100-continue" (curl's habit
    # with larger bodies), one plain (straight to the process) and one a browser's (through the chain)
    dynamodb = client("dynamodb")
    keys = [f"k{i}" for i in range(6)]
    for key in keys:
        dynamodb.put_item(TableName=table, Item={"id": {"S": key}})
    # (an answer that never comes fails the test, not retried, instead of hanging it)
    once = {"read_timeout": 10, "retries": {"total_max_attempts": 1}}
    expecting = [client("dynamodb", **once), browser("https://app.localstack.cloud", **once)]
    for each in expecting:
        each.meta.events.register("before-sign.dynamodb.*", _expect_continue)

    # When they read the items in turn, with a plain client in between
    answers = []
    for key in keys * 2:
        for each in (*expecting, dynamodb):
            answers.append((key, each.get_item(TableName=table, Key={"id": {"S": key}})["Item"]["id"]["S"]))

    # Then every answer is the item asked for: no answer left on a connection for the next request
    assert all(asked == got for asked, got in answers), answers


def _expect_continue(request, **_):
    request.headers["Expect"] = "100-continue"


def test_a_region_localstack_rewrites_lands_where_the_chain_puts_it_and_a_head_request_is_refused_at_once(table):
    # Given a client configured as for DynamoDB Local (region "local"), which LocalStack rewrites to us-east-1
    local = boto3.client(
        "dynamodb",
        endpoint_url=settings.ENDPOINT_URL,
        region_name="local",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=10),
    )

    # When it writes, and a HEAD request names a DynamoDB operation
    local.put_item(TableName=table, Item={"id": {"S": "from-local"}})
    head = requests.head(
        settings.ENDPOINT_URL,
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
        timeout=10,  # the relay waited for a body that a HEAD answer does not have
    )

    # Then the item is in the table the region's clients see, and the HEAD is refused
    assert client("dynamodb").get_item(TableName=table, Key={"id": {"S": "from-local"}})["Item"]
    assert head.status_code == 400
