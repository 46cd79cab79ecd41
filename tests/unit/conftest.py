"""Fixtures for calling the functions' `lambda_handler`s in-process; what they build events and contexts
from is tests/unit/lambda_events.py."""

import importlib
import io
import json

import pytest

from infra.model import Function
from infra.reconcilers.lambda_ import environment_of
from infra.stack import STACK
from tests.unit.lambda_events import UNREACHABLE, FakeLambdaContext


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def function_module(monkeypatch):
    """Factory: the handler module of a function, imported with the environment provisioning gives
    it (infra/stack.py), AWS out of reach and idempotency records off (Powertools'
    POWERTOOLS_IDEMPOTENCY_DISABLED). A module reads its environment once, at its first import."""

    def load(function: Function, queue_urls: dict[str, str] | None = None):
        secrets = {secret.name: f"unit-test-{secret.name}" for secret in STACK.secrets}
        environment = environment_of(function, queue_urls or {}, secrets) | {
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


@pytest.fixture
def logs_of(monkeypatch):
    """Factory: logs_of(module)() -> the JSON lines module.logger (Powertools) wrote since."""

    def capture(module):
        stream = io.StringIO()
        monkeypatch.setattr(module.logger.registered_handler, "stream", stream)
        return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]

    return capture
