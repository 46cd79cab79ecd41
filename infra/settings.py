"""The shop's settings: every environment variable the shop's provisioning, client, tools, dashboard and
benchmarks read, declared here once (the functions' own configuration is lambdas/shared/config.py) and read
once, at import. docs/configuration.md's shop table is rendered from the declarations
(``python -m infra.settings --markdown``); tests/unit/test_settings_homes.py compares the two."""

import sys
import urllib.parse
from pathlib import Path

from embedded_localstack import settings as platform

_ALLOW_REAL_AWS = platform.Setting(
    "ALLOW_REAL_AWS",
    platform.flag,
    False,
    "`1` lets provisioning, tests and tools talk to a non-local endpoint; otherwise they refuse",
    "0 or 1",
    "(unset)",
)
_ACCESS_KEY_ID = platform.Setting(
    "AWS_ACCESS_KEY_ID",
    platform.text,
    "",
    "dummy credentials for LocalStack, which accepts any; with `ALLOW_REAL_AWS=1`, boto3's own chain",
    "an access key id",
    "`test`",
)
_SECRET_ACCESS_KEY = platform.Setting(
    "AWS_SECRET_ACCESS_KEY", platform.text, "", "the dummy credentials' secret", "a secret key", "`test`"
)
_ORDER_BATCHING_WINDOW = platform.Setting(
    "SHOP_ORDER_BATCHING_WINDOW",
    int,
    0,
    "OrderQueue mapping's MaximumBatchingWindowInSeconds (0 is deployed to LocalStack as a 20 s long poll, see below)",
    "a whole number of seconds",
)
_FAULT_INJECTION = platform.Setting(
    "SHOP_FAULT_INJECTION",
    platform.flag,
    None,
    "whether functions honour `faultInjection` in requests",
    "0 or 1",
    "`1` for a local endpoint, else `0`",
)
_HOT_RELOAD = platform.Setting(
    "HOT_RELOAD",
    platform.flag,
    True,
    "functions run straight from `lambdas/`; `0` deploys the built archives",
    "0 or 1",
    "`1` (`make up`), `0` (`make test` when it starts LocalStack, and CI)",
)
_HOST_PROJECT_DIR = platform.Setting(
    "HOST_PROJECT_DIR",
    platform.text,
    str(Path(__file__).resolve().parents[1]),
    "the project's path on the machine that runs the functions (hot-reload folders); set by `make up`",
    "a folder",
    "the checkout, resolved (`pwd -P`)",
)
_SHOP = platform.Setting(
    "SHOP",
    platform.flag,
    True,
    "`0` starts without the shop (a bare environment for your own apps); `make status` says which",
    "0 or 1",
    "`1`",
)
_APPS = platform.Setting(
    "APPS",
    platform.names,
    (),
    "comma-separated app folders `make up` deploys once LocalStack is ready (init/ready.d/20_apps.py; embedded mode)",
    "comma-separated folders",
    "(unset)",
)
_DASHBOARD_PORT = platform.Setting(
    "DASHBOARD_PORT", platform.port, 4580, "`make dashboard`: the page's port on 127.0.0.1", "a port number"
)
_DASHBOARD_REQUEST_BUDGET = platform.Setting(
    "DASHBOARD_REQUEST_BUDGET",
    platform.seconds,
    4.0,
    "`make dashboard`: requests per second the dashboard may send to LocalStack, whatever the number of "
    "resources or pages",
    "a number of requests per second",
    "`4`",
)

# LocalStack's settings the shop's deadlines follow: the shell, else config/localstack.env, else LocalStack's
# own default (localstack/config.py, 4.14.0). client/deadlines.py reads them, not this module at import: the
# shared file is read through the platform's CLI, which the init hook in LocalStack's container never loads.
ENVIRONMENT_START = platform.Setting(
    "LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT",
    platform.seconds,
    20.0,
    "seconds an execution environment may take to start (every start, replacements included)",
    "a number of seconds",
    "`20`",
    localstack=True,
)
POLL_INTERVAL = platform.Setting(
    "LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC",
    platform.seconds,
    1.0,
    "LocalStack's: seconds an event source mapping waits before it polls again",
    "a number of seconds",
    "`1`",
    localstack=True,
)
EMPTY_POLL_BACKOFF = platform.Setting(
    "LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC",
    platform.seconds,
    10.0,
    "LocalStack's: the longest an idle event source mapping backs off between polls",
    "a number of seconds",
    "`10`",
    localstack=True,
)
RETRY_BASE_DELAY = platform.Setting(
    "LAMBDA_RETRY_BASE_DELAY",
    platform.seconds,
    60.0,
    "LocalStack's: asynchronous invocations are retried twice, after 1x and 2x this delay",
    "a number of seconds",
    "`60` (`1` in `config/localstack.env`)",
    localstack=True,
)

# `make bench` (bench/).
_BENCH = platform.Setting(
    "BENCH",
    platform.names,
    (),
    "`make bench`: a comma-separated subset of the suites (a subset is printed, `BENCHMARKS.md` only written by "
    "a whole run); `make profile`: the benchmark to profile (default `poll_orders`)",
    "comma-separated suite names",
    "all",
)
_BENCH_SAMPLES = platform.Setting(
    "BENCH_SAMPLES", int, 300, "`make bench`: samples of each synchronous call", "a number of samples"
)
_BENCH_CHECKOUTS = platform.Setting(
    "BENCH_CHECKOUTS",
    int,
    None,
    "`make bench`: checkouts through the asynchronous paths",
    "a number of checkouts",
    "`100` (`50` poll_orders)",
)
_BENCH_BURST = platform.Setting(
    "BENCH_BURST", int, 500, "`make bench`: checkouts sent at once", "a number of checkouts"
)
_BENCH_FAULT_LOAD = platform.Setting(
    "BENCH_FAULT_LOAD", int, 1000, "`make bench`: checkouts of the load with failures", "a number of checkouts"
)
_BENCH_SCALING_CHECKOUTS = platform.Setting(
    "BENCH_SCALING_CHECKOUTS", int, 100, "`make bench`: checkouts of the scaling run", "a number of checkouts"
)
_BENCH_IDLE_SECONDS = platform.Setting(
    "BENCH_IDLE_SECONDS",
    platform.seconds,
    30.0,
    "`make bench`: seconds of idle measured",
    "a number of seconds",
    "`30`",
)
_BENCH_APP_RUNS = platform.Setting(
    "BENCH_APP_RUNS", int, 5, "`make bench`: deployments of each of one's own apps", "a number of runs"
)
_BENCH_DASHBOARD_LOADS = platform.Setting(
    "BENCH_DASHBOARD_LOADS", int, 10, "`make bench`: page loads of the dashboard", "a number of loads"
)
_BENCH_PEER_ROUNDS = platform.Setting(
    "BENCH_PEER_ROUNDS",
    int,
    2,
    "`make bench`, beside MiniStack (`bench/peer.py`, pinned in `bench/peer-requirements.txt`, installed on first "
    "use into `build/peer/`): rounds of fresh servers",
    "a number of rounds",
)
_BENCH_PEER_SAMPLES = platform.Setting(
    "BENCH_PEER_SAMPLES", int, 200, "`make bench`, beside MiniStack: samples of each call", "a number of samples"
)
_BENCH_PEER_CHAINED = platform.Setting(
    "BENCH_PEER_CHAINED",
    int,
    20,
    "`make bench`, beside MiniStack: samples of the paths that cross services",
    "a number of samples",
)

ALLOW_REAL_AWS = _ALLOW_REAL_AWS.read()
LOCALSTACK_PORT = platform.LOCALSTACK_PORT.read()
# Inside the LocalStack container and on the host alike, LocalStack answers on the loopback address.
# With ALLOW_REAL_AWS=1 and no AWS_ENDPOINT_URL, boto3 uses AWS's own endpoints (None).
ENDPOINT_URL = platform.AWS_ENDPOINT_URL.read() or (None if ALLOW_REAL_AWS else platform.endpoint_url())
REGION = platform.region()
# Dummy credentials for LocalStack, which accepts any ("test" is its default account 000000000000).
# Against real AWS, boto3's own credential chain applies (profile, SSO, environment).
ACCESS_KEY_ID = _ACCESS_KEY_ID.read() or (None if ALLOW_REAL_AWS else "test")
SECRET_ACCESS_KEY = _SECRET_ACCESS_KEY.read() or (None if ALLOW_REAL_AWS else "test")

# OrderQueue's event source mapping waits up to this long to fill a batch (0: hand over what is there).
ORDER_BATCHING_WINDOW = _ORDER_BATCHING_WINDOW.read()

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "localstack", "localhost.localstack.cloud"}


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
FAULT_INJECTION = _FAULT_INJECTION.read()
if FAULT_INJECTION is None:
    FAULT_INJECTION = is_local(ENDPOINT_URL)

# Hot reload (development): functions run straight from lambdas/ through build/hot-reload/<function>,
# so an edit applies on the next invoke. HOT_RELOAD=0 deploys the archives. Never on real AWS.
HOT_RELOAD = _HOT_RELOAD.read() and is_local(ENDPOINT_URL)
# The project folder as the machine running the functions sees it: in Docker mode the init hook runs
# in the LocalStack container, but Lambda containers mount this host path (docker-compose.yml).
HOST_PROJECT_DIR = _HOST_PROJECT_DIR.read()

# SHOP=0 starts a bare environment: LocalStack without any of the shop's resources, for one's own apps
# (docs/your-own-app.md). The init hook, `make up` and `make status` read it here.
SHOP = _SHOP.read()
# Apps the ready hook deploys after the shop (init/ready.d/20_apps.py).
APPS = _APPS.read()

DASHBOARD_PORT = _DASHBOARD_PORT.read()
DASHBOARD_REQUEST_BUDGET = _DASHBOARD_REQUEST_BUDGET.read()

BENCH = _BENCH.read()
BENCH_SAMPLES = _BENCH_SAMPLES.read()
BENCH_CHECKOUTS = _BENCH_CHECKOUTS.read()  # None: each suite's own count
BENCH_BURST = _BENCH_BURST.read()
BENCH_FAULT_LOAD = _BENCH_FAULT_LOAD.read()
BENCH_SCALING_CHECKOUTS = _BENCH_SCALING_CHECKOUTS.read()
BENCH_IDLE_SECONDS = _BENCH_IDLE_SECONDS.read()
BENCH_APP_RUNS = _BENCH_APP_RUNS.read()
BENCH_DASHBOARD_LOADS = _BENCH_DASHBOARD_LOADS.read()
BENCH_PEER_ROUNDS = _BENCH_PEER_ROUNDS.read()
BENCH_PEER_SAMPLES = _BENCH_PEER_SAMPLES.read()
BENCH_PEER_CHAINED = _BENCH_PEER_CHAINED.read()

SETTINGS = platform.declared(dict(globals()))

if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m infra.settings --markdown")
    sys.stdout.write(platform.markdown(SETTINGS))
