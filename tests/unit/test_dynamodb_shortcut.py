"""Plain DynamoDB requests go from the gateway's server straight to the DynamoDB process
(embedded_localstack/dynamodb_process/shortcut.py); anything else goes through LocalStack's chain, and
a request is never sent to the process twice. Served by the embedded mode's own server on both sides,
as in LocalStack; the chain is a stand-in that records what reached it."""

import http.client
import json
import logging
import socket
import threading

import pytest

from embedded_localstack.dynamodb_process import forward, shortcut
from embedded_localstack.dynamodb_process.process import THE_PROCESS, Ended
from embedded_localstack.serving.server import Listener
from tests.unit import wsgi_requests

BODY = json.dumps({"TableName": "t", "Key": {"id": {"S": "k"}}})


def signed(access_key: str = "test", region: str = "us-east-1", service: str = "dynamodb") -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={access_key}/20260101/{region}/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-target, Signature=0"
    )


class Recording:
    """A WSGI application that records each request it got: headers (lower-cased names) and body."""

    def __init__(self, name: str):
        self.name = name
        self.requests: list[tuple[list[tuple[str, str]], bytes, dict]] = []

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read()
        headers = [(k.decode().lower(), v.decode()) for k, v in environ["rolo.headers"]]
        self.requests.append((headers, body, dict(environ)))
        answer = json.dumps({"from": self.name}).encode()
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0"), ("x-amz-crc32", "1")])
        return [answer]


@pytest.fixture
def process(monkeypatch):
    app = Recording("process")
    server = Listener(app, [("127.0.0.1", 0)])
    server.start()
    monkeypatch.setattr(THE_PROCESS, "endpoint", lambda: f"http://127.0.0.1:{server.port}")
    yield app
    server.stop()


@pytest.fixture
def chain():
    return Recording("chain")


@pytest.fixture
def gateway(chain):
    server = Listener(shortcut.straight_through(chain), [("127.0.0.1", 0)])
    server.start()
    yield server
    server.stop()


def post(gateway, headers: dict, body: str = BODY, target: str = "/", method: str = "POST"):
    return wsgi_requests.post(gateway, headers, body, target, method)


PLAIN = {
    "Host": "localhost.localstack.cloud:4566",
    "X-Amz-Target": "DynamoDB_20120810.GetItem",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": signed(),
}


def account_headers(request) -> list[str]:
    return [value for name, value in request[0] if name == forward.ACCOUNT_HEADER]


@pytest.mark.parametrize(("access_key", "account"), [("test", "000000000000"), ("111122223333", "111122223333")])
def test_a_plain_request_is_answered_by_the_process_in_the_account_of_its_access_key(
    gateway, process, chain, access_key, account
):
    status, headers, body = post(gateway, PLAIN | {"Authorization": signed(access_key)})
    assert (status, body) == (200, {"from": "process"})
    assert headers["x-amz-crc32"] == "1"
    assert not chain.requests
    [request] = process.requests
    assert request[1] == BODY.encode()
    assert account_headers(request) == [account]


def test_an_account_the_client_names_itself_is_not_passed_on(gateway, process):
    post(gateway, PLAIN | {forward.ACCOUNT_HEADER: "999999999999"})
    [request] = process.requests
    assert account_headers(request) == ["000000000000"]


def test_both_apis_and_every_loopback_name_take_the_shortcut(gateway, process, chain):
    for host in ("127.0.0.1:4566", "localhost", "[::1]:4566", "LOCALHOST.localstack.cloud."):
        post(gateway, PLAIN | {"Host": host})
    post(gateway, PLAIN | {"X-Amz-Target": "DynamoDBStreams_20120810.ListStreams"})
    assert len(process.requests) == 5
    assert not chain.requests


@pytest.mark.parametrize(
    ("change", "target", "method"),
    [
        *wsgi_requests.NOT_PLAIN,
        ({"Host": "dynamodb.us-east-1.amazonaws.com"}, "/", "POST"),  # a function's SDK over HTTPS
        ({"X-Amz-Target": "DynamoDB_20120810.NoSuchOperation"}, "/", "POST"),
        ({"X-Amz-Target": "DynamoDB_20120810"}, "/", "POST"),
        ({"X-Amz-Target": "DynamoDB_20991231.GetItem"}, "/", "POST"),
        ({"X-Amz-Target": "AmazonSQS.GetQueueUrl"}, "/", "POST"),
        ({"Authorization": signed(region="local")}, "/", "POST"),  # DynamoDB Local's habit: the chain rewrites it
        ({"Authorization": signed(region="cn-north-1")}, "/", "POST"),  # another partition: rewritten too
        ({"Authorization": signed(service="sns")}, "/", "POST"),  # LocalStack names the service by it first
    ],
)
def test_anything_but_a_plain_dynamodb_request_goes_through_the_chain(gateway, process, chain, change, target, method):
    headers = {k: v for k, v in (PLAIN | change).items() if v}
    status, _, body = post(gateway, headers, target=target, method=method)
    assert (status, body) == (200, {"from": "chain"})
    assert not process.requests
    assert chain.requests[0][1] == BODY.encode()


def post_lines(gateway, headers: list[tuple[str, str]], body: str = BODY):
    """As ``post``, with headers that may repeat."""
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=wsgi_requests.DEADLINE_SECONDS)
    try:
        connection.putrequest("POST", "/", skip_host=True, skip_accept_encoding=True)
        for name, value in [*headers, ("Content-Length", str(len(body)))]:
            connection.putheader(name, value)
        connection.endheaders(body.encode())
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"{}")
    finally:
        connection.close()


def test_two_credentials_go_through_the_chain_which_reads_the_first(gateway, process, chain):
    lines = [*PLAIN.items(), ("Authorization", signed("222222222222"))]

    assert post_lines(gateway, lines) == (200, {"from": "chain"})
    assert not process.requests


def test_repeated_and_underscored_headers_reach_the_process_once_as_localstack_read_them(gateway, process, chain):
    # A second X-Amz-Target would reach moto joined to the first (it runs the last); X_Moto_Account_Id
    # would be merged by the process's server into the account header
    lines = [*PLAIN.items(), ("X-Amz-Target", "DynamoDB_20120810.DeleteTable"), ("X_Moto_Account_Id", "999999999999")]

    post_lines(gateway, lines)
    post_lines(gateway, [*PLAIN.items(), ("X_Amz_Target", "DynamoDB_20120810.DeleteTable")])
    post_lines(gateway, [*PLAIN.items(), ("X_Moto_Account_Id", "999999999999")])
    assert len(chain.requests) == 2 and len(process.requests) == 1, "a joined X-Amz-Target is the chain's"

    for request in process.requests + chain.requests:
        forwarded = forward.forwarded_headers(request[0], "000000000000")
        assert [v for k, v in forwarded if k == "x-amz-target"] == ["DynamoDB_20120810.GetItem"]
        assert [v for k, v in forwarded if k == forward.ACCOUNT_HEADER] == ["000000000000"]
        assert not any("_" in k for k, _ in forwarded)
    for request in process.requests:
        assert [v for k, v in request[0] if k == "x-amz-target"] == ["DynamoDB_20120810.GetItem"]
        assert account_headers(request) == ["000000000000"]
        assert not any("_" in k for k, _ in request[0])


def test_while_localstack_stops_the_chain_answers(gateway, process, chain):
    from localstack.runtime import events

    events.infra_stopping.set()
    try:
        assert post(gateway, PLAIN)[2] == {"from": "chain"}  # whose handle_runtime_shutdown answers 503
    finally:
        events.infra_stopping.clear()
    assert not process.requests
    assert post(gateway, PLAIN)[2] == {"from": "process"}


def test_while_localstack_logs_at_debug_everything_goes_through_the_chain(gateway, process, chain):
    shortcut.REQUEST_LOG.setLevel(logging.DEBUG)
    try:
        assert post(gateway, PLAIN)[2] == {"from": "chain"}
    finally:
        shortcut.REQUEST_LOG.setLevel(logging.NOTSET)
    assert not process.requests


def test_with_the_process_ended_the_chain_gets_the_whole_request_and_names_the_fix(gateway, chain, monkeypatch):
    def ended():
        raise Ended("the DynamoDB process ended")

    monkeypatch.setattr(THE_PROCESS, "endpoint", ended)
    assert post(gateway, PLAIN)[2] == {"from": "chain"}
    [request] = chain.requests
    assert request[1] == BODY.encode()
    assert forward.RELAY_FAILED not in request[2]


@pytest.fixture
def hangs_up(monkeypatch):
    """A process that reads each request whole, counts it, and closes the connection without answering."""
    listening = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve():
        while True:
            try:
                sock, _ = listening.accept()
            except OSError:
                return
            with sock:
                data = b""
                while b"\r\n\r\n" not in data or not data.endswith(BODY.encode()):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                received.append(data)

    threading.Thread(target=serve, daemon=True).start()
    monkeypatch.setattr(THE_PROCESS, "endpoint", lambda: f"http://127.0.0.1:{listening.getsockname()[1]}")
    yield received
    listening.close()


def test_a_request_the_process_read_but_did_not_answer_is_not_sent_again(gateway, chain, hangs_up):
    assert post(gateway, PLAIN)[2] == {"from": "chain"}
    [request] = chain.requests
    assert request[2][forward.RELAY_FAILED]  # why: the chain raises it as the error the client gets
    assert request[1] == BODY.encode()
    assert len(hangs_up) == 1  # acted on, perhaps: once


def test_each_answer_is_logged_as_localstack_logs_it(gateway, process, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger=shortcut.REQUEST_LOG.name)
    post(gateway, PLAIN)
    assert "AWS dynamodb.GetItem => 200" in caplog.messages

    def refusing(environ, start_response):
        environ["wsgi.input"].read()
        start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")])
        return [b'{"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "message": "no"}']

    server = Listener(refusing, [("127.0.0.1", 0)])
    server.start()
    try:
        monkeypatch.setattr(THE_PROCESS, "endpoint", lambda: f"http://127.0.0.1:{server.port}")
        status, _, body = post(gateway, PLAIN | {"X-Amz-Target": "DynamoDB_20120810.PutItem"})
    finally:
        server.stop()
    assert status == 400
    assert body["__type"].endswith("#ConditionalCheckFailedException")
    assert "AWS dynamodb.PutItem => 400 (ConditionalCheckFailedException)" in caplog.messages
