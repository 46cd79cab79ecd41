"""The patches that make LocalStack start and answer sooner: OpenAPI validation loaded on use, the
gateway's twisted site without per-request work nothing reads, loaded services out of the garbage
collector's walk. Each pinned test fails on a LocalStack upgrade on purpose: read the code it names in
the new release, then move the pin."""

import gc
import inspect
import logging
import subprocess
import sys
from importlib.metadata import entry_points, version

import pytest
from twisted.internet.address import IPv4Address
from twisted.web import http, resource, server

from embedded_localstack import plugins
from embedded_localstack.patches import gc_freeze, localstack_pin, openapi_validation, twisted_site
from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK


def test_the_hooks_are_registered_with_localstack():
    hooks = {
        "localstack.hooks.on_runtime_create": plugins.validate_openapi_on_use,
        "localstack.hooks.on_infra_ready": plugins.freeze_what_is_loaded,
    }
    for group, hook in hooks.items():
        assert any(entry.load() is hook for entry in entry_points(group=group)), group


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


def test_twisted_site_patch_is_pinned_to_the_installed_localstack():
    assert version("localstack-core") == PINNED_LOCALSTACK
    from rolo.serving.twisted import TwistedGateway

    assert twisted_site.ACCESS_LOG_CALL in inspect.getsource(http.Request.finish)
    assert issubclass(TwistedGateway, server.Site)
    assert TwistedGateway.log is http.HTTPFactory.log, "rolo's site logs as twisted's does"


class Recording(resource.Resource):
    isLeaf = True

    def __init__(self):
        super().__init__()
        self.seen = []

    def render(self, request):
        self.seen.append((request.args, request.content.read()))
        return b"done"


class Transport:
    """What an HTTP channel writes to (twisted's own test transports need twisted.trial, which
    LocalStack's twisted does not ship)."""

    disconnecting = False

    def __init__(self):
        self.written = b""

    def write(self, data):
        self.written += data

    def writeSequence(self, data):
        self.written += b"".join(data)

    def getPeer(self):
        return IPv4Address("TCP", "127.0.0.1", 50000)

    def getHost(self):
        return IPv4Address("TCP", "127.0.0.1", 4566)

    def registerProducer(self, producer, streaming):
        pass

    def unregisterProducer(self):
        pass

    def loseConnection(self):
        pass


def post_form(site) -> bytes:
    site.timeOut = None  # no idle timer left on the reactor, which no test runs
    protocol = site.buildProtocol(None)
    transport = Transport()
    protocol.makeConnection(transport)
    protocol.dataReceived(
        b"POST /path?q=1 HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nAction="
    )
    return transport.written


def test_a_thinned_site_logs_no_access_and_answers_the_same(monkeypatch):
    logged = []
    monkeypatch.setattr(server.Site, "log", lambda site, request: logged.append(request))
    plain, thinned = Recording(), Recording()
    plain_answer = post_form(server.Site(plain))
    site = server.Site(thinned)
    assert twisted_site.thin(site)
    thinned_answer = post_form(site)

    assert plain.seen == [({b"q": [b"1"], b"Action": [b""]}, b"Action=")]
    assert len(logged) == 1, "only the plain site logged"
    assert thinned.seen == plain.seen, "forms are still parsed: a bad multipart body is twisted's 400"
    without_date = [line for line in thinned_answer.split(b"\r\n") if not line.startswith(b"Date:")]
    assert without_date == [line for line in plain_answer.split(b"\r\n") if not line.startswith(b"Date:")]


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
        lambda: twisted_site.thin(server.Site(resource.Resource())),
    ],
    ids=["openapi_validation", "gc_freeze", "twisted_site"],
)
def test_on_another_localstack_a_patch_changes_nothing_and_says_so(patch, monkeypatch, caplog):
    monkeypatch.setattr(localstack_pin, "version", lambda package: "99.0.0")

    with caplog.at_level(logging.WARNING, logger=localstack_pin.__name__):
        assert patch() is False

    assert "patches LocalStack 4.14.0, not 99.0.0" in caplog.text
