"""Lambda runtime semantics, through LocalStack's Lambda API. In embedded mode they exercise our
local-process executor; in Docker mode, LocalStack's containers. The expectations are AWS's."""

import base64
import io
import json
import os
import re
import shutil
import threading
import time
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from localstack import config
from localstack.services.lambda_.runtimes import ALL_RUNTIMES

from client import deadlines
from client.waiting import eventually
from embedded_localstack.lifecycle import reaper
from embedded_localstack.runtimes import interpreters, node_runtime
from infra.archives import DEPENDENCIES, zip_folder
from infra.aws import client
from tests.integration.invocations import FUNCTIONS, TEST_FUNCTION_TIMEOUT, request_id_of, zip_sources
from tests.integration.probe_runtimes import PROBE_RUNTIMES

# The longest line that reaches CloudWatch Logs as one event, in UTF-8 bytes (a longer one is split).
MAX_LOG_EVENT_BYTES = 256 * 1024

# The Lambda semantics below hold for every runtime embedded mode runs: each such test runs once per
# runtime, with the probe written in that runtime's language (same actions, same answers).
PROBES = {"python": "runtime_probe", "nodejs": "runtime_probe_node"}
# What each probe raises for {"action": "raise"}, and where the runtime puts the trace.
RAISED = {"python": ("ValueError", "stackTrace", "app.py"), "nodejs": ("TypeError", "trace", "app.js")}


def language_of(runtime: str) -> str:
    return "nodejs" if runtime.startswith("nodejs") else "python"


def skip_without_node(runtime: str) -> None:
    major = node_runtime.major_of(runtime)
    if major and not node_runtime.find_node(major):
        pytest.skip(
            f"no Node.js {major} here (node{major} or node on PATH, or {node_runtime.VARIABLE.format(major=major)})"
        )


@pytest.fixture(params=PROBE_RUNTIMES)
def runtime(request) -> str:
    skip_without_node(request.param)
    return request.param


@pytest.fixture
def create_probe(create_function, runtime):
    """Creates the runtime's probe function (see create_function)."""

    def create(**overrides) -> str:
        return create_function(PROBES[language_of(runtime)], Runtime=runtime, **overrides)

    return create


def zip_with_dependencies(folder: Path) -> bytes:
    """The folder and the functions' third-party packages (Powertools), as the shop packages them."""
    assert DEPENDENCIES.is_dir(), f"{DEPENDENCIES} is missing: `make up` builds it"
    buffer = io.BytesIO(zip_folder(folder))
    with zipfile.ZipFile(buffer, "a") as archive:
        for path in sorted(DEPENDENCIES.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                archive.write(path, path.relative_to(DEPENDENCIES).as_posix())
    return buffer.getvalue()


def tail_of(response) -> str:
    return base64.b64decode(response["LogResult"]).decode()


def cloudwatch_events_until_report(logs_client, name: str, request_id: str) -> list[str]:
    """The function's CloudWatch events, once the invocation's REPORT line has arrived."""

    def all_events():
        group = f"/aws/lambda/{name}"
        streams = logs_client.describe_log_streams(logGroupName=group)["logStreams"]
        events, token = [], None
        for stream in streams:
            while True:
                page = logs_client.get_log_events(
                    logGroupName=group,
                    logStreamName=stream["logStreamName"],
                    startFromHead=True,
                    **({"nextToken": token} if token else {}),
                )
                events += [event["message"] for event in page["events"]]
                if not page["events"] or page["nextForwardToken"] == token:
                    break
                token = page["nextForwardToken"]
        return events if any(message.startswith(f"REPORT RequestId: {request_id}") for message in events) else None

    return eventually(
        all_events,
        timeout=deadlines.logs(TEST_FUNCTION_TIMEOUT),
        interval=0.5,
        what="the invocation's REPORT line in CloudWatch Logs",
    )


def test_module_state_survives_warm_invocations(create_probe, invoke):
    name = create_probe()

    first, _ = invoke(name)
    second, _ = invoke(name)

    assert first["invocations"] == 1
    assert second["invocations"] == 2
    assert second["loadedAt"] == first["loadedAt"], "module initialisation must run once per environment"


def test_context_object_carries_the_lambda_fields(create_probe, invoke):
    name = create_probe(MemorySize=256, Timeout=7)

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


def test_environment_gives_credentials_region_handler_and_a_working_endpoint(create_probe, invoke):
    name = create_probe()

    result, _ = invoke(name)
    ping, _ = invoke(name, {"action": "ping"})

    env = result["env"]
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"]
    assert env["_HANDLER"] == "app.handler"
    assert "lambda" in ping["services"], "the function reaches LocalStack at AWS_ENDPOINT_URL"


def test_unhandled_exception_comes_back_in_aws_error_shape(create_probe, invoke, runtime):
    name = create_probe()

    error, response = invoke(name, {"action": "raise", "message": "bad basket"})

    error_type, trace, source = RAISED[language_of(runtime)]
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == error_type
    assert error["errorMessage"] == "probe failure: bad basket"
    assert any(source in frame for frame in error[trace])


def test_timeout_ends_the_invocation_and_replaces_the_environment(create_probe, invoke):
    name = create_probe(Timeout=1)
    warm, _ = invoke(name)

    sleep = 5
    started = time.monotonic()
    error, response = invoke(name, {"action": "sleep", "seconds": sleep})
    elapsed = time.monotonic() - started
    after, _ = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    assert elapsed < sleep, f"the timeout must cut the invocation short, it took {elapsed:.1f} s"
    assert after["invocations"] == 1, "a timed-out environment is replaced, so module state starts over"
    assert after["loadedAt"] != warm["loadedAt"]


def test_runtime_exit_is_an_error_and_the_next_invocation_gets_a_fresh_environment(create_probe, invoke):
    name = create_probe()

    # Several rounds: the runtime reports the exit and then ends, and the next invocation must go to a
    # fresh process, never to the one on its way out (which would lose it to that process's exit).
    for _ in range(10):
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
    assert error["errorMessage"] == "Unable to import module 'no_such_module': No module named 'no_such_module'"


def test_exception_raised_at_import_is_reported_with_its_own_type_and_message(create_function, invoke):
    source = 'import os\n\nraise Exception("Runtime startup fails")\n\n\ndef handler(event, context):\n    return "unreachable"\n'
    name = create_function(code={"ZipFile": zip_sources({"app.py": source})})

    error, response = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Exception"
    assert error["errorMessage"] == "Runtime startup fails"
    assert any("app.py" in frame and "line 3" in frame for frame in error["stackTrace"])


def test_missing_dependency_of_the_handler_module_is_an_import_module_error(create_function, invoke):
    source = "import not_installed_anywhere\n\n\ndef handler(event, context):\n    return 1\n"
    name = create_function(code={"ZipFile": zip_sources({"app.py": source})})

    error, response = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"] == "Unable to import module 'app': No module named 'not_installed_anywhere'"


def test_syntax_error_in_the_handler_module_is_a_user_code_syntax_error(create_function, invoke):
    name = create_function(code={"ZipFile": zip_sources({"app.py": "def handler(event, context:\n    return 1\n"})})

    error, response = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert error["errorMessage"].startswith("Syntax error in module 'app': ")
    assert "app.py" in error["stackTrace"][0]


def test_missing_handler_function_is_handler_not_found(create_function, invoke):
    name = create_function(Handler="app.no_such_handler")

    error, response = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.HandlerNotFound"
    assert error["errorMessage"] == "Handler 'no_such_handler' missing on module 'app'"


def test_output_is_captured_per_invocation_with_start_end_report(create_probe, invoke, logs_client):
    name = create_probe()

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

    eventually(logged_report, timeout=deadlines.logs(TEST_FUNCTION_TIMEOUT), what="REPORT line in CloudWatch Logs")


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

    after = eventually(
        lambda: invoke(name)[0]["version"] == "v2",
        timeout=deadlines.invoke(TEST_FUNCTION_TIMEOUT),
        what="edited handler to run",
    )
    assert before["version"] == "v1"
    assert after


def test_response_over_the_payload_limit_is_function_response_size_too_large(create_probe, invoke):
    limit = config.LAMBDA_LIMITS_MAX_FUNCTION_PAYLOAD_SIZE_BYTES  # AWS's 6291556 unless configured
    name = create_probe(MemorySize=512)

    at_limit, accepted = invoke(name, {"action": "respond", "bytes": limit})
    error, refused = invoke(name, {"action": "respond", "bytes": limit + 1})

    assert "FunctionError" not in accepted
    assert len(at_limit) == limit - 2
    assert refused["FunctionError"] == "Unhandled"
    assert error == {
        "errorType": "Function.ResponseSizeTooLarge",
        "errorMessage": f"Response payload size exceeded maximum allowed payload size ({limit} bytes).",
    }


def test_non_ascii_response_is_sent_as_utf8_and_counted_in_utf8_bytes(create_probe, lambda_client):
    # Given a response of "é"s under the limit in UTF-8 (2 bytes each) but over it as \u00e9 escapes (6)
    limit = config.LAMBDA_LIMITS_MAX_FUNCTION_PAYLOAD_SIZE_BYTES
    count = limit // 3
    assert 2 * count + 2 <= limit < 6 * count + 2
    name = create_probe(MemorySize=512)

    # When a python3.12 function returns it
    response = lambda_client.invoke(
        FunctionName=name, Payload=json.dumps({"action": "repeat", "text": "é", "count": count})
    )
    payload = response["Payload"].read()

    # Then it is a response, with the characters as they are, as awslambdaric encodes for python3.12+
    # (and JSON.stringify for Node.js)
    assert "FunctionError" not in response, payload[:300]
    assert payload == ('"' + "é" * count + '"').encode("utf-8")


# Embedded only: in Docker mode LocalStack's runtime has no telemetry log channel (the frames AWS's
# runtime writes each record to), so the record is split at its newlines as plain output.
@pytest.mark.usefixtures("embedded_only")
def test_a_multi_line_logging_record_is_one_cloudwatch_event(create_function, invoke, logs_client):
    source = (
        "import logging\n\n\ndef handler(event, context):\n"
        '    logging.getLogger().warning("first line\\nsecond line")\n'
        '    print("printed one\\nprinted two")\n'
        '    return "ok"\n'
    )
    name = create_function(code={"ZipFile": zip_sources({"app.py": source})})

    _, response = invoke(name)
    events = cloudwatch_events_until_report(logs_client, name, request_id_of(response))

    # The record is one event holding both lines; print's output stays one event per line, as on AWS
    record = [message for message in events if "first line" in message or "second line" in message]
    assert len(record) == 1, events
    assert record[0].startswith("[WARNING]\t") and "first line\rsecond line" in record[0]
    assert [message for message in events if message.startswith("printed")] == ["printed one\n", "printed two\n"]


LOG_LINE = r"\[{level}\]\t(\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}})Z\t{request_id}\t{message}$"


def test_python_logging_uses_the_runtime_handler_and_format_and_powertools_logs_once(create_function, invoke):
    name = create_function(code={"ZipFile": zip_with_dependencies(FUNCTIONS / "logging_probe")})

    _, response = invoke(name, LogType="Tail")

    tail, request_id = tail_of(response), request_id_of(response)
    lines = tail.splitlines()

    def logged(level: str, message: str, request_id: str = request_id) -> datetime:
        pattern = re.compile(LOG_LINE.format(level=level, request_id=request_id, message=re.escape(message)), re.M)
        found = pattern.findall(tail)
        assert len(found) == 1, f"one {level} line {message!r} expected in:\n{tail}"
        return datetime.fromisoformat(found[0]).replace(tzinfo=UTC)

    # Given basicConfig(level=INFO) in the function's code, when it logs, then basicConfig did nothing:
    when = logged("WARNING", "warning from the root logger")
    logged("ERROR", "error from a child logger")
    logged("INFO", "info after setLevel")
    logged("WARNING", "import-time warning", request_id="")  # during init, no request yet
    assert "info before setLevel is dropped" not in tail and "import-time info" not in tail
    assert not any(line.startswith(("INFO:", "WARNING:", "ERROR:")) for line in lines), tail
    assert abs((datetime.now(UTC) - when).total_seconds()) < 60, "timestamps are UTC"
    assert tail.index("import-time warning") < tail.index(f"START RequestId: {request_id}")
    # Powertools' Logger writes its own JSON line, and its record does not reach the root handler too.
    powertools = [line for line in lines if "powertools line" in line]
    assert len(powertools) == 1, tail
    assert '"service":"logging-probe"' in powertools[0] and '"level":"INFO"' in powertools[0]


# Embedded only: in Docker mode LocalStack's own shipper sends the output in one call, long lines whole.
@pytest.mark.usefixtures("embedded_only")
def test_large_output_reaches_cloudwatch_whole_with_start_end_and_report(create_probe, invoke, logs_client):
    # Given output past every CloudWatch limit: 12,000 lines (more events than one call takes,
    # more than 1 MiB) and one line longer than an event
    count, long = 12_000, 600 * 1024
    name = create_probe(MemorySize=256)

    _, response = invoke(name, {"action": "lines", "count": count, "long": long}, LogType="Tail")
    request_id = request_id_of(response)

    events = cloudwatch_events_until_report(logs_client, name, request_id)

    # Then every line is there, in order, from START to REPORT
    assert events[0] == f"START RequestId: {request_id} Version: $LATEST\n"
    numbered = [message for message in events if message.startswith("line ")]
    assert numbered == [f"line {n:06d} " + "y" * 80 + "\n" for n in range(count)]
    long_parts = [message.rstrip("\n") for message in events if message.startswith("z")]
    assert len(long_parts) > 1 and "".join(long_parts) == "z" * long
    assert all(len(message.rstrip("\n").encode()) <= MAX_LOG_EVENT_BYTES for message in events)
    assert events[-3:-2] == ["after the long line\n"]
    assert events[-2] == f"END RequestId: {request_id}\n"
    assert events[-1].startswith(f"REPORT RequestId: {request_id}")
    assert "after the long line" in tail_of(response)


def test_environment_variables_are_lambdas(create_probe, invoke, runtime):
    name = create_probe()

    result, _ = invoke(name, {"action": "environ"})

    env, task_root = result["environ"], result["cwd"]
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{runtime}"
    assert re.fullmatch(r"[\w.-]+:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert env["TZ"] == ":UTC"
    assert env["LANG"] == "en_US.UTF-8"
    assert env["LAMBDA_TASK_ROOT"] == task_root
    assert os.path.isabs(env["LAMBDA_RUNTIME_DIR"]) and env["LAMBDA_RUNTIME_DIR"] != task_root
    # PATH and LD_LIBRARY_PATH as on Lambda, where the runtime lives in /var/lang
    path = env["PATH"].split(":")
    assert path[0] == os.path.dirname(result["executable"])
    assert path[1:] == ["/usr/local/bin", "/usr/bin/", "/bin", "/opt/bin"]
    runtime_dir = env["LAMBDA_RUNTIME_DIR"]
    assert env["LD_LIBRARY_PATH"].split(":") == [
        f"{result['prefix']}/lib",
        "/lib64",
        "/usr/lib64",
        runtime_dir,
        f"{runtime_dir}/lib",
        task_root,
        f"{task_root}/lib",
        "/opt/lib",
    ]
    # LocalStack's documented endpoints stay; its internal variables and the runtime's own do not
    assert env["AWS_ENDPOINT_URL"] and env["LOCALSTACK_HOSTNAME"]
    # (the process marker excepted: children inherit it, so that a stop reaches daemons that left the
    # process tree; see embedded_localstack/lifecycle/reaper.py)
    kept = ("LOCALSTACK_HOSTNAME", reaper.ENV_MARKER)
    internal = [key for key in env if key.startswith(("LOCALSTACK_", "_EMBEDDED")) and key not in kept]
    assert internal == []
    # Scratch space is the temporary folder, outside the code
    assert not result["tmp"].startswith(task_root)
    if language_of(runtime) == "nodejs":
        # Lambda's NODE_PATH: the runtime's SDK (/var/runtime/node_modules), the runtime, the code
        assert env["NODE_PATH"].split(":") == [str(node_runtime.sdk_folder()), runtime_dir, task_root]


def test_unreserved_variables_set_by_the_function_win(create_probe, invoke, runtime):
    name = create_probe(Environment={"Variables": {"LANG": "C.UTF-8", "PATH": "/opt/bin:/usr/bin"}})

    env = invoke(name, {"action": "environ"})[0]["environ"]

    assert env["LANG"] == "C.UTF-8"
    assert env["PATH"] == "/opt/bin:/usr/bin"
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{runtime}"


@pytest.mark.parametrize("runtime", ["python3.12", "python3.13"])
def test_function_runs_on_exactly_its_runtime_python_version(create_function, invoke, runtime):
    name = create_function(Runtime=runtime)

    result, _ = invoke(name, {"action": "environ"})

    assert "python{}.{}".format(*result["python"]) == runtime


def state_of_a_new_function(lambda_client, role_arn: str, prefix: str, runtime: str, probe: str) -> dict:
    """Creates a probe function on the runtime and returns its configuration once it left Pending,
    deleting it again."""
    name = f"{prefix}-{os.urandom(4).hex()}"
    lambda_client.create_function(
        FunctionName=name,
        Runtime=runtime,
        Handler="app.handler",
        Role=role_arn,
        Code={"ZipFile": zip_folder(FUNCTIONS / probe)},
    )
    try:
        return eventually(
            lambda: (c := lambda_client.get_function_configuration(FunctionName=name))["State"] != "Pending" and c,
            timeout=deadlines.ENVIRONMENT_START,
            what="the function to leave Pending",
        )
    finally:
        try:
            lambda_client.delete_function(FunctionName=name)
        except lambda_client.exceptions.ClientError as e:
            # LocalStack 4.14 can neither update nor delete a function whose only version failed;
            # the record goes with the next restart.
            assert "Unable to find version manager" in str(e), e


@pytest.mark.usefixtures("embedded_only")
def test_runtime_without_a_local_python_fails_the_function_with_how_to_install_it(lambda_client, test_role_arn):
    missing = [
        runtime
        for runtime in ALL_RUNTIMES
        if runtime.startswith("python") and not interpreters.find_interpreter(runtime.removeprefix("python"))
    ]
    if not missing:
        pytest.skip("every Python runtime LocalStack knows is installed here")
    if os.environ.get(interpreters.FALLBACK_VARIABLE) == "1":
        pytest.skip(f"{interpreters.FALLBACK_VARIABLE}=1 runs such functions on another Python")
    runtime, version = missing[0], missing[0].removeprefix("python")
    state = state_of_a_new_function(
        lambda_client, test_role_arn, f"no-python-{version.replace('.', '-')}", runtime, "runtime_probe"
    )

    assert state["State"] == "Failed"
    assert f"pyenv install {version}" in state["StateReason"]
    assert interpreters.FALLBACK_VARIABLE in state["StateReason"]


@pytest.mark.usefixtures("embedded_only")
def test_a_memory_leak_is_killed_at_memory_size_and_the_environment_replaced(create_probe, invoke):
    name = create_probe(MemorySize=128, Timeout=30)

    error, response = invoke(name, {"action": "leak"})
    after, _ = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ExitError"
    assert "signal: killed" in error["errorMessage"]
    assert after["invocations"] == 1, "a fresh environment"


@pytest.fixture
def sqs_queue():
    """Factory: a queue of the test's own, deleted afterwards; returns (url, arn)."""
    sqs, created = client("sqs"), []

    def create(**attributes) -> tuple[str, str]:
        url = sqs.create_queue(QueueName=f"runtime-test-{uuid.uuid4().hex[:8]}", Attributes=attributes)["QueueUrl"]
        created.append(url)
        return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    yield create
    for url in created:
        sqs.delete_queue(QueueUrl=url)


def receive_all(url: str) -> list[dict]:
    return client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])


def test_a_failing_async_invocation_is_retried_then_recorded_at_the_failure_destination(
    create_probe, lambda_client, sqs_queue, runtime
):
    # Given a function whose asynchronous invocations are retried once, then sent to a queue
    failures_url, failures_arn = sqs_queue()
    name = create_probe()
    lambda_client.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": failures_arn}}
    )

    # When an event invocation fails every time
    lambda_client.invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps({"action": "raise", "message": "async"})
    )

    # Then the failure destination gets one record, after both attempts, with the runtime's error
    messages = eventually(
        lambda: receive_all(failures_url),
        timeout=deadlines.async_invoke(TEST_FUNCTION_TIMEOUT, attempts=2),
        interval=0,
        what="the failure destination's record",
    )
    record = json.loads(messages[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestPayload"] == {"action": "raise", "message": "async"}
    assert record["responsePayload"]["errorType"] == RAISED[language_of(runtime)][0]
    assert record["responsePayload"]["errorMessage"] == "probe failure: async"


def test_sqs_event_source_mapping_deletes_a_batch_but_its_reported_failures(create_probe, lambda_client, sqs_queue):
    # Given a queue whose messages go to a dead-letter queue after two receives, mapped to the probe
    # with ReportBatchItemFailures (it reports the records whose body says "fail")
    visibility = 2
    dlq_url, dlq_arn = sqs_queue()
    queue_url, queue_arn = sqs_queue(
        VisibilityTimeout=str(visibility),
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
    )
    name = create_probe()
    mapping = lambda_client.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=name, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )["UUID"]
    try:
        eventually(
            lambda: lambda_client.get_event_source_mapping(UUID=mapping)["State"] == "Enabled",
            timeout=deadlines.ENVIRONMENT_START,
            what="the mapping to be enabled",
        )
        # When a batch of good records and one failing record arrives
        sqs = client("sqs")
        sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(n), "MessageBody": body} for n, body in enumerate(["good-1", "please fail", "good-2"])],
        )

        # Then the failing record alone ends in the dead-letter queue, after its second receive ...
        dead = eventually(
            lambda: receive_all(dlq_url),
            timeout=deadlines.queue_delivery(TEST_FUNCTION_TIMEOUT, receives=2, visibility_timeout=visibility),
            interval=0,
            what="the failing record in the dead-letter queue",
        )
        assert [message["Body"] for message in dead] == ["please fail"]

        # ... and the good ones were deleted: nothing is left in the queue, visible or in flight
        def queue_empty():
            counts = sqs.get_queue_attributes(
                QueueUrl=queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            return all(value == "0" for value in counts.values())

        eventually(queue_empty, timeout=deadlines.invoke(TEST_FUNCTION_TIMEOUT), what="the queue to be empty")
        assert receive_all(dlq_url) == []
    finally:
        lambda_client.delete_event_source_mapping(UUID=mapping)


@pytest.mark.parametrize("runtime", ["nodejs18.x", "nodejs20.x", "nodejs22.x"])
def test_function_runs_on_exactly_its_runtime_node_major(create_probe, invoke, runtime):
    skip_without_node(runtime)
    name = create_probe()

    result, _ = invoke(name, {"action": "environ"})

    assert "nodejs{}.x".format(result["node"].split(".")[0]) == runtime
