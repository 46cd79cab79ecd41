"""LAMBDA_DEBUG: a function's environment under debugpy, attached to by a DAP client as an IDE does.
On a LocalStack instance of its own (own port and state), started with LAMBDA_DEBUG=product."""

import socket
import subprocess
import threading
from pathlib import Path

import psutil
import pytest
import requests

from client.waiting import eventually
from embedded_localstack.executor.instrumentation import DEBUG_FIRST_PORT, DEFAULT_ATTACH_TIMEOUT_SECONDS
from infra.stack import PRODUCT_API, api_url
from tests.integration.dap_client import DapClient
from tests.integration.embedded_instances import PROJECT, make, private_env

pytestmark = pytest.mark.lifecycle

LOGIC = PROJECT / "lambdas" / "product" / "logic.py"
BREAKPOINT_LINE = next(
    n for n, line in enumerate(LOGIC.read_text().splitlines(), 1) if "pagination.read_page(products" in line
)
STEP_TIMEOUT = 60  # one DAP exchange, on a loaded machine


@pytest.fixture
def debug_instance(tmp_path):
    """A private instance provisioned by the shop's own init hooks, product under the debugger."""
    env = private_env(tmp_path, LAMBDA_DEBUG="product", HOT_RELOAD="1")
    env.pop("LOCALSTACK_INIT_DIR", None)
    yield env
    subprocess.run(["make", "down"], cwd=PROJECT, env=env, capture_output=True, timeout=60)


def attach(path_mappings: list[dict]) -> DapClient:
    """Attaches as VS Code's "Attach to product" does, with a breakpoint in product/logic.py. Retried
    until the environment's debugger answers: before a hot reload replaces the process, the port
    may still belong to the old one, which goes away mid-handshake."""
    return eventually(
        lambda: _attach_once(path_mappings),
        timeout=DEFAULT_ATTACH_TIMEOUT_SECONDS,
        what=f"a debugger attached on 127.0.0.1:{DEBUG_FIRST_PORT}",
    )


def _attach_once(path_mappings: list[dict]) -> DapClient:
    client = DapClient("127.0.0.1", DEBUG_FIRST_PORT, STEP_TIMEOUT)
    try:
        _configure(client, path_mappings)
    except Exception:
        client.close()
        raise
    return client


def _configure(client: DapClient, path_mappings: list[dict]) -> None:
    client.request(
        "initialize",
        STEP_TIMEOUT,
        adapterID="python",
        clientID="test",
        linesStartAt1=True,
        columnsStartAt1=True,
        pathFormat="path",
    )
    client.send("attach", justMyCode=False, pathMappings=path_mappings)
    client.event("initialized", STEP_TIMEOUT)
    reply = client.request(
        "setBreakpoints", STEP_TIMEOUT, source={"path": str(LOGIC)}, breakpoints=[{"line": BREAKPOINT_LINE}]
    )
    assert reply["success"], reply
    assert client.request("configurationDone", STEP_TIMEOUT)["success"]


def listener(port: int) -> int | None:
    """The process listening on the port (the debugger's adapter), if any."""
    return next(
        (c.pid for c in psutil.net_connections("inet") if c.status == psutil.CONN_LISTEN and c.laddr.port == port), None
    )


def stops_at_breakpoint_and_completes(env: dict, path_mappings: list[dict], replaced: int | None = None) -> int:
    """Returns the pid that listened for the debugger; ``replaced``: the one a new process takes over from."""
    url = api_url(f"http://127.0.0.1:{env['LOCALSTACK_PORT']}", PRODUCT_API) + "/product"
    answers = []
    request = threading.Thread(target=lambda: answers.append(requests.get(url, timeout=120)))
    request.start()  # starts the environment, whose first invocation waits for the debugger
    pid = eventually(
        lambda: listener(DEBUG_FIRST_PORT) not in (None, replaced) and listener(DEBUG_FIRST_PORT),
        timeout=DEFAULT_ATTACH_TIMEOUT_SECONDS,
        what="a new debugger listening",
    )
    client = attach(path_mappings)
    try:
        stopped = client.event("stopped", STEP_TIMEOUT)
        assert stopped["body"]["reason"] == "breakpoint", stopped
        frames = client.request("stackTrace", STEP_TIMEOUT, threadId=stopped["body"]["threadId"])["body"]["stackFrames"]
        assert (frames[0]["source"]["path"], frames[0]["line"]) == (str(LOGIC), BREAKPOINT_LINE)
        assert answers == [], "the request must wait while the function is paused"
        client.request("continue", STEP_TIMEOUT, threadId=stopped["body"]["threadId"])
        request.join(STEP_TIMEOUT)
    finally:
        client.close()
    assert answers and answers[0].status_code == 200, answers and answers[0].text
    return pid


def test_debugger_stops_at_a_breakpoint_in_product_logic_from_hot_reload_folder_and_archive(debug_instance):
    env = debug_instance
    up = make("up", env)
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"debug    product: attach to 127.0.0.1:{DEBUG_FIRST_PORT}" in up.stdout
    urls = subprocess.run(["make", "urls"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60)
    assert f"product: attach to 127.0.0.1:{DEBUG_FIRST_PORT}" in urls.stdout

    # Hot reload: the function runs from build/hot-reload/product, links into lambdas/.
    hot_reload = [
        {"localRoot": str(PROJECT / "lambdas"), "remoteRoot": str(PROJECT / "build" / "hot-reload" / "product")}
    ]
    first = stops_at_breakpoint_and_completes(env, hot_reload)
    assert_listens_on_loopback_only(DEBUG_FIRST_PORT)

    # An edit (here: the file saved again, unchanged) replaces the process; the new one listens again
    # and waits for the IDE.
    LOGIC.write_text(LOGIC.read_text())
    second = stops_at_breakpoint_and_completes(env, hot_reload, replaced=first)

    # The archive (HOT_RELOAD=0 re-applies the hooks): run through .state/lambda-debug/product.
    switched = make("up", env | {"HOT_RELOAD": "0"})
    assert switched.returncode == 0, switched.stdout + switched.stderr
    archive_root = Path(env["EMBEDDED_STATE_DIR"]) / "lambda-debug" / "product"
    stops_at_breakpoint_and_completes(
        env, [{"localRoot": str(PROJECT / "lambdas"), "remoteRoot": str(archive_root)}], replaced=second
    )


def assert_listens_on_loopback_only(port: int) -> None:
    listening = [
        c.laddr for c in psutil.net_connections("inet") if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    ]
    assert listening and all(address.ip == "127.0.0.1" for address in listening), listening


def test_an_unknown_function_in_lambda_debug_is_refused_before_anything_starts(tmp_path):
    env = private_env(tmp_path, LAMBDA_DEBUG="product,prodcut")

    result = make("up", env)

    assert result.returncode != 0
    assert "no function named prodcut" in result.stderr
    assert "product" in result.stderr.split("the functions are")[1]
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", int(env["LOCALSTACK_PORT"]))) != 0, "nothing was started"
