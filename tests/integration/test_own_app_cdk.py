"""A team's own CDK app, unmodified, deployed into the running environment through cdklocal
(embedded_localstack/apps/cdk.py): the fixture app in tests/fixtures/apps/cdk_app is TypeScript with
two Node.js functions on a current SDK v3, one on SDK v3.55 (which ignores AWS_ENDPOINT_URL), one
Python function, a REST API, two tables and EventBridge -> SQS -> Lambda.

The first run installs the CDK tool chain (build/toolchains/cdk) and the app's node_modules
(build/fixtures/cdk_app); each test deploys its own copy under its own stack name, so the tests run
side by side with the rest of the suite."""

import json
import re
import time
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from client.waiting import eventually
from embedded_localstack import apps
from embedded_localstack.apps import cdk
from embedded_localstack.apps.errors import AppError
from infra import reserved_names, settings
from infra.aws import client
from infra.stack import PRODUCT_TABLE
from tests.integration.app_copies import stage_app

# A first run installs the tool chain and the app's packages from the npm registry, then bootstraps.
pytestmark = pytest.mark.timeout(900)

# What an SDK that cannot resolve or reach a host says (Node.js's DNS and socket errors): the call
# stopped on this machine. Anything else (an answer from AWS, a TLS error, a timeout) may have left it.
STOPPED_ON_THIS_MACHINE = re.compile(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED")


def stack_env() -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": settings.require_local_endpoint(),
        "LOCALSTACK_PORT": str(settings.LOCALSTACK_PORT),
        "AWS_DEFAULT_REGION": settings.REGION,
    }


def unique_stack_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def stack_outputs(name: str) -> dict[str, str]:
    stack = client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def stack_resources(name: str) -> list[tuple[str, str]]:
    summaries = client("cloudformation").list_stack_resources(StackName=name)["StackResourceSummaries"]
    return [(item["ResourceType"], item["PhysicalResourceId"]) for item in summaries]


def stack_exists(name: str) -> bool:
    try:
        status = client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except ClientError as e:
        assert "does not exist" in str(e), e
        return False
    return status != "DELETE_COMPLETE"


def resource_exists(kind: str, physical_id: str) -> bool:
    probes = {
        "AWS::DynamoDB::Table": lambda: client("dynamodb").describe_table(TableName=physical_id),
        "AWS::Lambda::Function": lambda: client("lambda").get_function(FunctionName=physical_id),
        "AWS::SQS::Queue": lambda: client("sqs").get_queue_attributes(QueueUrl=physical_id),
        "AWS::Events::Rule": lambda: client("events").describe_rule(Name=physical_id.split("|")[-1]),
        "AWS::ApiGateway::RestApi": lambda: client("apigateway").get_rest_api(restApiId=physical_id),
    }
    try:
        probes[kind]()
    except ClientError:
        return False
    return True


def api_base(outputs: dict[str, str]) -> str:
    # The stack's own output (https://<id>.execute-api.127.0.0.1:<port>/prod/) does not resolve offline.
    return f"{settings.require_local_endpoint()}/restapis/{outputs['ApiId']}/prod/_user_request_"


def test_cdk_app_serves_its_api_and_events_then_destroy_leaves_nothing(tmp_path):
    # Given: a copy of the fixture app under a stack name of its own
    name = unique_stack_name("CdkAppFixture")
    app = stage_app("cdk_app", tmp_path, {"stackName": name})

    # When: it is deployed
    started = time.monotonic()
    try:
        deployed = cdk.deploy(app, stack_env())
        deploy_seconds = time.monotonic() - started
        assert deployed == [name]
        outputs = stack_outputs(name)
        resources = stack_resources(name)
        kinds = {kind for kind, _ in resources}
        assert {"AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::SQS::Queue"} <= kinds
        assert {"AWS::Events::Rule", "AWS::ApiGateway::RestApi", "AWS::Lambda::EventSourceMapping"} <= kinds

        # Then: the REST API answers synchronously, through both Node.js functions
        http = requests.Session()
        started = time.monotonic()
        created = http.post(f"{api_base(outputs)}/items", json={"name": "lamp"}, timeout=30)
        first_request_seconds = time.monotonic() - started
        assert created.status_code == 201, created.text
        item = created.json()
        fetched = http.get(f"{api_base(outputs)}/items/{item['id']}", timeout=30)
        assert fetched.status_code == 200, fetched.text
        assert fetched.json() == item
        missing = http.get(f"{api_base(outputs)}/items/no-such-item", timeout=30)
        assert missing.status_code == 404, missing.text

        # And: an event on the bus reaches the Python function through the rule, the queue and the mapping
        event_id = uuid.uuid4().hex
        put = client("events").put_events(
            Entries=[{"Source": name, "DetailType": "ItemShipped", "Detail": json.dumps({"id": event_id})}]
        )
        assert put["FailedEntryCount"] == 0, put
        dynamodb = client("dynamodb")
        received = eventually(
            lambda: dynamodb.get_item(TableName=outputs["ReceivedTable"], Key={"id": {"S": event_id}}).get("Item"),
            timeout=30,
            what=f"event {event_id} in {outputs['ReceivedTable']}",
        )
        assert received["detailType"] == {"S": "ItemShipped"}

        # And: the old SDK's call never leaves the machine
        old_sdk_outcome = invoke_old_sdk_function(outputs)
        print(f"deploy {deploy_seconds:.1f} s, first request {first_request_seconds:.2f} s, old SDK: {old_sdk_outcome}")
    finally:
        # When: the app is destroyed (also after a failure above, so that nothing stays behind)
        started = time.monotonic()
        cdk.destroy(app, stack_env())
        print(f"destroy {time.monotonic() - started:.1f} s")

    # Then: no stack, table, function, queue, rule or API of the app is left
    assert not stack_exists(name)
    left = [(kind, physical_id) for kind, physical_id in resources if kind in RESOURCE_KINDS]
    assert len(left) >= 8, resources
    assert [resource for resource in left if resource_exists(*resource)] == []
    tables = client("dynamodb").list_tables()["TableNames"]
    assert [table for table in tables if table.startswith(name)] == []

    if old_sdk_outcome != "landed" and old_sdk_outcome != "refused, naming the host and the function":
        pytest.xfail(
            "the network guard (functions never reach real AWS: an SDK that ignores AWS_ENDPOINT_URL lands in "
            f"LocalStack or fails naming the host, the function and the fix) is not in place: {old_sdk_outcome}"
        )


RESOURCE_KINDS = {
    "AWS::DynamoDB::Table",
    "AWS::Lambda::Function",
    "AWS::SQS::Queue",
    "AWS::Events::Rule",
    "AWS::ApiGateway::RestApi",
}


def invoke_old_sdk_function(outputs: dict[str, str]) -> str:
    """Invokes the SDK 3.55 function, asserts that its call stayed on this machine, and says how it ended."""
    function = outputs["OldSdkFunction"]
    item_id = uuid.uuid4().hex
    response = client("lambda", read_timeout=60).invoke(FunctionName=function, Payload=json.dumps({"id": item_id}))
    payload = json.loads(response["Payload"].read() or "null")
    written = client("dynamodb").get_item(TableName=outputs["ItemsTable"], Key={"id": {"S": item_id}}).get("Item")
    if "FunctionError" not in response:
        # It answered: then its write must be in LocalStack's table, not in a real account's.
        assert written == {"id": {"S": item_id}, "via": {"S": "sdk-3.55"}}, payload
        return "landed"
    message = payload.get("errorMessage", "")
    assert written is None, written
    # Never: an answer from AWS (the call reached it), or a timeout (a connection may have been under way).
    assert "amazonaws.com" in message, payload
    assert STOPPED_ON_THIS_MACHINE.search(message) or "LocalStack" in message, payload
    if function in message:
        return "refused, naming the host and the function"
    return f"failed offline without naming the function: {message}"


def test_cdk_app_colliding_with_a_shop_table_fails_clearly_and_leaves_nothing(tmp_path):
    # Given: the shop's product table, and a copy of the app that also declares a table of that name
    dynamodb = client("dynamodb")
    if PRODUCT_TABLE.name not in dynamodb.list_tables()["TableNames"]:
        pytest.skip("the shop is not deployed (a bare environment): there is no shop table to collide with")
    shop_table = dynamodb.describe_table(TableName=PRODUCT_TABLE.name)["Table"]
    name = unique_stack_name("CdkAppCollision")
    app = stage_app("cdk_app", tmp_path, {"stackName": name, "extraTableName": PRODUCT_TABLE.name})

    # When: it is deployed as `make deploy-app` deploys it, with the shop's names
    with pytest.raises(AppError) as failure:
        apps.deploy(app, *reserved_names.shop())

    # Then: the error names the stack and the colliding table, says that the shop owns it, and gives the fix;
    # and nothing of the app is made
    message = str(failure.value)
    assert f"stack {name}" in message and f"is named {PRODUCT_TABLE.name}," in message, message
    assert "belongs to the shop" in message and "SHOP=0 make up" in message, message
    assert not stack_exists(name)
    assert [table for table in dynamodb.list_tables()["TableNames"] if table.startswith(name)] == []
    functions = client("lambda").list_functions()["Functions"]
    assert [function["FunctionName"] for function in functions if function["FunctionName"].startswith(name)] == []
    # And never: the rollback takes the shop's table with it
    assert dynamodb.describe_table(TableName=PRODUCT_TABLE.name)["Table"]["TableArn"] == shop_table["TableArn"]
    assert (
        dynamodb.describe_table(TableName=PRODUCT_TABLE.name)["Table"]["CreationDateTime"]
        == shop_table["CreationDateTime"]
    )


def test_cdk_app_without_node_modules_asks_for_npm_ci_and_deploys_nothing(tmp_path):
    name = unique_stack_name("CdkAppNoModules")
    app = stage_app("cdk_app", tmp_path, {"stackName": name}, node_modules=False)

    with pytest.raises(AppError, match=r"no node_modules.*Run `npm ci` in"):
        cdk.deploy(app, stack_env())

    assert not stack_exists(name)


def test_cdk_app_with_a_failing_resource_names_it_and_leaves_nothing(tmp_path):
    # Given: a copy of the app with a function on nodejs4.3, which Lambda refuses, after the tables and one function
    name = unique_stack_name("CdkAppFailing")
    app = stage_app("cdk_app", tmp_path, {"stackName": name, "legacyRuntimeFunction": "true"})

    # When: it is deployed
    with pytest.raises(AppError) as failure:
        cdk.deploy(app, stack_env())

    # Then: the error names the stack, the first resource that failed and CloudFormation's reason
    message = str(failure.value)
    assert f"stack {name}: LegacyRuntime" in message and "(AWS::Lambda::Function" in message, message
    assert "nodejs4.3" in message and "deleted again" in message, message
    # And never: a stack, table or function of the app left behind
    assert not stack_exists(name)
    assert [table for table in client("dynamodb").list_tables()["TableNames"] if table.startswith(name)] == []
    functions = client("lambda").list_functions()["Functions"]
    assert [function["FunctionName"] for function in functions if function["FunctionName"].startswith(name)] == []
