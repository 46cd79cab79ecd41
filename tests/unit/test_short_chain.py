"""Plain SQS requests go through a shorter handler chain (embedded_localstack/serving/short_chain.py): the
same parser, router, skeleton, serializer and exception handlers of LocalStack as the whole chain's, to a
provider that records what reached it; anything else goes to the whole chain (a stand-in that records
what reached it). Served by the embedded mode's own server, as in LocalStack."""

import json
import logging

import pytest
from localstack.aws.api.sqs import GetQueueUrlResult, QueueDoesNotExist, SqsApi
from localstack.aws.connect import INTERNAL_REQUEST_PARAMS_HEADER, dump_dto
from localstack.aws.handlers.service import ServiceRequestRouter
from localstack.runtime import events

from embedded_localstack.serving import plain, short_chain
from embedded_localstack.serving.server import Listener
from tests.unit import wsgi_requests

BODY = json.dumps({"QueueName": "orders"})


def signed(access_key: str = "test", region: str = "eu-west-1", service: str = "sqs") -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={access_key}/20260101/{region}/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-target, Signature=0"
    )


PLAIN = {
    "Host": "localhost.localstack.cloud:4566",
    "X-Amz-Target": "AmazonSQS.GetQueueUrl",
    "Content-Type": "application/x-amz-json-1.0",
    "x-amzn-query-mode": "true",
    "Authorization": signed(),
}


class Provider(SqsApi):
    """SQS as far as GetQueueUrl: it records the context and request of each call."""

    def __init__(self):
        self.calls = []

    def get_queue_url(self, context, queue_name, queue_owner_aws_account_id=None, **kwargs):
        self.calls.append((context, queue_name))
        if queue_name == "missing":
            raise QueueDoesNotExist("The specified queue does not exist.")
        if queue_name == "broken":
            raise RuntimeError("the provider failed")
        return GetQueueUrlResult(QueueUrl=f"http://sqs.{context.region}.localhost/{context.account_id}/{queue_name}")


class WholeChain:
    """The stand-in for LocalStack's whole gateway: records each request it got."""

    def __init__(self):
        self.requests = []

    def __call__(self, environ, start_response):
        self.requests.append(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"from": "whole chain"}']


class Gateway:
    """What the short chain takes of LocalStack's gateway: its router, SQS loaded into it or not."""

    def __init__(self, provider=None):
        self.service_request_router = ServiceRequestRouter()
        if provider:
            self.service_request_router.add_provider(provider, "sqs")


@pytest.fixture
def provider():
    return Provider()


@pytest.fixture
def whole():
    return WholeChain()


def serve(app):
    server = Listener(app, [("127.0.0.1", 0)])
    server.start()
    return server


@pytest.fixture
def server(provider, whole):
    server = serve(short_chain.shorter_for_sqs(Gateway(provider), whole))
    yield server
    server.stop()


def post(server, headers: dict, body: str = BODY, target: str = "/", method: str = "POST"):
    return wsgi_requests.post(server, headers, body, target, method)


@pytest.mark.parametrize(("access_key", "account"), [("test", "000000000000"), ("111122223333", "111122223333")])
def test_a_plain_request_reaches_the_provider_in_the_account_of_its_key_and_the_region_of_its_credential(
    server, provider, whole, access_key, account
):
    status, _, body = post(server, PLAIN | {"Authorization": signed(access_key)})

    assert (status, body) == (200, {"QueueUrl": f"http://sqs.eu-west-1.localhost/{account}/orders"})
    [(context, queue_name)] = provider.calls
    assert queue_name == "orders"
    assert (context.account_id, context.region, context.operation.name) == (account, "eu-west-1", "GetQueueUrl")
    assert not context.is_internal_call
    assert not whole.requests


def test_a_providers_error_is_answered_as_the_whole_chain_answers_it_and_logged(server, caplog):
    caplog.set_level(logging.INFO, logger=plain.REQUEST_LOG.name)

    status, headers, body = post(server, PLAIN | {}, json.dumps({"QueueName": "missing"}))

    assert status == 400
    assert body["__type"].endswith("QueueDoesNotExist")
    assert body["message"] == "The specified queue does not exist."
    assert headers["x-amzn-query-error"].startswith("AWS.SimpleQueueService.NonExistentQueue;")
    assert any(m.startswith("AWS sqs.GetQueueUrl => 400 (") for m in caplog.messages)


def test_a_failing_provider_is_a_500_with_localstacks_message_not_a_dropped_connection(server, caplog):
    status, _, body = post(server, PLAIN, json.dumps({"QueueName": "broken"}))

    assert status == 500
    assert "exception while calling sqs.GetQueueUrl: the provider failed" in body["message"]


@pytest.mark.parametrize("body", ["{", "[]", "\x00" * 100])
def test_a_body_that_does_not_parse_reaches_no_provider_and_is_answered_with_the_parsers_message(
    server, provider, caplog, body
):
    # LocalStack 4.14.0's whole chain answers these 500 too (InternalError naming the parser's complaint);
    # tests/integration/test_sqs_short_chain.py compares both chains' answers
    caplog.set_level(logging.INFO, logger="localstack.request.http")

    status, headers, answer = post(server, PLAIN, body)

    assert "POST / => 500" in caplog.messages  # as LocalStack's ResponseLogger logs it
    assert status == 500
    assert answer["message"].startswith("exception while calling sqs with unknown operation: ")
    assert headers["x-amzn-query-error"] == "InternalError;Sender"
    assert not provider.calls


def test_each_answer_is_logged_as_localstack_logs_it_and_an_internal_call_apart(server, caplog):
    caplog.set_level(logging.INFO)
    internal = dump_dto({"source_arn": "arn:aws:sqs:eu-west-1:000000000000:source", "service_principal": "lambda"})

    post(server, PLAIN)
    post(server, PLAIN | {INTERNAL_REQUEST_PARAMS_HEADER: internal})

    lines = [(r.name, r.getMessage()) for r in caplog.records if r.name.startswith("localstack.request")]
    assert lines == [
        (plain.REQUEST_LOG.name, "AWS sqs.GetQueueUrl => 200"),
        (plain.INTERNAL_REQUEST_LOG.name, "AWS sqs.GetQueueUrl => 200"),
    ]


def test_a_request_localstack_makes_of_itself_keeps_its_internal_parameters(server, provider):
    internal = dump_dto({"source_arn": "arn:aws:sqs:eu-west-1:000000000000:source", "service_principal": "lambda"})

    post(server, PLAIN | {INTERNAL_REQUEST_PARAMS_HEADER: internal})

    [(context, _)] = provider.calls
    assert context.is_internal_call
    assert context.internal_request_params["source_arn"] == "arn:aws:sqs:eu-west-1:000000000000:source"


def test_the_xray_trace_header_is_read_as_the_whole_chain_reads_it(server, provider):
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

    post(server, PLAIN | {"X-Amzn-Trace-Id": trace})

    [(context, _)] = provider.calls
    assert str(context.trace_context["aws_trace_header"].root) == "1-5759e988-bd862e3fe1be46a994272793"


@pytest.mark.parametrize(
    ("change", "target", "method"),
    [
        *wsgi_requests.NOT_PLAIN,
        ({"Host": "sqs.us-east-1.amazonaws.com"}, "/", "POST"),  # a function's SDK over HTTPS
        ({}, "/?Action=GetQueueUrl", "POST"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "/", "POST"),  # the query protocol
        ({"Content-Type": ""}, "/", "POST"),
        ({"X-Amz-Target": "AmazonSQS.NoSuchOperation"}, "/", "POST"),
        ({"X-Amz-Target": "AmazonSQS"}, "/", "POST"),
        ({"X-Amz-Target": "AmazonSQSX.GetQueueUrl"}, "/", "POST"),
        ({"X-Amz-Target": "DynamoDB_20120810.GetItem"}, "/", "POST"),
        ({"X-Amz-Target": ""}, "/", "POST"),
        ({"Authorization": signed(region="local")}, "/", "POST"),
        ({"Authorization": signed(region="cn-north-1")}, "/", "POST"),
        # LocalStack names the service by the signature first: an SNS (or any other) call to the chain
        ({"Authorization": signed(service="sns")}, "/", "POST"),
        ({"Authorization": signed(service="sqs") + ", " + signed(service="sqs")}, "/", "POST"),  # two
        # the server reads X_Amz_Target as X-Amz-Target; LocalStack's parser does not
        ({"X-Amz-Target": "", "X_Amz_Target": "AmazonSQS.GetQueueUrl"}, "/", "POST"),
        ({"X_Anything": "1"}, "/", "POST"),
    ],
)
def test_anything_but_a_plain_sqs_request_goes_through_the_whole_chain(server, provider, whole, change, target, method):
    headers = {k: v for k, v in (PLAIN | change).items() if v}

    status, _, body = post(server, headers, target=target, method=method)

    assert (status, body) == (200, {"from": "whole chain"})
    assert not provider.calls
    assert whole.requests == [BODY.encode()]


def test_until_sqs_is_loaded_the_whole_chain_loads_it(whole):
    server = serve(short_chain.shorter_for_sqs(Gateway(), whole))
    try:
        assert post(server, PLAIN)[2] == {"from": "whole chain"}
    finally:
        server.stop()


def test_while_localstack_stops_or_logs_at_debug_the_whole_chain_answers(server, provider):
    for stopping, log in ((True, None), (False, plain.REQUEST_LOG), (False, plain.INTERNAL_REQUEST_LOG)):
        if stopping:
            events.infra_stopping.set()
        if log:
            log.setLevel(logging.DEBUG)
        try:
            assert post(server, PLAIN)[2] == {"from": "whole chain"}
        finally:
            events.infra_stopping.clear()
            if log:
                log.setLevel(logging.NOTSET)
    assert not provider.calls
    assert post(server, PLAIN)[1] and provider.calls


def test_the_first_requests_at_once_share_one_model_of_sqs(monkeypatch):
    """Read on the first request, once however many arrive together: LocalStack keeps a parser and a
    serializer per model object."""
    import threading

    reads = []

    def read(service):
        reads.append((service, short_chain._reading_the_model.locked()))  # read by one thread at a time
        return object()

    monkeypatch.setattr(short_chain, "_model", [])
    monkeypatch.setattr(short_chain, "load_service", read)
    start = threading.Barrier(16)
    models = []

    def first_request():
        start.wait()
        models.append(short_chain.model())

    threads = [threading.Thread(target=first_request) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reads == [("sqs", True)]
    assert len(models) == 16 and all(model is models[0] for model in models)
