"""The embedded runtime under abuse: each misbehaving function ends with a clear Lambda error, its
environment is replaced, and the runtime keeps serving other functions."""

import base64

import psutil
import pytest

pytestmark = pytest.mark.usefixtures("embedded_only")


def test_printing_10_mb_succeeds_with_capped_logs_and_the_environment_keeps_serving(create_function, invoke):
    name = create_function()

    result, response = invoke(name, {"action": "print", "bytes": 10 * 2**20}, LogType="Tail")
    after, _ = invoke(name)

    assert "FunctionError" not in response
    assert result["invocations"] == 1
    assert len(base64.b64decode(response["LogResult"])) <= 4096  # the tail AWS returns
    assert after["invocations"] == 2, "the same warm environment serves the next invocation"


def test_a_memory_leak_is_killed_at_memory_size_and_the_environment_replaced(create_function, invoke):
    name = create_function(MemorySize=128, Timeout=30)
    bystander = create_function()

    error, response = invoke(name, {"action": "leak"})
    after, _ = invoke(name)
    other, _ = invoke(bystander)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ExitError"
    assert "signal: killed" in error["errorMessage"]
    assert after["invocations"] == 1, "a fresh environment"
    assert other["invocations"] == 1, "other functions are served as before"


def test_sys_exit_in_the_middle_of_work_is_an_exit_error_and_the_runtime_recovers(create_function, invoke):
    name = create_function()
    warm, _ = invoke(name)

    error, response = invoke(name, {"action": "exit", "code": 0})
    after, _ = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ExitError"
    assert after["pid"] != warm["pid"]


def test_a_timed_out_environment_ends_with_every_process_it_started_however_detached(create_function, invoke):
    # Given daemons a function started with setsid, a process group of their own, and `env -i`
    name = create_function("process_probe", Timeout=2)
    spawned, _ = invoke(name, {"action": "detach"})
    pids = {"runtime": spawned["pid"], **spawned["detached"]}

    # When an invocation times out, which replaces the environment
    error, _ = invoke(name, {"action": "sleep", "seconds": 10})

    # Then none of them is left
    assert error["errorType"] == "Sandbox.Timedout"
    assert [way for way, pid in pids.items() if _alive(pid)] == [], "the invoker's answer comes after they ended"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
