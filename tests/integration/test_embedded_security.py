"""The embedded runtime as an attacker on the network, or a function, would probe it: it listens on
loopback only, leaks nothing of the developer's shell, and runs functions under Lambda's limits."""

import os
import socket
from pathlib import Path

import psutil
import pytest

from embedded_localstack.lifecycle.instance import Instance
from tests.integration.embedded_instances import (  # noqa: F401 (instance is a fixture)
    create_probe,
    instance,
    invoke,
    localstack_pid,
    make,
)

LOOPBACK = {"127.0.0.1", "::1"}
CANARIES = {
    "AWS_ACCESS_KEY_ID": "canary-access-key-id",
    "AWS_SECRET_ACCESS_KEY": "canary-secret-access-key",
    "AWS_SESSION_TOKEN": "canary-session-token",
    "AWS_PROFILE": "canary-profile",
    "ALLOW_REAL_AWS": "1",
    # TEST-NET-1: never routed. The hook below only reads the setting; nothing connects to it.
    "AWS_ENDPOINT_URL": "http://192.0.2.1:9",
    "SOME_TOKEN_OF_THE_DEVELOPER": "canary-token",
}


def listening_addresses(pid: int) -> set[tuple[int, str]]:
    root = psutil.Process(pid)
    found = set()
    for process in [root, *root.children(recursive=True)]:
        try:
            connections = process.net_connections(kind="inet")
        except psutil.NoSuchProcess:  # another test's environment ended while we looked: nothing listens
            continue
        found |= {
            (process.pid, connection.laddr.ip)
            for connection in connections
            # TCP listeners, and UDP sockets that take datagrams from anyone
            if connection.status == psutil.CONN_LISTEN
            or (connection.type == socket.SOCK_DGRAM and not connection.raddr)
        }
    return found


@pytest.mark.usefixtures("embedded_only")
def test_localstack_and_its_function_processes_listen_on_loopback_only(create_function, invoke):
    # Given a warm function environment, which has a listener of its own
    invoke(create_function(), {})
    pid = Instance.from_env().running(remove_stale=False).pid

    # When
    addresses = listening_addresses(pid)

    # Then
    assert len({p for p, _ in addresses}) >= 2, f"LocalStack and a function process listen: {addresses}"
    assert {address for _, address in addresses} <= LOOPBACK, addresses


@pytest.mark.lifecycle
def test_the_shells_secrets_reach_neither_localstack_nor_its_hook_nor_a_function(instance, tmp_path):
    # Given a shell full of credentials and endpoint settings, and a hook that records what it would provision
    seen = tmp_path / "hook-saw"
    (tmp_path / "init" / "ready.d" / "10_record.py").write_text(
        "import os, sys\n"
        "sys.path.insert(0, os.environ['SHOP_PROJECT_DIR'])\n"
        "from infra import settings\n"
        f"open({str(seen)!r}, 'w').write(f'{{settings.ENDPOINT_URL}} {{settings.ALLOW_REAL_AWS}} {{settings.ACCESS_KEY_ID}}')\n"
    )
    shell = instance | CANARIES

    # When
    assert make("up", shell).returncode == 0
    client = create_probe(shell | {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}, "canary-reader")
    seen_by_function, _ = invoke(client, "canary-reader", {"action": "environ"})

    # Then
    environ = Path(f"/proc/{localstack_pid(shell)}/environ").read_bytes().decode(errors="replace")
    readable = [environ, str(seen_by_function["own"]), seen_by_function["parent"]]
    leaks = [(name, value) for name, value in CANARIES.items() for text in readable if value in text and value != "1"]
    assert leaks == []
    assert "ALLOW_REAL_AWS" not in environ and "AWS_PROFILE" not in environ
    assert "LOCALSTACK_PORT" not in seen_by_function["own"], "functions get what Lambda provides"
    assert seen.read_text() == f"http://127.0.0.1:{shell['LOCALSTACK_PORT']} False test", (
        "the hook provisions its own LocalStack"
    )


@pytest.mark.usefixtures("embedded_only")
def test_functions_run_with_lambdas_file_and_process_limits_from_the_first_line_of_their_code(create_function, invoke):
    name = create_function("process_probe")

    limits, _ = invoke(name, {"action": "limits"})
    files, _ = invoke(name, {"action": "open_files", "count": 2000})

    expected = {"RLIMIT_NOFILE": [1024, 1024], "RLIMIT_NPROC": [1024, 1024], "RLIMIT_CORE": [0, 0]}
    assert limits["at_import"] == expected
    assert limits["in_handler"] == expected
    assert files["error"] == "Too many open files" and files["opened"] < 1024


@pytest.mark.usefixtures("embedded_only")
@pytest.mark.skipif(
    os.geteuid() == 0, reason="the kernel does not apply RLIMIT_NPROC to root (docs/embedded-runtime.md, Security)"
)
def test_a_fork_bomb_in_a_function_stops_at_the_process_limit(create_function, invoke):
    name = create_function("process_probe", Timeout=30)

    result, _ = invoke(name, {"action": "fork_bomb"})

    assert result["error"] == "Resource temporarily unavailable"


@pytest.mark.usefixtures("embedded_only")
def test_a_timeout_kills_the_environments_whole_process_tree_including_setsid_daemons(create_function, invoke):
    # Given an environment whose function started a child and a daemon (double fork, setsid)
    name = create_function("process_probe", Timeout=2)
    spawned, _ = invoke(name, {"action": "spawn"})

    # When an invocation times out
    error, _ = invoke(name, {"action": "sleep", "seconds": 30})

    # Then the environment's every process is gone
    assert error["errorType"] == "Sandbox.Timedout"
    survivors = [
        pid
        for pid in [spawned["pid"], *spawned["children"]]
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
    assert survivors == []
