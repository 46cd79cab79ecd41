"""The one place for settings. Read once, at import, from the environment; documented in the README."""

import os
import urllib.parse
from pathlib import Path

ALLOW_REAL_AWS = os.environ.get("ALLOW_REAL_AWS") == "1"
LOCALSTACK_PORT = int(os.environ.get("LOCALSTACK_PORT") or 4566)
# Inside the LocalStack container and on the host alike, LocalStack answers on the loopback address.
# With ALLOW_REAL_AWS=1 and no AWS_ENDPOINT_URL, boto3 uses AWS's own endpoints (None).
ENDPOINT_URL = os.environ.get("AWS_ENDPOINT_URL") or (None if ALLOW_REAL_AWS else f"http://127.0.0.1:{LOCALSTACK_PORT}")
REGION = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
# Dummy credentials for LocalStack, which accepts any ("test" is its default account 000000000000).
# Against real AWS, boto3's own credential chain applies (profile, SSO, environment).
ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID") or (None if ALLOW_REAL_AWS else "test")
SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY") or (None if ALLOW_REAL_AWS else "test")

# OrderQueue's event source mapping waits up to this long to fill a batch (0: hand over what is there).
ORDER_BATCHING_WINDOW = int(os.environ.get("SHOP_ORDER_BATCHING_WINDOW") or 0)

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "localstack", "localhost.localstack.cloud"}


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value in (None, "") else value == "1"


class RealAwsRefused(RuntimeError):
    pass


def is_local(endpoint_url: str | None) -> bool:
    host = urllib.parse.urlsplit(endpoint_url or "").hostname or ""
    return host in LOCAL_HOSTS or host.endswith(".localhost.localstack.cloud") or host.startswith("127.")


def require_local_endpoint(endpoint_url: str | None = ENDPOINT_URL) -> str | None:
    """Everything here talks to LocalStack; a real account only when ALLOW_REAL_AWS=1 says so."""
    if not is_local(endpoint_url) and not ALLOW_REAL_AWS:
        raise RealAwsRefused(
            f"refusing to talk to {endpoint_url or 'AWS'}: it is not a local LocalStack endpoint. "
            "Set ALLOW_REAL_AWS=1 to use a real AWS account on purpose."
        )
    return endpoint_url


# Failure injection (a testing aid, see FaultInjection in api/openapi.yaml): on for LocalStack,
# off for any other endpoint unless SHOP_FAULT_INJECTION=1.
FAULT_INJECTION = _flag("SHOP_FAULT_INJECTION", default=is_local(ENDPOINT_URL))

# Hot reload (development): functions run straight from lambdas/ through build/hot-reload/<function>,
# so an edit applies on the next invoke. HOT_RELOAD=0 deploys the archives. Never on real AWS.
HOT_RELOAD = _flag("HOT_RELOAD", default=True) and is_local(ENDPOINT_URL)
# The project folder as the machine running the functions sees it: in Docker mode the init hook runs
# in the LocalStack container, but Lambda containers mount this host path (docker-compose.yml).
HOST_PROJECT_DIR = os.environ.get("HOST_PROJECT_DIR") or str(Path(__file__).resolve().parents[1])

# SHOP=0 starts a bare environment: LocalStack without any of the shop's resources, for one's own apps
# (docs/your-own-app.md). The init hook, `make up` and `make status` read it here.
SHOP = _flag("SHOP", default=True)
