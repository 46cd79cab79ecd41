"""The embedded gateway answers only Hosts that name this machine (embedded_localstack/host_check.py):
a web page that rebinds its own name to 127.0.0.1 (DNS rebinding) reads nothing, while the project's
clients, its virtual-host S3 and execute-api hosts, and LocalStack's own names keep working."""

import socket
import uuid

import boto3
import pytest
import requests
from botocore.config import Config

from infra import settings
from infra.stack import PRODUCT_API, STAGE, api_url
from tests.integration.embedded_instances import instance, make  # noqa: F401 (instance is a fixture)

ENDPOINT = settings.require_local_endpoint()
PORT = ENDPOINT.rsplit(":", 1)[1]
ATTACKER = f"attacker.example:{PORT}"
# What a rebinding page would read: LocalStack's own resources, a service API, and the shop's API.
READS = [
    "/_localstack/health",
    "/_localstack/init/ready",
    "/2015-03-31/functions",
    "/",
    api_url("", PRODUCT_API) + "/product",
]


def get(path: str, host: str, **kwargs) -> requests.Response:
    return requests.get(f"{ENDPOINT}{path}", headers={"Host": host}, timeout=10, **kwargs)


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("host", [ATTACKER, "attacker.example", f"localhost.attacker.example:{PORT}"])
def test_a_foreign_host_reads_nothing_and_is_told_the_setting(path, host):
    response = get(path, host)

    assert response.status_code == 403
    assert "EMBEDDED_ALLOWED_HOSTS" in response.json()["message"]
    assert "Lambda" not in response.text and "products" not in response.text and "services" not in response.text


def test_a_foreign_host_cannot_write_either():
    bucket = f"rebound-{uuid.uuid4().hex[:8]}"

    response = requests.put(f"{ENDPOINT}/{bucket}", headers={"Host": ATTACKER}, timeout=10)

    assert response.status_code == 403
    assert get(f"/{bucket}", f"localhost:{PORT}").status_code == 404


@pytest.mark.parametrize(
    "host",
    [f"localhost:{PORT}", "localhost", f"127.0.0.1:{PORT}", f"[::1]:{PORT}", f"localhost.localstack.cloud:{PORT}"],
)
def test_the_names_of_this_machine_are_answered(host):
    assert get("/_localstack/health", host).status_code == 200


def test_the_shop_api_answers_on_its_execute_api_host():
    host = f"{PRODUCT_API.custom_id}.execute-api.localhost.localstack.cloud:{PORT}"

    response = get(f"/{STAGE}/product", host)

    assert response.status_code == 200, response.text


@pytest.fixture
def localstack_cloud_names(monkeypatch):
    """*.localhost.localstack.cloud resolves to 127.0.0.1 through public DNS, which this machine may not
    reach: resolve it here as that DNS would, so the SDK sends the virtual host it would send."""
    resolve = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith("localhost.localstack.cloud"):
            host = "127.0.0.1"
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_sdk_calls_with_virtual_host_s3_keep_working(localstack_cloud_names):
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://s3.localhost.localstack.cloud:{PORT}",
        region_name=settings.REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "virtual"}),
    )
    bucket = f"virtual-host-{uuid.uuid4().hex[:8]}"
    sent = []
    s3.meta.events.register("before-send.s3.*", lambda request, **_: sent.append(request.url))

    s3.create_bucket(Bucket=bucket)
    try:
        s3.put_object(Bucket=bucket, Key="k", Body=b"v")
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    finally:
        s3.delete_object(Bucket=bucket, Key="k")
        s3.delete_bucket(Bucket=bucket)
    # (the SDK sends the URL's host as Host)
    assert any(url.startswith(f"http://{bucket}.s3.localhost.localstack.cloud:") for url in sent), sent


@pytest.mark.lifecycle
def test_the_setting_allows_a_name_and_nothing_else(instance):
    env = instance | {"EMBEDDED_ALLOWED_HOSTS": "shop.test,*.dev.shop.test"}
    assert make("up", env).returncode == 0
    url = f"http://127.0.0.1:{env['LOCALSTACK_PORT']}/_localstack/health"

    def status(host: str) -> int:
        return requests.get(url, headers={"Host": host}, timeout=10).status_code

    assert status("shop.test") == 200
    assert status("api.dev.shop.test") == 200
    assert status("attacker.example") == 403
    assert status("api.shop.test") == 403


@pytest.mark.lifecycle
def test_a_malformed_setting_stops_up_naming_the_setting(instance):
    result = make("up", instance | {"EMBEDDED_ALLOWED_HOSTS": "http://shop.test"})

    assert result.returncode != 0
    assert "EMBEDDED_ALLOWED_HOSTS takes host names separated by commas" in result.stdout + result.stderr
