"""The embedded gateway's Host check (embedded_localstack/host_check.py), in LocalStack 4.14.0's own
gateway and handler chain: no request with a foreign Host reaches any of LocalStack's handlers."""

from importlib.metadata import version

import pytest
from localstack.aws import handlers
from localstack.aws.app import LocalstackAwsGateway
from localstack.http import Request, Response

from embedded_localstack.patches import host_check
from embedded_localstack.patches.host_check import SETTING, BadAllowedHosts, HostCheck
from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK

ALLOWED = [
    "localhost",
    "localhost:4566",
    "LOCALHOST:4566",
    "127.0.0.1:4566",
    "127.0.0.1",
    "[::1]:4566",
    "[::1]",
    "shop.localhost:4566",
    "localhost.localstack.cloud:4566",
    "localhost.localstack.cloud.:4566",
    "images-1a2b.s3.localhost.localstack.cloud:4566",
    "sqs.us-east-1.localhost.localstack.cloud:4566",
    "abc123.execute-api.localhost.localstack.cloud:4566",
    "s3.amazonaws.com",
    "images-1a2b.s3.us-east-1.amazonaws.com:4566",
    "lambda.cn-north-1.amazonaws.com.cn",
    "abc123.lambda-url.us-east-1.on.aws",
    "lambda.us-east-1.api.aws:443",
]
REFUSED = [
    "attacker.example",
    "attacker.example:4566",
    "localhost.attacker.example",
    "localhost.localstack.cloud.attacker.example:4566",
    "evillocalhost.localstack.cloud",
    "amazonaws.com.attacker.example",
    "notamazonaws.com",
    "aws.attacker.example",
    "192.168.1.20:4566",
    "10.0.0.1",
    "[2001:db8::1]:4566",
    "",
    # Not well-formed: no browser sends these, and none names this machine.
    "evil.example#.localhost",
    "[::1]evil",
    "127.0.0.1:abc",
    "localhost, evil.example",
]


@pytest.fixture
def gateway(monkeypatch):
    """LocalStack's gateway with the Host check installed as the embedded mode does, and a probe right
    after it standing for the rest of LocalStack's chain."""
    monkeypatch.delenv(SETTING, raising=False)
    gateway = LocalstackAwsGateway()
    first_of_localstack = gateway.request_handlers[0]
    host_check.guard(gateway)
    reached = []

    def probe(chain, context, response):
        reached.append(context.request.headers.get("Host"))
        chain.respond(200, "reached LocalStack's handlers")

    gateway.request_handlers.insert(1, probe)
    gateway.reached = reached
    gateway.first_of_localstack = first_of_localstack
    return gateway


def send(gateway, host: str) -> Response:
    response = Response()
    gateway.process(Request("GET", "/_localstack/health", headers={"Host": host}), response)
    return response


def test_the_check_is_pinned_to_the_localstack_whose_chain_it_precedes(gateway):
    # Fails on a LocalStack upgrade on purpose: read LocalstackAwsGateway's handler chain of the new
    # release (what serves /_localstack and the services, and where), then move the pin.
    assert version("localstack-core") == PINNED_LOCALSTACK
    assert gateway.first_of_localstack is handlers.add_internal_request_params
    assert isinstance(gateway.request_handlers[0], HostCheck)
    assert gateway.request_handlers.index(handlers.serve_localstack_resources) > 0


@pytest.mark.parametrize("host", ALLOWED)
def test_a_host_naming_this_machine_reaches_localstack(gateway, host):
    response = send(gateway, host)

    assert response.status_code == 200
    assert gateway.reached == [host]


@pytest.mark.parametrize("host", REFUSED)
def test_a_foreign_host_gets_403_naming_the_setting_and_reaches_nothing(gateway, host):
    response = send(gateway, host)

    assert response.status_code == 403
    assert SETTING in response.get_json()["message"]
    assert gateway.reached == []


def test_localstack_host_and_its_subdomains_are_allowed():
    check = HostCheck("shop-box.lan:4566", "")

    assert check.allows("shop-box.lan:4566")
    assert check.allows("abc123.execute-api.shop-box.lan:4566")
    assert not check.allows("other-box.lan:4566")


def test_the_setting_allows_names_subdomains_or_any_host():
    exact = HostCheck("127.0.0.1:4566", "shop.test, 192.168.1.20")
    domains = HostCheck("127.0.0.1:4566", "*.shop.test")
    anything = HostCheck("127.0.0.1:4566", "*")

    assert exact.allows("shop.test:4566") and exact.allows("192.168.1.20:4566")
    assert not exact.allows("api.shop.test") and not exact.allows("attacker.example")
    assert domains.allows("api.shop.test") and not domains.allows("shopXtest")
    assert anything.allows("attacker.example")


@pytest.mark.parametrize("value", ["http://shop.test", "shop.test/api", "sh*p.test"])
def test_a_malformed_setting_is_refused_with_the_form_it_takes(value):
    with pytest.raises(BadAllowedHosts, match="host names separated by commas"):
        HostCheck("127.0.0.1:4566", value)
