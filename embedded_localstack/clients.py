"""boto3 clients bound to the running environment: the endpoint from AWS_ENDPOINT_URL or LOCALSTACK_PORT,
dummy credentials, the region from AWS_DEFAULT_REGION. The app deployment and the pytest plugin use them."""

import urllib.parse

import boto3
from botocore.config import Config

from embedded_localstack import settings

# LocalStack accepts any credentials; "test" is its default account, 000000000000.
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "localstack", "localhost.localstack.cloud"}


class NotLocal(RuntimeError):
    pass


def endpoint_url() -> str:
    """The environment's endpoint; never a real AWS one, whatever the shell points at."""
    url = settings.endpoint_url()
    host = urllib.parse.urlsplit(url).hostname or ""
    if not (host in LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost.localstack.cloud")):
        raise NotLocal(
            f"AWS_ENDPOINT_URL={url} is not a local LocalStack endpoint; unset it, or set LOCALSTACK_PORT to "
            "the port of the environment (`make up` prints it)"
        )
    return url


def region() -> str:
    return settings.region()


def environment() -> dict[str, str]:
    """What a tool (samlocal, cdklocal, the AWS CLI) needs in its environment to reach this environment."""
    url = endpoint_url()
    return {
        "AWS_ENDPOINT_URL": url,
        # cdklocal and samlocal build their S3 endpoints from these (virtual-host style needs DNS).
        "AWS_ENDPOINT_URL_S3": url,
        "LOCALSTACK_HOSTNAME": urllib.parse.urlsplit(url).hostname or "127.0.0.1",
        "EDGE_PORT": str(urllib.parse.urlsplit(url).port or 4566),
        "AWS_DEFAULT_REGION": region(),
        "AWS_REGION": region(),
        **DUMMY_CREDENTIALS,
    }


def client(service: str, **config):
    """A client of the environment: client("sqs"), client("lambda", read_timeout=60)."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url(),
        region_name=region(),
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(**config) if config else None,
    )
