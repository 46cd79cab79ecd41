"""The DynamoDB process's parts without LocalStack: which account a request lands in, what a function's
environment gets, and what `make status` makes of the process LocalStack recorded."""

import json
import os
import socket
import subprocess
import sys
import uuid

import psutil
import pytest
from werkzeug.test import Client

from embedded_localstack import dynamodb_process, settings
from embedded_localstack.dynamodb_process import process, server
from embedded_localstack.lifecycle import process_start

CREATE_TABLE = {
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def create_table(access_key: str, **headers: str) -> str:
    """CreateTable straight at the server's WSGI application; the new table's ARN."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    answer = Client(server.application).post(
        "/",
        data=json.dumps(CREATE_TABLE | {"TableName": name}),
        headers={
            "X-Amz-Target": "DynamoDB_20120810.CreateTable",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/20260101/eu-west-1/dynamodb/aws4_request, "
            "SignedHeaders=host, Signature=0",
        }
        | headers,
    )
    assert answer.status_code == 200, answer.text
    return json.loads(answer.text)["TableDescription"]["TableArn"]


def test_a_direct_call_lands_in_the_account_localstack_gives_its_access_key():
    assert ":eu-west-1:000000000000:table/" in create_table("test")
    assert ":eu-west-1:111122223333:table/" in create_table("111122223333")


def test_localstacks_account_header_wins_over_the_access_key():
    assert ":eu-west-1:444455556666:table/" in create_table("test", **{"x-moto-account-id": "444455556666"})


@pytest.fixture
def endpoint(monkeypatch):
    monkeypatch.setattr(process.THE_PROCESS, "endpoint", lambda: "http://127.0.0.1:4999")


def test_a_function_gets_the_process_for_both_apis(endpoint):
    assert dynamodb_process.function_environment({"TABLE": "basket"}) == {
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:4999",
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": "http://127.0.0.1:4999",
    }


@pytest.mark.parametrize("own", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS"])
def test_a_function_that_names_its_own_endpoint_keeps_it(endpoint, own):
    assert dynamodb_process.function_environment({own: "http://127.0.0.1:8000"}) == {}


def test_a_function_started_after_the_process_ended_calls_through_localstack(monkeypatch):
    def ended():
        raise process.Ended("the DynamoDB process (pid 1) ended (exit -9)")

    monkeypatch.setattr(process.THE_PROCESS, "endpoint", ended)
    assert dynamodb_process.function_environment({}) == {}


def record(state_dir, pid: int, localstack: psutil.Process) -> None:
    (state_dir / process.STATE_FILE).write_text(
        json.dumps(
            {
                "pid": pid,
                "started": process_start.start_of(pid) if psutil.pid_exists(pid) else 0,
                "endpoint": "http://127.0.0.1:4999",
                "localstack": process_start.identity(localstack.pid),
            }
        )
    )


def test_status_has_nothing_to_say_of_a_running_process(tmp_path):
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE) as child:
        record(tmp_path, child.pid, psutil.Process())
        assert dynamodb_process.problem(tmp_path, psutil.Process()) is None
        child.stdin.close()


def test_status_names_an_ended_process_and_the_fix(tmp_path):
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    record(tmp_path, int(child.stdout), psutil.Process())
    problem = dynamodb_process.problem(tmp_path, psutil.Process())
    assert problem and f"pid {int(child.stdout)}" in problem and "make down && make up" in problem


def test_status_ignores_the_record_of_an_earlier_localstack(tmp_path):
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    record(tmp_path, int(child.stdout), psutil.Process(os.getppid()))  # another "LocalStack"
    assert dynamodb_process.problem(tmp_path, psutil.Process()) is None


@pytest.mark.parametrize("port", ["abc", "in use"])
def test_a_process_that_cannot_start_is_named_to_every_caller_and_to_status(tmp_path, monkeypatch, port):
    # Given a LocalStack whose DynamoDB process cannot start: a bad port setting, or a port in use
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        value = port if port == "abc" else str(taken.getsockname()[1])
        monkeypatch.setenv(process.PORT_SETTING, value)
        monkeypatch.setenv(settings.EMBEDDED_STATE_DIR.name, str(tmp_path))
        monkeypatch.setattr(process, "START_TIMEOUT_SECONDS", 30)
        unstarted = process.DynamodbProcess()

        # When it is asked for, twice
        with pytest.raises(process.Ended) as first:
            unstarted.endpoint()
        with pytest.raises(process.Ended) as second:
            unstarted.endpoint()

    # Then both callers are told why, and so is make status (the setting's name, or the port)
    assert str(first.value) == str(second.value)
    assert process.PORT_SETTING in str(first.value)
    assert dynamodb_process.problem(tmp_path, psutil.Process()) == str(first.value)


@pytest.mark.parametrize(
    ("body", "target", "status"),
    [
        (b"not json", "DynamoDB_20120810.ListTables", 500),
        (json.dumps({"TableName": "t", "Key": None}).encode(), "DynamoDB_20120810.GetItem", 400),
        (b"{}", "", 500),
        (b"x" * (server.MAX_REQUEST_BYTES + 1), "DynamoDB_20120810.ListTables", 413),
    ],
    ids=["garbage", "null-key", "no-target", "too-large"],
)
def test_input_the_server_cannot_take_gets_a_dynamodb_json_error_and_it_keeps_serving(body, target, status):
    client = Client(server.application)
    answer = client.post("/", data=body, headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})

    assert answer.status_code == status
    assert "json" in answer.headers["Content-Type"]
    assert json.loads(answer.text)["__type"].startswith("com.amazonaws.dynamodb.v20120810#")
    assert ":table/" in create_table("test"), "and the next request is served"


@pytest.mark.parametrize("target", ["DynamoDB_20120810.ListTables", "DynamoDBStreams_20120810.ListStreams"])
def test_an_answer_carries_dynamodbs_content_type_once_and_its_exact_length(target):
    answer = Client(server.application).post(
        "/", data=b"{}", headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers.getlist("Content-Type") == ["application/x-amz-json-1.0"]
    assert answer.headers.getlist("Content-Length") == [str(len(answer.data))]
    if target.startswith("DynamoDB_"):  # moto's own headers kept (its Streams handler sets none)
        assert answer.headers["x-amzn-requestid"] and answer.headers["x-amz-crc32"]
    assert isinstance(json.loads(answer.data), dict)
