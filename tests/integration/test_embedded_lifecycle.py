"""`make up` / `make down` of the embedded mode, each test on its own LocalStack instance (own port
and state directory), so the shared instance the rest of the suite uses is not disturbed."""

import json
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import psutil
import pytest

from client.waiting import eventually
from infra.archives import zip_folder
from tests.integration.embedded_instances import (  # noqa: F401 (instance is a fixture)
    PROJECT,
    alive,
    create_probe,
    free_port,
    instance,
    instance_processes,
    invoke,
    localstack_pid,
    make,
    port_is_free,
    up_with_a_late_failing_hook,
)
from tests.integration.invocations import FUNCTIONS

pytestmark = pytest.mark.lifecycle


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
    invoke_a_function(port)
    processes = [
        psutil.Process(localstack_pid(instance)),
        *psutil.Process(localstack_pid(instance)).children(recursive=True),
    ]
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


def localenv_status(env: dict) -> subprocess.CompletedProcess:
    """What `make status` runs, with its exit code: 0 ready, 3 not running, 4 starting, 5 a hook failed."""
    return subprocess.run(
        ["scripts/localenv.sh", "status"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )


# -- identity before signals ----------------------------------------------------------------------


@pytest.mark.parametrize("recorded", ["plain pid", "pid with another start time"])
def test_a_pid_file_naming_an_unrelated_process_is_stale_and_that_process_is_never_signalled(instance, recorded):
    # Given a pid file left by a crash, whose pid now belongs to another program
    bystander = subprocess.Popen(["sleep", "300"])
    try:
        pid_file = Path(instance["EMBEDDED_STATE_DIR"]) / "localstack.pid"
        pid_file.parent.mkdir(parents=True)
        identity = {
            "pid": bystander.pid,
            "started": 1.0,
            "cmdline": [sys.executable, "-m", "localstack.runtime.main"],
        }
        pid_file.write_text(str(bystander.pid) if recorded == "plain pid" else json.dumps(identity))

        # When
        status = localenv_status(instance)
        started = make("up", instance)
        stopped = make("down", instance)

        # Then
        assert status.returncode == 3 and "stale pid file" in status.stderr
        assert started.returncode == 0, started.stdout + started.stderr
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert bystander.poll() is None, "the unrelated process is alive"
    finally:
        bystander.kill()
        bystander.wait()


def test_a_pid_file_copied_from_another_instance_does_not_let_down_stop_that_instance(instance, tmp_path):
    # Given a running instance, and a second instance whose pid file is a copy of the first's
    assert make("up", instance).returncode == 0
    other = instance | {"EMBEDDED_STATE_DIR": str(tmp_path / "other-state"), "LOCALSTACK_PORT": str(free_port())}
    Path(other["EMBEDDED_STATE_DIR"]).mkdir()
    (Path(other["EMBEDDED_STATE_DIR"]) / "localstack.pid").write_text(
        (Path(instance["EMBEDDED_STATE_DIR"]) / "localstack.pid").read_text()
    )

    # When
    result = make("down", other)

    # Then
    assert result.returncode == 0 and "stale pid file" in result.stderr
    assert alive(localstack_pid(instance))


def test_concurrent_ups_start_one_localstack(instance):
    # When two `make up` race on the same instance
    racers = [
        subprocess.Popen(
            ["make", "up"], cwd=PROJECT, env=instance, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [racer.communicate(timeout=180)[0] for racer in racers]

    # Then both succeed, and exactly one LocalStack runs: the second found the first's
    assert [racer.returncode for racer in racers] == [0, 0], outputs
    localstacks = [
        pid for pid in instance_processes(instance) if "localstack.runtime.main" in psutil.Process(pid).cmdline()
    ]
    assert localstacks == [localstack_pid(instance)]
    assert sum("already running" in output for output in outputs) == 1


# -- honest lifecycle ----------------------------------------------------------------------------


def test_a_failed_up_stops_what_it_started(instance, tmp_path):
    (tmp_path / "init" / "ready.d" / "10_broken.py").write_text('raise RuntimeError("broken on purpose")\n')

    result = make("up", instance)

    assert result.returncode != 0
    assert instance_processes(instance) == [], "no LocalStack or function process of the instance is left"
    assert port_is_free(int(instance["LOCALSTACK_PORT"]))
    assert localenv_status(instance).returncode == 3


def test_status_and_the_test_runners_refuse_an_instance_whose_init_hook_failed(instance, tmp_path):
    # Given a LocalStack whose hook fails after `up` stopped watching (its process was killed)
    up, fail_now = up_with_a_late_failing_hook(instance, tmp_path, "late failure")
    up.send_signal(signal.SIGKILL)
    up.wait()
    fail_now.touch()

    # When
    status = eventually(
        lambda: (r := localenv_status(instance)).returncode not in (0, 4) and r, timeout=30, what="the hook's failure"
    )
    runner = subprocess.run(
        ["scripts/with-localstack.sh", "true"], cwd=PROJECT, env=instance, capture_output=True, text=True, timeout=120
    )
    pytest_run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/integration/test_provisioning.py"],
        cwd=PROJECT,
        env=instance | {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{instance['LOCALSTACK_PORT']}"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    # Then
    assert status.returncode == 5
    assert "ready.d/10_late_failure.py (ERROR)" in status.stderr
    assert runner.returncode != 0 and "not ready" in runner.stderr
    assert pytest_run.returncode == 2 and "init hook failed" in pytest_run.stdout + pytest_run.stderr
    assert localstack_pid(instance) in instance_processes(instance), "what it did not start, the runner left running"


def test_up_on_a_running_instance_reapplies_the_ready_hooks_with_the_new_settings(instance, tmp_path):
    seen = tmp_path / "hot-reload-seen"
    (tmp_path / "init" / "ready.d" / "10_record.py").write_text(
        f"import os\nwith open({str(seen)!r}, 'a') as f: f.write(os.environ['HOT_RELOAD'] + ' ' + os.environ['AWS_ENDPOINT_URL'] + '\\n')\n"
    )

    first = make("up", instance | {"HOT_RELOAD": "1"})
    again = make("up", instance | {"HOT_RELOAD": "0", "AWS_ENDPOINT_URL": "http://192.0.2.1:9"})

    assert first.returncode == 0 and again.returncode == 0, first.stdout + first.stderr + again.stdout + again.stderr
    endpoint = f"http://127.0.0.1:{instance['LOCALSTACK_PORT']}"
    assert seen.read_text().splitlines() == [f"1 {endpoint}", f"0 {endpoint}"]


# -- everything bounded and reaped ----------------------------------------------------------------


def test_make_down_kills_function_children_that_left_with_setsid(instance):
    assert make("up", instance).returncode == 0
    client = create_probe(instance, "escape-down")
    spawned, _ = invoke(client, "escape-down", {"action": "spawn"})

    result = make("down", instance)

    assert result.returncode == 0, result.stdout + result.stderr
    assert [pid for pid in [spawned["pid"], *spawned["children"]] if alive(pid)] == []


def test_make_down_ends_function_children_however_they_detached(instance):
    # Given daemons a function started with setsid, with a process group of their own, and through
    # `env -i` (no marker in their environment), each forked twice so that its parent is gone
    assert make("up", instance).returncode == 0
    client = create_probe(instance, "detach-down")
    spawned, _ = invoke(client, "detach-down", {"action": "detach"})
    pids = {"runtime": spawned["pid"], **spawned["detached"]}
    assert [way for way, pid in pids.items() if not alive(pid)] == [], "the probe started them all"

    # When
    result = make("down", instance)

    # Then none of them is left
    assert result.returncode == 0, result.stdout + result.stderr
    assert [way for way, pid in pids.items() if alive(pid)] == []


def test_when_localstack_is_killed_its_functions_and_their_children_exit_within_5_s(instance):
    assert make("up", instance).returncode == 0
    client = create_probe(instance, "escape-kill")
    spawned, _ = invoke(client, "escape-kill", {"action": "spawn"})
    detached, _ = invoke(client, "escape-kill", {"action": "detach"})
    pids = [spawned["pid"], *spawned["children"], *detached["detached"].values()]

    psutil.Process(localstack_pid(instance)).kill()

    eventually(lambda: not any(alive(pid) for pid in pids), timeout=5, what="every function process exited")


def test_leftovers_of_a_killed_instance_are_cleaned_at_the_next_up_and_only_its_own(instance, tmp_path):
    # Given an instance killed with everything that would clean up after it (the reaper, the
    # environment's init, LocalStack), leaving a detached child,
    first = make("up", instance)
    assert first.returncode == 0, first.stdout + first.stderr
    client = create_probe(instance, "leftover")
    spawned, _ = invoke(client, "leftover", {"action": "spawn"})
    state = Path(instance["EMBEDDED_STATE_DIR"])
    watchers = [
        p
        for p in psutil.process_iter(["cmdline"])
        if "embedded_localstack.lifecycle.reaper" in " ".join(p.info["cmdline"] or []) and reaper_of(p, state)
    ]
    runtime = psutil.Process(spawned["pid"])
    for process in [*watchers, runtime.parent(), runtime, psutil.Process(localstack_pid(instance))]:
        process.kill()
    # and a process of another instance that carries the same kind of marker
    other = subprocess.Popen(["sleep", "300"], env={"_EMBEDDED_ENV_ID": "0123456789abcdef/other-environment"})
    try:
        assert alive(spawned["children"][1]), "the detached child survived"

        # When
        result = make("up", instance)

        # Then
        assert result.returncode == 0, result.stdout + result.stderr
        assert "left behind" in result.stdout
        assert not alive(spawned["children"][1])
        assert other.poll() is None, "another instance's process is left alone"
        environments = list((state / "filesystem").rglob("lambda-environments/*"))
        assert environments == [], "the work dirs of the killed instance are gone"
    finally:
        other.kill()
        other.wait()


def reaper_of(process: psutil.Process, state: Path) -> bool:
    from embedded_localstack.lifecycle.reaper import instance_id

    return instance_id(state) in process.info["cmdline"]


def test_every_environment_start_is_bounded_by_the_startup_timeout(instance):
    # LocalStack's startup timeout, short so that the test is quick.
    instance = instance | {"LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT": "3"}
    assert make("up", instance).returncode == 0
    client = create_probe(instance, "hang-after-crash", Environment={"Variables": {"HANG_AT_IMPORT": "after_crash"}})
    first, _ = invoke(client, "hang-after-crash", {})

    # When the environment crashes, and its replacement hangs at import
    invoke(client, "hang-after-crash", {"action": "crash"})
    error, response = invoke(client, "hang-after-crash", {})

    # Then the invoker gets the startup timeout's own error (not the invocation's), and the process is gone
    assert response.get("FunctionError") == "Unhandled"
    assert error["errorType"] == "Runtime.InitTimeout"
    hung = [pid for pid in instance_processes(instance) if pid != localstack_pid(instance)]
    assert hung == [], "the hanging process was killed"
    assert not alive(first["pid"])
