"""Fixtures for calling the functions' `lambda_handler`s in-process, as the Powertools examples do:
events from JSON files (tests/unit/events/) and a fake Lambda context."""

import importlib
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from infra.model import Function
from infra.reconcilers.lambda_ import environment_of

EVENTS = Path(__file__).parent / "events"


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


@dataclass
class FakeLambdaContext:
    """What Powertools and the shop read of Lambda's context object."""

    function_name: str = "test-function"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:test-function"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"
    timeout_seconds: float = 10
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int((self.started + self.timeout_seconds - time.monotonic()) * 1000)


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


# Nothing listens on the discard port: a handler path that reached AWS would fail at once, never
# reach a real endpoint.
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
def function_module(monkeypatch):
    """Factory: the handler module of a function, imported with the environment provisioning gives
    it (infra/stack.py), AWS out of reach and idempotency records off (Powertools'
    POWERTOOLS_IDEMPOTENCY_DISABLED). A module reads its environment once, at its first import."""

    def load(function: Function, queue_urls: dict[str, str] | None = None):
        environment = environment_of(function, queue_urls or {}) | {
            "AWS_ENDPOINT_URL": UNREACHABLE,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_MAX_ATTEMPTS": "1",
            "POWERTOOLS_IDEMPOTENCY_DISABLED": "true",
        }
        for name in ("AUDIT_AWS_CALLS", "FAULT_TABLE"):
            environment.pop(name, None)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return importlib.import_module(function.handler.rsplit(".", 1)[0])

    return load


def api_event(
    method: str, resource: str, path: str, path_parameters: dict | None = None, body=None, query: dict | None = None
) -> dict:
    """api_gateway_proxy.json for another request."""
    event = load_event("api_gateway_proxy")
    event |= {
        "httpMethod": method,
        "resource": resource,
        "path": path,
        "pathParameters": path_parameters,
        "queryStringParameters": query,
    }
    event["body"] = body if body is None or isinstance(body, str) else json.dumps(body)
    event["requestContext"] |= {"httpMethod": method, "resourcePath": resource, "path": f"/prod{path}"}
    return event


def sqs_event(*bodies: str, message_ids: list[str] | None = None) -> dict:
    """sqs_batch.json with one record per body, each with its own messageId (message-0, ...)."""
    template = load_event("sqs_batch")["Records"][0]
    message_ids = message_ids or [f"message-{i}" for i in range(len(bodies))]
    return {
        "Records": [
            template | {"messageId": message_id, "body": body}
            for message_id, body in zip(message_ids, bodies, strict=True)
        ]
    }


@pytest.fixture
def logs_of(monkeypatch):
    """Factory: logs_of(module)() -> the JSON lines module.logger (Powertools) wrote since."""

    def capture(module):
        stream = io.StringIO()
        monkeypatch.setattr(module.logger.registered_handler, "stream", stream)
        return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]

    return capture
