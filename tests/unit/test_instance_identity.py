"""A running instance is recognised by its pid file whatever the wall clock does (psutil's start times
move with every adjustment of it), and only by its own start, marker and command line: a status that
took a live LocalStack for a stale pid file would make the next `up` start a second one."""

import json
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from embedded_localstack import Instance, eventually
from embedded_localstack.lifecycle import process_start
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


def record(instance: Instance, process: psutil.Process, started: float, cmdline: list[str] | None = None) -> None:
    identity = {"pid": process.pid, "started": started, "cmdline": cmdline or process.cmdline()}
    Path(instance.pid_file).write_text(json.dumps(identity))


@pytest.mark.parametrize("clock_moved_by", [-3600, -2.5, 0, 2.5, 3600])
def test_the_instance_is_recognised_however_far_the_wall_clock_moved(instance, stand_in, monkeypatch, clock_moved_by):
    # Given the pid file `up` wrote
    instance.record(stand_in.pid, stand_in.cmdline())
    # When the wall clock is adjusted, which moves the boot time the kernel reports, and so psutil's start times
    boot_time, read_before = psutil.boot_time(), psutil.Process(stand_in.pid).create_time()
    monkeypatch.setattr(psutil._pslinux, "boot_time", lambda: boot_time + clock_moved_by)
    assert psutil.Process(stand_in.pid).create_time() == pytest.approx(read_before + clock_moved_by)

    # Then it is still this instance's LocalStack, and its pid file stays
    assert instance.running() == stand_in
    assert instance.pid_file.exists()


@pytest.mark.parametrize(
    "change",
    [{"started": 0.01}, {"cmdline": ["python", "-m", "something.else"]}],
    ids=["started-a-tick-apart", "another-command-line"],
)
def test_a_process_that_is_not_the_recorded_one_is_stale(instance, stand_in, change):
    record(
        instance,
        stand_in,
        process_start.start_of(stand_in.pid) + change.get("started", 0),
        change.get("cmdline"),
    )

    assert instance.running() is None
    assert not instance.pid_file.exists()
    assert stand_in.is_running(), "never signalled"


@pytest.mark.parametrize(
    "identity",
    [{"pid": -1}, {"pid": "7327"}, {"pid": True}, {"pid": 0}, {"pid": 1.5}],
    ids=["negative", "text", "bool", "zero", "float"],
)
def test_a_pid_file_with_a_pid_that_is_no_pid_is_stale(instance, identity):
    instance.pid_file.write_text(json.dumps(identity | {"started": 1, "cmdline": []}))

    assert instance.running() is None
    assert not instance.pid_file.exists()
