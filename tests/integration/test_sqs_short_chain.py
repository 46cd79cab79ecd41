"""A plain SQS request (an SDK's, on this machine) is answered exactly as LocalStack's whole handler chain
answers it (embedded mode serves it through a shorter chain: serving/short_chain.py; a browser's request,
with an Origin, goes through the whole chain, so the two can be compared call by call)."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from client import deadlines
from infra import settings
from infra.aws import client

ALLOWED_PAGE = "https://app.localstack.cloud"  # an Origin LocalStack's CORS allows
HOSTILE = "é\u202e'\"<script>{}\\\n\t🙂" + "x" * 2000
# What differs between two answers to the same request whichever chain serves it.
PER_ANSWER = {"date", "x-amzn-requestid", "content-length"}
CORS = {"vary"}  # with Access-Control-*: added to the answer to a request with an Origin only


def answers(sqs) -> list[tuple[int, dict, bytes]]:
    """The raw answers the client ``sqs`` gets, in order."""
    seen: list[tuple[int, dict, bytes]] = []
    sqs.meta.events.register(
        "after-call.sqs.*",
        lambda http_response, **_: seen.append(
            (http_response.status_code, dict(http_response.headers), http_response.content)
        ),
    )
    return seen


def browser():
    """An SQS client whose requests carry the Origin of a page LocalStack allows: the whole chain's."""
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=settings.REGION)
    sqs = session.client("sqs", endpoint_url=settings.ENDPOINT_URL, config=Config(retries={"max_attempts": 1}))

    def with_origin(request, **_):
        request.headers["Origin"] = ALLOWED_PAGE

    sqs.meta.events.register("before-sign.sqs.*", with_origin)
    return sqs


def plain():
    return client("sqs", retries={"max_attempts": 1})


def alike(short: tuple[int, dict, bytes], whole: tuple[int, dict, bytes], volatile: tuple[str, ...] = ()) -> None:
    """The same status, headers (but CORS's and each answer's own) and body (but ``volatile`` fields)."""
    assert short[0] == whole[0]
    short_headers = {k.lower(): v for k, v in short[1].items() if k.lower() not in PER_ANSWER}
    whole_headers = {
        k.lower(): v
        for k, v in whole[1].items()
        if k.lower() not in PER_ANSWER | CORS and not k.lower().startswith("access-control-")
    }
    assert short_headers == whole_headers
    short_body, whole_body = json.loads(short[2] or b"{}"), json.loads(whole[2] or b"{}")
    for field in volatile:
        assert bool(short_body.pop(field, None)) == bool(whole_body.pop(field, None)), field
    assert short_body == whole_body


@pytest.fixture
def queue():
    sqs, name = client("sqs"), f"test-short-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, tags={"team": "a"})["QueueUrl"]
    yield name, url
    sqs.delete_queue(QueueUrl=url)


def call(sqs, seen: list, operation: str, **params) -> None:
    try:
        getattr(sqs, operation)(**params)
    except ClientError:
        pass
    assert seen, f"{operation}: no answer"


def test_each_call_is_answered_alike_by_the_short_chain_and_the_whole_one(queue):
    name, url = queue
    missing = url.rsplit("/", 1)[0] + "/no-such-queue-" + uuid.uuid4().hex[:8]
    attributes = {
        "colour": {"DataType": "String", "StringValue": HOSTILE},
        "n": {"DataType": "Number", "StringValue": "7"},
    }
    calls = [
        ("create_queue", {"QueueName": name, "tags": {"team": "a"}}, ()),
        ("get_queue_url", {"QueueName": name}, ()),
        ("get_queue_url", {"QueueName": "no-such-queue-" + uuid.uuid4().hex[:8]}, ()),
        ("get_queue_attributes", {"QueueUrl": url, "AttributeNames": ["All"]}, ()),
        ("list_queue_tags", {"QueueUrl": url}, ()),
        ("list_queues", {"QueueNamePrefix": name}, ()),
        ("send_message", {"QueueUrl": url, "MessageBody": HOSTILE, "MessageAttributes": attributes}, ("MessageId",)),
        ("send_message", {"QueueUrl": missing, "MessageBody": "x"}, ()),
        ("send_message", {"QueueUrl": url, "MessageBody": ""}, ()),  # refused: empty
        ("send_message", {"QueueUrl": url, "MessageBody": "x", "DelaySeconds": 901}, ("MessageId",)),
        ("send_message_batch", {"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "x"}] * 2}, ()),
        ("delete_message", {"QueueUrl": url, "ReceiptHandle": "not-a-handle"}, ()),
        ("change_message_visibility", {"QueueUrl": url, "ReceiptHandle": "x", "VisibilityTimeout": 1}, ()),
        ("set_queue_attributes", {"QueueUrl": url, "Attributes": {"VisibilityTimeout": "-1"}}, ()),
        ("tag_queue", {"QueueUrl": missing, "Tags": {"a": "b"}}, ()),
    ]
    short, whole = plain(), browser()
    short_seen, whole_seen = answers(short), answers(whole)
    for operation, params, volatile in calls:
        short_seen.clear(), whole_seen.clear()
        call(short, short_seen, operation, **params)
        call(whole, whole_seen, operation, **params)
        assert "access-control-allow-origin" in {k.lower() for k in whole_seen[-1][1]}, "the whole chain's CORS"
        alike(short_seen[-1], whole_seen[-1], volatile)


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"QueueName": 5}', b"\x00" * 64, b"{}" * 10000])
def test_a_body_that_does_not_parse_is_answered_alike_by_both_chains(body):
    def post(origin: dict):
        headers = {
            "X-Amz-Target": "AmazonSQS.GetQueueUrl",
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-query-mode": "true",
        } | origin
        request = AWSRequest("POST", settings.ENDPOINT_URL + "/", data=body, headers=headers)
        SigV4Auth(Credentials("test", "test"), "sqs", settings.REGION).add_auth(request)
        answer = requests.post(request.url, data=body, headers=dict(request.headers), timeout=deadlines.EVENT_TO_QUEUE)
        return answer.status_code, dict(answer.headers), answer.content

    short, whole = post({}), post({"Origin": ALLOWED_PAGE})

    alike(short, whole)
    assert short[0] != 200


def test_a_messages_xray_trace_header_arrives_as_its_awstraceheader(queue):
    _, url = queue
    trace = f"Root=1-5759e988-{uuid.uuid4().hex[:24]};Parent=53995c3f42cd8ad8;Sampled=1"
    sqs = plain()
    sqs.meta.events.register(
        "before-sign.sqs.SendMessage", lambda request, **_: request.headers.add_header("X-Amzn-Trace-Id", trace)
    )

    sqs.send_message(QueueUrl=url, MessageBody="traced")

    [message] = sqs.receive_message(
        QueueUrl=url, MessageSystemAttributeNames=["AWSTraceHeader"], WaitTimeSeconds=deadlines.EVENT_TO_QUEUE
    )["Messages"]
    assert message["Attributes"]["AWSTraceHeader"] == trace


def test_concurrent_senders_lose_nothing_and_duplicate_nothing(queue):
    _, url = queue
    sqs = plain()
    bodies = [f"{i}:{HOSTILE}" for i in range(400)]

    def send(chunk: list[str]) -> None:
        own = plain()
        for body in chunk:
            own.send_message(QueueUrl=url, MessageBody=body)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, [bodies[i::8] for i in range(8)]))

    received: list[str] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if not batch:
            break
        received += [m["Body"] for m in batch]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )
    assert sorted(received) == sorted(bodies), "each message once, whole"
