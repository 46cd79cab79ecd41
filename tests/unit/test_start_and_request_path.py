"""The patches that make LocalStack start and answer sooner: OpenAPI validation loaded on use, loaded
services out of the garbage collector's walk (the gateway's own server: test_http_server.py). Each
pinned test fails on a LocalStack upgrade on purpose: read the code it names in the new release, then
move the pin."""

import gc
import inspect
import logging
import subprocess
import sys
from importlib.metadata import entry_points, version

import pytest

from embedded_localstack import plugins
from embedded_localstack.patches import gc_freeze, gil_switch, localstack_pin, openapi_validation
from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK


def test_the_hooks_are_registered_with_localstack():
    hooks = [
        ("localstack.hooks.on_runtime_create", plugins.validate_openapi_on_use),
        ("localstack.hooks.on_runtime_create", plugins.hand_over_the_gil_sooner),
        ("localstack.hooks.on_infra_ready", plugins.freeze_what_is_loaded),
        ("localstack.hooks.on_infra_ready", plugins.deliver_events_to_sqs_in_process),
        ("localstack.hooks.on_infra_ready", plugins.list_moto_methods_once),
    ]
    for group, hook in hooks:
        assert any(entry.load() is hook for entry in entry_points(group=group)), (group, hook.__name__)


def test_localstack_threads_take_turns_every_millisecond():
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)  # CPython's default
        gil_switch.hand_over_sooner()
        assert sys.getswitchinterval() == pytest.approx(gil_switch.SWITCH_INTERVAL_SECONDS) == pytest.approx(0.001)
    finally:
        sys.setswitchinterval(before)


def test_openapi_validation_patch_is_pinned_to_the_installed_localstack():
    assert version("localstack-core") == PINNED_LOCALSTACK
    from localstack.aws.handlers import validation

    source = inspect.getsource(validation)
    for name, first_lines in openapi_validation.FIRST_LINES.items():
        assert first_lines in inspect.getsource(getattr(validation, name).__call__), name
        assert f"class {name}(" in source


# In a fresh interpreter: the stand-ins must be in place before anything imports the handler chain.
VALIDATION_ON_USE = """
import sys
from embedded_localstack.patches import openapi_validation
assert openapi_validation.validate_on_use()
from localstack.aws import handlers
from localstack.aws.app import LocalstackAwsGateway
assert "openapi_core" not in sys.modules, "imported at start"
assert handlers.validate_request_schema(None, None, None) is None
assert handlers.validate_response_schema(None, None, None) is None
assert "openapi_core" not in sys.modules, "imported by a request with validation off"

from localstack import config
from localstack.aws.api import RequestContext
from localstack.http import Request, Response
config.OPENAPI_VALIDATE_REQUEST = True
context = RequestContext(Request("POST", "/_localstack/health", body=b"not json"))
handlers.validate_request_schema(None, context, Response())
assert "openapi_core" in sys.modules
assert type(handlers.validate_request_schema._handler).__module__ == "localstack.aws.handlers.validation"
assert handlers.validate_request_schema._handler.open_apis, "LocalStack's handler loaded the specs"
print("ok")
"""


def test_openapi_validation_is_imported_only_when_switched_on():
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", VALIDATION_ON_USE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"


def test_gc_freeze_patch_is_pinned_to_the_installed_localstack():
    assert version("localstack-core") == PINNED_LOCALSTACK
    from localstack.services.plugins import ServiceContainer

    assert gc_freeze.SERVICE_STARTS in inspect.getsource(ServiceContainer.start)


class StartsAService:
    def __init__(self):
        self.loaded = None

    def start(self, asynchronous):
        self.loaded = [{"spec": n} for n in range(1000)]  # what a service's load leaves behind

    def check(self, print_error=False):
        pass

    def name(self):
        return "probe"


def test_what_a_service_loads_is_frozen_once_it_started(monkeypatch):
    from localstack.services.plugins import ServiceContainer, ServiceState

    monkeypatch.setattr(ServiceContainer, "start", ServiceContainer.start)
    monkeypatch.delattr(ServiceContainer, "_freezes_on_start", raising=False)
    assert gc_freeze.freeze_loaded_services()
    assert gc_freeze.freeze_loaded_services(), "twice: patched once"
    gc.unfreeze()
    try:
        service = StartsAService()
        container = ServiceContainer(service, ServiceState.AVAILABLE)
        assert container.start()
        assert container.state == ServiceState.RUNNING
        frozen = gc.get_freeze_count()
        assert frozen >= len(service.loaded)
        assert not any(gc.is_tracked(obj) and obj in gc.get_objects() for obj in service.loaded[:3])
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    "patch",
    [
        lambda: openapi_validation.validate_on_use(),
        lambda: gc_freeze.freeze_loaded_services(),
    ],
    ids=["openapi_validation", "gc_freeze"],
)
def test_on_another_localstack_a_patch_changes_nothing_and_says_so(patch, monkeypatch, caplog):
    monkeypatch.setattr(localstack_pin, "version", lambda package: "99.0.0")

    with caplog.at_level(logging.WARNING, logger=localstack_pin.__name__):
        assert patch() is False

    assert "patches LocalStack 4.14.0, not 99.0.0" in caplog.text
