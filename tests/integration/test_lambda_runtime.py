"""Lambda runtime semantics, through LocalStack's Lambda API. In embedded mode they exercise our
local-process executor; in Docker mode, LocalStack's containers. The expectations are AWS's."""

import base64
import shutil
import threading
import time
from pathlib import Path

from tests.integration.conftest import FUNCTIONS
from tests.waiting import eventually


def test_module_state_survives_warm_invocations(create_function, invoke):
    name = create_function()

    first, _ = invoke(name)
    second, _ = invoke(name)

    assert first["invocations"] == 1
    assert second["invocations"] == 2
    assert second["loadedAt"] == first["loadedAt"], "module initialisation must run once per environment"


def test_context_object_carries_the_lambda_fields(create_function, invoke):
    name = create_function(MemorySize=256, Timeout=7)

    result, response = invoke(name)

    context = result["context"]
    assert context["aws_request_id"] == response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert context["function_name"] == name
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"].endswith(f":function:{name}")
    assert context["memory_limit_in_mb"] == 256
    assert context["log_group_name"] == f"/aws/lambda/{name}"
    assert context["log_stream_name"]
    assert 5000 < context["remaining_ms"] <= 7000


def test_environment_gives_credentials_region_handler_and_a_working_endpoint(create_function, invoke):
    name = create_function()

    result, _ = invoke(name)
    ping, _ = invoke(name, {"action": "ping"})

    env = result["env"]
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"]
    assert env["_HANDLER"] == "app.handler"
    assert "lambda" in ping["services"], "the function reaches LocalStack at AWS_ENDPOINT_URL"


def test_unhandled_exception_comes_back_in_aws_error_shape(create_function, invoke):
    name = create_function()

    error, response = invoke(name, {"action": "raise", "message": "bad basket"})

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "probe failure: bad basket"
    assert any("app.py" in frame for frame in error["stackTrace"])


def test_timeout_ends_the_invocation_and_replaces_the_environment(create_function, invoke):
    name = create_function(Timeout=1)
    warm, _ = invoke(name)

    started = time.monotonic()
    error, response = invoke(name, {"action": "sleep", "seconds": 5})
    elapsed = time.monotonic() - started
    after, _ = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    assert elapsed < 4, f"the timeout must cut the invocation short, it took {elapsed:.1f} s"
    assert after["invocations"] == 1, "a timed-out environment is replaced, so module state starts over"
    assert after["loadedAt"] != warm["loadedAt"]


def test_runtime_exit_is_an_error_and_the_next_invocation_gets_a_fresh_environment(create_function, invoke):
    name = create_function()

    error, response = invoke(name, {"action": "exit", "code": 3})
    after, _ = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ExitError"
    assert after["invocations"] == 1


def test_missing_handler_module_is_an_import_error(create_function, invoke):
    name = create_function(Handler="no_such_module.handler")

    error, response = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "no_such_module" in error["errorMessage"]


def test_output_is_captured_per_invocation_with_start_end_report(create_function, invoke, logs_client):
    name = create_function()

    _, response = invoke(name, {"action": "describe"}, LogType="Tail")

    tail = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert f"START RequestId: {request_id}" in tail
    assert "probe action=describe invocation=1" in tail
    assert f"END RequestId: {request_id}" in tail
    assert f"REPORT RequestId: {request_id}" in tail

    def logged_report():
        events = logs_client.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        return [e["message"] for e in events if e["message"].startswith(f"REPORT RequestId: {request_id}")]

    eventually(logged_report, timeout=10, what="REPORT line in CloudWatch Logs")


def test_concurrent_invocations_run_in_parallel_environments(create_function, invoke):
    name = create_function()
    results = {}

    def call(key):
        results[key], _ = invoke(name, {"action": "sleep", "seconds": 1.5, "started_at": time.time()})

    threads = [threading.Thread(target=call, args=(key,)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    a, b = results["a"], results["b"]
    assert a["pid"] != b["pid"], "each concurrent invocation needs its own environment"
    assert a["start"] < b["finishedAt"] and b["start"] < a["finishedAt"], "the two invocations overlap in time"


def test_hot_reload_function_runs_edited_source_on_next_invoke(create_function, invoke, tmp_path: Path):
    source = tmp_path / "probe"
    shutil.copytree(FUNCTIONS / "runtime_probe", source)
    name = create_function(hot_reload_path=source)
    before, _ = invoke(name)

    handler = source / "app.py"
    handler.write_text(handler.read_text().replace('"version": "v1"', '"version": "v2"'))

    after = eventually(lambda: invoke(name)[0]["version"] == "v2", timeout=10, what="edited handler to run")
    assert before["version"] == "v1"
    assert after
