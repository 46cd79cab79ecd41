"""What is particular to Node.js functions: how the handler is found (CommonJS, ES modules, nested
paths), callback handlers and callbackWaitsForEmptyEventLoop, console in Lambda's format, and the
errors AWS's Node.js runtime reports when the code cannot load. The expectations are those of AWS's
runtime (aws-lambda-nodejs-runtime-interface-client). The semantics common to every runtime are in
test_lambda_runtime.py."""

import base64
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from embedded_localstack import eventually
from embedded_localstack.runtimes import node_runtime
from tests.integration.invocations import request_id_of, zip_sources

# The runtime these run on: the first whose node is here.
AVAILABLE = [
    runtime
    for runtime in ("nodejs20.x", "nodejs22.x", "nodejs18.x")
    if node_runtime.find_node(node_runtime.major_of(runtime))
]
pytestmark = pytest.mark.skipif(not AVAILABLE, reason="no Node.js 18, 20 or 22 here")
RUNTIME = AVAILABLE[0] if AVAILABLE else None
# <ISO timestamp>\t<request id>\t<LEVEL>\t<message>, one line per console call
CONSOLE_LINE = r"^(\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z)\t{request_id}\t{level}\t{message}$"


@pytest.fixture
def node_function(create_function):
    """Creates a Node.js function from {file name: source}, handler index.handler unless given."""

    def create(files: dict[str, str], handler: str = "index.handler", **overrides) -> str:
        return create_function(
            "node", code={"ZipFile": zip_sources(files)}, Runtime=RUNTIME, Handler=handler, **overrides
        )

    return create


def tail_and_id(response) -> tuple[str, str]:
    return base64.b64decode(response["LogResult"]).decode(), request_id_of(response)


def test_commonjs_handler_from_index_js(node_function, invoke):
    name = node_function(
        {"index.js": "exports.handler = async (event) => ({ got: event.value, kind: typeof require });\n"}
    )

    result, response = invoke(name, {"value": 42})

    assert "FunctionError" not in response
    assert result == {"got": 42, "kind": "function"}


def test_es_module_handler_from_index_mjs_with_top_level_await(node_function, invoke):
    source = "const ready = await Promise.resolve('ready');\nexport const handler = async (event) => ({ ready, got: event.value, kind: typeof require });\n"
    name = node_function({"index.mjs": source})

    result, response = invoke(name, {"value": "é"})

    assert "FunctionError" not in response
    assert result == {"ready": "ready", "got": "é", "kind": "undefined"}


def test_es_module_in_a_type_module_package_and_a_nested_handler_path(node_function, invoke):
    files = {
        "package.json": '{"type": "module"}',
        "src/app.js": "import { helper } from './lib/helper.js';\nexport const handlers = { main: async () => helper() };\n",
        "src/lib/helper.js": "export const helper = () => 'nested';\n",
    }
    name = node_function(files, handler="src/app.handlers.main")

    result, response = invoke(name)

    assert "FunctionError" not in response
    assert result == "nested"


def test_the_runtime_provides_the_aws_sdk_to_commonjs_and_es_modules(node_function, invoke):
    # Neither archive holds the SDK: Lambda's runtime provides it, and so does embedded mode
    cjs = node_function(
        {
            "index.js": "const { SQSClient } = require('@aws-sdk/client-sqs');\nexports.handler = async () => typeof SQSClient;\n"
        }
    )
    esm = node_function(
        {
            "index.mjs": "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const handler = async () => typeof DynamoDBClient;\n"
        }
    )

    assert invoke(cjs)[0] == "function"
    assert invoke(esm)[0] == "function"


def test_callback_handler_answers_with_what_it_passed(node_function, invoke):
    source = "exports.handler = (event, context, callback) => { setTimeout(() => callback(null, { doubled: event.n * 2 }), 10); };\n"
    name = node_function({"index.js": source})

    result, response = invoke(name, {"n": 21})

    assert "FunctionError" not in response
    assert result == {"doubled": 42}


def test_callback_error_is_reported_in_the_runtime_error_shape(node_function, invoke):
    source = "exports.handler = (event, context, callback) => callback(new RangeError('out of range'));\n"
    name = node_function({"index.js": source})

    error, response = invoke(name, LogType="Tail")

    tail, request_id = tail_and_id(response)
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "RangeError"
    assert error["errorMessage"] == "out of range"
    assert error["trace"][0] == "RangeError: out of range"
    assert any("index.js" in frame for frame in error["trace"])
    # The runtime logs it as AWS's does: ERROR, "Invoke Error", then the error as JSON
    assert re.search(
        CONSOLE_LINE.format(
            request_id=request_id, level="ERROR", message=r"Invoke Error \t\{\"errorType\":\"RangeError\".*"
        ),
        tail,
        re.M,
    ), tail


def test_callback_waits_for_the_empty_event_loop_unless_told_not_to(node_function, invoke):
    # Given a handler that answers at once but leaves a timer of 1.5 s behind
    source = (
        "let timerFired = 0;\n"
        "exports.handler = (event, context, callback) => {\n"
        "  context.callbackWaitsForEmptyEventLoop = event.wait;\n"
        "  const started = Date.now();\n"
        "  setTimeout(() => { timerFired += 1; console.log('timer fired'); }, 1500);\n"
        "  callback(null, { timerFiredBefore: timerFired, started });\n"
        "};\n"
    )
    name = node_function({"index.js": source})

    # When it waits for the empty event loop, the response comes once the timer has run
    waited, response = invoke(name, {"wait": True}, LogType="Tail")
    assert "timer fired" in tail_and_id(response)[0]
    # When it does not, the response comes at once, and the timer runs in the next invocation's time
    quick, response = invoke(name, {"wait": False}, LogType="Tail")
    assert "timer fired" not in tail_and_id(response)[0]
    # (the next invocation waits for its own timer, and so for the one left behind too)
    _, response = invoke(name, {"wait": True}, LogType="Tail")

    assert waited["timerFiredBefore"] == 0
    assert quick["timerFiredBefore"] == 1
    assert tail_and_id(response)[0].count("timer fired") == 2, "the timer left behind ran in a later invocation"


def test_a_sync_handler_that_never_calls_back_answers_null_once_the_loop_is_empty(node_function, invoke):
    name = node_function(
        {"index.js": "exports.handler = (event, context, callback) => { setTimeout(() => {}, 50); };\n"}
    )

    result, response = invoke(name)

    assert "FunctionError" not in response
    assert result is None


def test_context_remaining_time_counts_down_from_the_timeout(node_function, invoke):
    source = (
        "exports.handler = async (event, context) => {\n"
        "  const first = context.getRemainingTimeInMillis();\n"
        "  const begun = Date.now();\n"
        "  await new Promise((resolve) => setTimeout(resolve, 300));\n"
        "  const waited = Date.now() - begun;\n"
        "  return { first, second: context.getRemainingTimeInMillis(), waited, arn: context.invokedFunctionArn, id: context.awsRequestId };\n"
        "};\n"
    )
    name = node_function({"index.js": source}, Timeout=5)

    result, response = invoke(name)

    assert 4000 < result["first"] <= 5000
    # It counts down by the time that passed in the function, however long the machine made that take.
    assert result["waited"] >= 300
    assert abs((result["first"] - result["second"]) - result["waited"]) <= 50
    assert result["arn"].endswith(f":function:{name}")
    assert result["id"] == request_id_of(response)


def test_console_writes_lambda_text_format_with_levels_and_one_line_per_call(node_function, invoke):
    source = (
        "console.log('at init');\n"
        "exports.handler = async () => {\n"
        "  console.log('plain %s', 'formatted', { a: 1 });\n"
        "  console.info('info line');\n"
        "  console.warn('warn line');\n"
        "  console.error('first\\nsecond');\n"
        "  console.debug('debug line');\n"
        "  return 'ok';\n"
        "};\n"
    )
    name = node_function({"index.js": source})

    _, response = invoke(name, LogType="Tail")

    tail, request_id = tail_and_id(response)

    def logged(level: str, message: str, request_id: str = request_id) -> None:
        pattern = CONSOLE_LINE.format(request_id=request_id, level=level, message=re.escape(message))
        assert len(re.findall(pattern, tail, re.M)) == 1, f"one {level} line {message!r} expected in:\n{tail}"

    logged("INFO", "plain formatted { a: 1 }")
    logged("INFO", "info line")
    logged("WARN", "warn line")
    logged("ERROR", "first\rsecond")  # one CloudWatch event: the message's newline becomes CR, as on AWS
    logged("DEBUG", "debug line")
    logged("INFO", "at init", request_id="undefined")  # AWS's runtime has no request id yet, and says so
    assert tail.index("at init") < tail.index(f"START RequestId: {request_id}")
    assert re.search(
        rf"^REPORT RequestId: {request_id}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: \d+ MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms$",
        tail,
        re.M,
    ), tail


def test_aws_lambda_log_level_drops_lower_levels(node_function, invoke):
    source = "exports.handler = async () => { console.info('dropped info'); console.warn('kept warn'); return 1; };\n"
    name = node_function({"index.js": source}, Environment={"Variables": {"AWS_LAMBDA_LOG_LEVEL": "WARN"}})

    _, response = invoke(name, LogType="Tail")

    tail, _ = tail_and_id(response)
    assert "kept warn" in tail and "dropped info" not in tail


def test_unhandled_promise_rejection_is_reported_and_the_environment_replaced(node_function, invoke):
    source = (
        "let count = 0;\n"
        "exports.handler = async (event) => {\n"
        "  count += 1;\n"
        "  if (event.reject) { Promise.reject(new Error('nobody listens')); await new Promise((r) => setTimeout(r, 1000)); }\n"
        "  return count;\n"
        "};\n"
    )
    name = node_function({"index.js": source})
    invoke(name)

    # Several rounds: the runtime reports, then exits; the next invocation must reach a fresh process,
    # never the one on its way out, and the fatal invocation's log keeps the lines written on the way out.
    for _ in range(3):
        error, response = invoke(name, {"reject": True}, LogType="Tail")
        after, _ = invoke(name)

        assert response["FunctionError"] == "Unhandled"
        assert error["errorType"] == "Runtime.UnhandledPromiseRejection"
        assert error["errorMessage"] == "Error: nobody listens"
        assert after == 1, "the process exited; a fresh environment serves the next invocation"
        tail, request_id = tail_and_id(response)
        assert f"REPORT RequestId: {request_id}" in tail


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_a_functions_child_processes_do_not_get_the_runtimes_report_pipe(node_function, invoke):
    # A child writing to LocalStack's report pipe would break the environment's reports. Several
    # environments start side by side: that is when an inherited descriptor reached the children.
    source = (
        "const cp = require('child_process');\n"
        "exports.handler = async () => cp.execSync('ls -l /proc/self/fd', { stdio: ['ignore', 'pipe', 'ignore'] })\n"
        "  .toString();\n"
    )
    names = [node_function({"index.js": source}) for _ in range(4)]
    with ThreadPoolExecutor(len(names)) as pool:
        listings = list(pool.map(lambda name: invoke(name)[0], names))

    for listing in listings:
        assert "pipe:" not in listing, listing


def environment_process(function: str) -> psutil.Process:
    """The node process of the function's warm environment."""
    for process in psutil.process_iter(["name"]):
        try:
            if process.info["name"] == "node" and process.environ().get("AWS_LAMBDA_FUNCTION_NAME") == function:
                return process
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    raise LookupError(f"no node process of {function}")


def invoke_connections(process: psutil.Process, port: int) -> list:
    """The open connections to the environment's invoke listener (`port`): the one LocalStack invokes it on."""
    try:
        connections = process.net_connections("tcp")
    except psutil.NoSuchProcess:
        return []
    return [c for c in connections if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port]


@pytest.mark.usefixtures("embedded_only")
def test_an_environment_idle_past_nodes_keep_alive_timeout_still_takes_invocations(node_function, invoke):
    # LocalStack keeps one connection to each environment; Node's HTTP server would close an idle one
    # after its keepAliveTimeout, and the next invocation would be lost on it.
    source = (
        "const http = require('http');\n"
        "let count = 0;\n"
        "exports.handler = async () => ({\n"
        "  count: ++count,\n"
        "  keepAliveTimeout: new http.Server().keepAliveTimeout,\n"
        "  listener: process.env.AWS_LAMBDA_RUNTIME_API,\n"
        "});\n"
    )
    name = node_function({"index.js": source})
    first = invoke(name)[0]
    idle_since = time.monotonic()
    assert first["count"] == 1
    # The environment's own Node.js says how long an idle connection would live (5 s in Node 18 to 22).
    keep_alive_timeout = first["keepAliveTimeout"] / 1000
    port = int(first["listener"].rsplit(":", 1)[1])
    process = environment_process(name)

    # When: the environment idles past it, its connection to LocalStack watched all along
    def idle_past_keep_alive_timeout() -> bool:
        if not invoke_connections(process, port):
            raise ConnectionError(
                "LocalStack's connection to the environment closed while it idled (or its node exited)"
            )
        return time.monotonic() - idle_since > keep_alive_timeout + 1

    eventually(
        idle_past_keep_alive_timeout,
        timeout=keep_alive_timeout + 10,
        what=f"{name} idle for {keep_alive_timeout + 1} s, connection open",
        fatal=(ConnectionError,),
    )
    result, response = invoke(name)

    # Then
    assert "FunctionError" not in response
    assert result["count"] == 2, "the same warm environment answered"


def test_missing_handler_module_is_an_import_module_error(node_function, invoke):
    name = node_function({"index.js": "exports.handler = async () => 1;\n"}, handler="nowhere.handler")

    error, response = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"].startswith("Error: Cannot find module 'nowhere'\nRequire stack:")
    assert error["trace"][0].startswith("Runtime.ImportModuleError: Error: Cannot find module 'nowhere'")


def test_missing_dependency_of_a_commonjs_module_is_an_import_module_error(node_function, invoke):
    name = node_function({"index.js": "require('not-installed-anywhere');\nexports.handler = async () => 1;\n"})

    error, _ = invoke(name)

    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"].startswith("Error: Cannot find module 'not-installed-anywhere'")


@pytest.mark.parametrize("file", ["index.js", "index.mjs"])
def test_syntax_error_is_a_user_code_syntax_error(node_function, invoke, file):
    name = node_function({file: "exports.handler = async (event => {\n"})

    error, response = invoke(name)

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert error["errorMessage"].startswith("SyntaxError: ")


@pytest.mark.parametrize(
    "files, handler, message",
    [
        (
            {"index.js": "exports.other = async () => 1;\n"},
            "index.handler",
            "index.handler is undefined or not exported",
        ),
        ({"index.mjs": "export const handler = 42;\n"}, "index.handler", "index.handler is not a function"),
    ],
)
def test_missing_or_non_function_handler_is_handler_not_found(node_function, invoke, files, handler, message):
    name = node_function(files, handler=handler)

    error, _ = invoke(name)

    assert error["errorType"] == "Runtime.HandlerNotFound"
    assert error["errorMessage"] == message


def test_malformed_handler_name(node_function, invoke):
    name = node_function({"index.js": "exports.handler = async () => 1;\n"}, handler="index")

    error, _ = invoke(name)

    assert error == {
        "errorType": "Runtime.MalformedHandlerName",
        "errorMessage": "Bad handler",
        "trace": error["trace"],
    }


def test_an_error_thrown_at_load_is_reported_with_its_own_type(node_function, invoke):
    name = node_function(
        {"index.mjs": "throw new TypeError('config missing');\nexport const handler = async () => 1;\n"}
    )

    error, response = invoke(name, LogType="Tail")

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "TypeError"
    assert error["errorMessage"] == "config missing"
    assert any("index.mjs:1" in frame for frame in error["trace"])
