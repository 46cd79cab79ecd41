"""Private embedded LocalStack instances for lifecycle and security tests: each on its own port and
state directory, so the shared instance the rest of the suite uses is not disturbed."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import psutil
import pytest

from embedded_localstack import eventually
from embedded_localstack.lifecycle import reaper
from infra.archives import zip_folder
from tests.integration.invocations import FUNCTIONS

PROJECT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def private_env(tmp_path, **settings: str) -> dict:
    """Environment for make targets that selects a private embedded instance (a free port, a state
    directory under tmp_path), with these settings on top."""
    own = {
        "LOCALSTACK_MODE": "embedded",
        "LOCALSTACK_PORT": str(free_port()),
        "EMBEDDED_STATE_DIR": str(tmp_path / "state"),
    }
    return os.environ | own | settings


@pytest.fixture
def instance(tmp_path):
    """A private embedded instance with an init folder of its own; stops it afterwards."""
    env = private_env(tmp_path, LOCALSTACK_INIT_DIR=str(tmp_path / "init"))
    (tmp_path / "init" / "ready.d").mkdir(parents=True)
    yield env
    subprocess.run(["make", "down"], cwd=PROJECT, env=env, capture_output=True, timeout=60)


def make(target: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["make", target], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=180)


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def localstack_pid(env: dict) -> int:
    return json.loads((Path(env["EMBEDDED_STATE_DIR"]) / "localstack.pid").read_text())["pid"]


def instance_processes(env: dict) -> list[int]:
    """Every process of the instance: LocalStack and what carries its function marker."""
    return reaper.marked(reaper.instance_id(Path(env["EMBEDDED_STATE_DIR"])), localstack=True)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def lambda_client(env: dict):
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    return session.client("lambda", endpoint_url=f"http://127.0.0.1:{env['LOCALSTACK_PORT']}")


def create_probe(env: dict, name: str, source: str = "process_probe", **settings) -> "boto3.client":
    client = lambda_client(env)
    client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Handler="app.handler",
        Role=f"arn:aws:iam::000000000000:role/{name}",
        Code={"ZipFile": zip_folder(FUNCTIONS / source)},
        **({"Timeout": 10} | settings),
    )
    client.get_waiter("function_active_v2").wait(FunctionName=name)
    return client


def invoke(client, name: str, event: dict) -> tuple[dict, dict]:
    response = client.invoke(FunctionName=name, Payload=json.dumps(event))
    return json.loads(response["Payload"].read() or "null"), response


def up_with_a_late_failing_hook(env: dict, tmp_path: Path, error: str) -> tuple[subprocess.Popen, Path]:
    """Starts `up` on the instance whose init folder is tmp_path/init, with a ready hook that fails with
    RuntimeError(error) once the file it returns exists. Returns the `up` process once the hook runs."""
    started, fail_now = tmp_path / "hook-started", tmp_path / "fail-now"
    (tmp_path / "init" / "ready.d" / "10_late_failure.py").write_text(
        f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\n"
        f"while not pathlib.Path({str(fail_now)!r}).exists(): time.sleep(0.05)\n"
        f"raise RuntimeError({error!r})\n"
    )
    up = up_in_background(env)
    eventually(started.exists, timeout=60, what="the hook started")
    return up, fail_now


def up_in_background(env: dict) -> subprocess.Popen:
    """`up` of the instance `env` names, started and not waited for (its output discarded)."""
    return subprocess.Popen(
        [sys.executable, "-m", "embedded_localstack", "up"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
