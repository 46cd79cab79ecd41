"""A running instance is recognised by its pid file whatever the start time psutil reads for it that
moment (it moves with the boot time the kernel reports), and only by its own marker and command line:
a status that took a live LocalStack for a stale pid file would make the next `up` kill it."""

import json
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from embedded_localstack import Instance, eventually
from embedded_localstack.lifecycle.instance import CREATE_TIME_DRIFT_SECONDS
from embedded_localstack.lifecycle.reaper import INSTANCE_MARKER


@pytest.fixture
def instance(tmp_path) -> Instance:
    state = tmp_path / "state"
    state.mkdir()
    return Instance(port=1, state_dir=state, init_dir=tmp_path)


@pytest.fixture
def stand_in(instance):
    """A process that carries the instance's marker, as its LocalStack does."""
    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    process = subprocess.Popen(command, env={INSTANCE_MARKER: instance.id, "PATH": "/usr/bin:/bin"})
    stand_in = psutil.Process(process.pid)
    eventually(lambda: stand_in.cmdline() == command, timeout=10)  # exec'd: what a pid file would record
    yield stand_in
    process.kill()
    process.wait()


def record(instance: Instance, process: psutil.Process, create_time: float, cmdline: list[str] | None = None) -> None:
    identity = {"pid": process.pid, "create_time": create_time, "cmdline": cmdline or process.cmdline()}
    Path(instance.pid_file).write_text(json.dumps(identity))


@pytest.mark.parametrize("drift", [-CREATE_TIME_DRIFT_SECONDS, -0.5, 0, 0.5, CREATE_TIME_DRIFT_SECONDS])
def test_the_instance_is_recognised_when_its_start_time_reads_a_little_differently(instance, stand_in, drift):
    record(instance, stand_in, stand_in.create_time() + drift)

    assert instance.running() == stand_in
    assert instance.pid_file.exists()


@pytest.mark.parametrize(
    "change",
    [{"create_time": 3600.0}, {"cmdline": ["python", "-m", "something.else"]}],
    ids=["started-an-hour-apart", "another-command-line"],
)
def test_a_process_that_is_not_the_recorded_one_is_stale(instance, stand_in, change):
    record(
        instance,
        stand_in,
        stand_in.create_time() + change.get("create_time", 0),
        change.get("cmdline"),
    )

    assert instance.running() is None
    assert not instance.pid_file.exists()
    assert stand_in.is_running(), "never signalled"
