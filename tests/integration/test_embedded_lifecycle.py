"""`make up` / `make down` of the embedded mode, each test on its own LocalStack instance (own port
and state directory), so the shared instance the rest of the suite uses is not disturbed."""

import json
import os
import socket
import subprocess
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.integration.conftest import FUNCTIONS, zip_folder

PROJECT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def instance(tmp_path):
    """Environment for make targets that selects a private embedded instance; stops it afterwards."""
    env = os.environ | {
        "LOCALSTACK_MODE": "embedded",
        "LOCALSTACK_PORT": str(free_port()),
        "EMBEDDED_STATE_DIR": str(tmp_path / "state"),
        "LOCALSTACK_INIT_DIR": str(tmp_path / "init"),
    }
    (tmp_path / "init" / "ready.d").mkdir(parents=True)
    yield env
    subprocess.run(["make", "down"], cwd=PROJECT, env=env, capture_output=True, timeout=60)


def make(target: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["make", target], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=180)


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_failing_init_hook_is_reported_with_its_output_and_a_non_zero_exit(instance, tmp_path):
    hook = tmp_path / "init" / "ready.d" / "10_broken.py"
    hook.write_text('print("provisioning the shop")\nraise RuntimeError("table definition is wrong")\n')

    result = make("up", instance)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "10_broken.py (ERROR)" in output
    assert "table definition is wrong" in output
    assert "provisioning the shop" in output


def test_up_refuses_a_port_that_is_in_use(instance):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", int(instance["LOCALSTACK_PORT"])))
        blocker.listen()

        result = make("up", instance)

    assert result.returncode != 0
    assert "already in use" in result.stderr


def test_down_leaves_no_localstack_or_function_process_and_frees_the_port(instance):
    port = int(instance["LOCALSTACK_PORT"])
    assert make("up", instance).returncode == 0
    localstack_pid = int((Path(instance["EMBEDDED_STATE_DIR"]) / "localstack.pid").read_text())
    invoke_a_function(port)
    processes = [psutil.Process(localstack_pid), *psutil.Process(localstack_pid).children(recursive=True)]
    assert any("bootstrap.py" in " ".join(p.cmdline()) for p in processes), "a function process was running"

    result = make("down", instance)

    assert result.returncode == 0, result.stdout + result.stderr
    alive = [p.pid for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == []
    assert port_is_free(port)


def invoke_a_function(port: int) -> None:
    import boto3

    endpoint = f"http://127.0.0.1:{port}"
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    lambda_client = session.client("lambda", endpoint_url=endpoint)
    lambda_client.create_function(
        FunctionName="lifecycle-probe",
        Runtime="python3.12",
        Handler="app.handler",
        Role="arn:aws:iam::000000000000:role/lifecycle-probe",
        Code={"ZipFile": zip_folder(FUNCTIONS / "runtime_probe")},
    )
    lambda_client.get_waiter("function_active_v2").wait(FunctionName="lifecycle-probe")
    payload = json.load(lambda_client.invoke(FunctionName="lifecycle-probe")["Payload"])
    assert payload["invocations"] == 1
    with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=5) as response:
        assert response.status == 200
