"""One Lambda execution environment, run as a local process (embedded mode).

This file runs under the *function's* interpreter, so it may import the standard library only.
It plays the part of LocalStack's runtime-init inside a Lambda container: it loads the handler once,
then takes invocations from LocalStack and reports back over the protocol in LocalStack's
``executor_endpoint.py``. Timeouts and crashes are handled by the host side (``executor.py``),
which can kill this process; a Python thread cannot be stopped from the inside.

The host passes a listening socket (``_EMBEDDED_LISTEN_FD``) so that no port has to be guessed,
and points stdout/stderr at the environment's log file; the host reads that file once an invocation
has ended and hands it to LocalStack whole (``read_logs``).

What the function's code sees follows AWS's Python runtime (awslambdaric): LocalStack's internal
variables are gone before the handler is imported, the root logger already has the runtime's handler,
and errors have the runtime's types, messages and log lines.
"""

from __future__ import annotations  # the function's interpreter may be older than this file's syntax

import decimal
import http.client
import importlib
import importlib.util
import json
import logging
import math
import os
import queue
import resource
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

# LocalStack's internal variables: read here, then removed before the function's code runs, as
# LocalStack's runtime-init does in a container (UnsetLsEnvs); AWS_ENDPOINT_URL, LOCALSTACK_HOSTNAME
# and EDGE_PORT stay, as they do there.
LOCALSTACK_INTERNAL_ENV = (
    "LOCALSTACK_RUNTIME_ENDPOINT",
    "LOCALSTACK_RUNTIME_ID",
    "LOCALSTACK_INTEROP_PORT",
    "LOCALSTACK_RUNTIME_TRACING_PORT",
    "LOCALSTACK_USER",
    "LOCALSTACK_CODE_ARCHIVES",
    "LOCALSTACK_HOT_RELOADING_PATHS",
    "LOCALSTACK_ENABLE_XRAY_TELEMETRY",
    "LOCALSTACK_INIT_LOG_LEVEL",
    "LOCALSTACK_POST_INVOKE_WAIT_MS",
    "LOCALSTACK_FUNCTION_ACCOUNT_ID",
    "LOCALSTACK_MAX_PAYLOAD_SIZE",
    "LOCALSTACK_CHMOD_PATHS",
)

# The text format of the Python runtime's log handler on AWS (AWS_LAMBDA_LOG_FORMAT=Text).
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
# The runtime writes an error report as one log line: its lines joined by CR, indentation as NBSP.
ERROR_LINE_SEPARATOR = "\r"
ERROR_INDENT = "\u00a0"

# Runtimes whose marshaller writes non-ASCII characters as they are (UTF-8) rather than as \uXXXX
# escapes: awslambdaric's Encoder (lambda_runtime_marshaller.py, ensure_ascii=False for these). The
# response size limit counts the bytes actually sent, so this decides what fits in 6 MB.
UNESCAPED_JSON_EXECUTION_ENVS = frozenset(f"AWS_Lambda_python3.{minor}" for minor in (12, 13, 14, 15))

# The invocation in progress, for the log handler; empty while the handler module is imported.
_request_id = ""


class LocalStackConnection:
    """Reports to LocalStack over one kept-alive connection: a new TCP connection per report costs
    more than the rest of a warm invocation."""

    def __init__(self, endpoint: str):
        url = urllib.parse.urlsplit(endpoint)
        self.host, self.port, self.prefix = url.hostname, url.port or 80, url.path
        self.connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: object) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request("POST", self.prefix + path, data, {"Content-Type": "application/json"})
                self.connection.getresponse().read()
                return
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise


def error_body(error: BaseException, error_type: str | None = None) -> dict:
    """AWS's error shape for the Python runtime; the trace starts in the function's code. The
    runtime's own faults (``RuntimeFault``) carry their own trace, usually none."""
    if isinstance(error, RuntimeFault):
        return {"errorMessage": str(error), "errorType": error.error_type, "requestId": "", "stackTrace": error.trace}
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(_user_frames(error))),
    }


def error_log_line(body: dict) -> str:
    """The log line AWS's runtime writes for an error: ``[ERROR] Type: message`` and the trace,
    as one line, so that CloudWatch keeps it as one event."""
    error_type, message = body["errorType"], body["errorMessage"]
    head = "[ERROR]" + (f" {error_type}" if error_type else "") + (":" if error_type and message else "")
    lines = [head + (f" {message}" if message else ""), "Traceback (most recent call last):"]
    for frame in body["stackTrace"]:
        for line in frame.splitlines():
            stripped = line.lstrip(" ")
            lines.append(ERROR_INDENT * (len(line) - len(stripped)) + stripped)
    return ERROR_LINE_SEPARATOR.join(lines) + "\n"


def _user_frames(error: BaseException):
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return tb


def max_memory_used_mb() -> int:
    # ru_maxrss survives exec, so it would report the spawning LocalStack's peak; VmHWM does not.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


class LambdaContext:
    def __init__(self, request_id: str, invoked_function_arn: str, deadline: float):
        env = os.environ
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def to_json(value, ensure_ascii: bool) -> bytes:
    """A result or error as the runtime's marshaller sends it: UTF-8 JSON, escaped or not by runtime."""
    return json.dumps(value, default=_json_default, ensure_ascii=ensure_ascii).encode("utf-8")


def _json_default(value):
    # The AWS Python runtime serialises Decimal (what boto3 returns for DynamoDB numbers).
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def load_handler(spec: str):
    """Imports the handler as AWS's Python runtime does. Only the runtime's own faults get a
    ``Runtime.*`` type: any other exception raised by the module's code propagates as it is, and is
    reported with its own type and message."""
    module_name, dot, function_name = spec.rpartition(".")
    if not dot:
        raise RuntimeFault(
            f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)", "Runtime.MalformedHandlerName"
        )
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise RuntimeFault(
            f"Cannot use built-in module {module_name} as a handler module", "Runtime.BuiltInModuleConflict"
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise RuntimeFault(f"Unable to import module '{module_name}': {e}", "Runtime.ImportModuleError") from None
    except SyntaxError as e:
        trace = [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']
        raise RuntimeFault(
            f"Syntax error in module '{module_name}': {e}", "Runtime.UserCodeSyntaxError", trace
        ) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise RuntimeFault(
            f"Handler '{function_name}' missing on module '{module_name}'", "Runtime.HandlerNotFound"
        ) from None


class RuntimeFault(Exception):
    """A failure the runtime reports under its own ``Runtime.*`` type rather than the exception's."""

    def __init__(self, message: str, error_type: str, trace: list[str] | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.trace = trace or []


class LambdaLogHandler(logging.Handler):
    """The root logger's handler on AWS: each record to stdout, which is the function's log, in
    the runtime's format with the current request id. On AWS the runtime hands each record to the
    platform as one frame (_LAMBDA_TELEMETRY_LOG_FD), so a multi-line record (a message with newlines,
    ``logger.exception``'s traceback) is one CloudWatch event. Here the log is a text file split at
    newlines, so the record's inner newlines become CR, as the runtime does for its error lines."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            text = text[:-1] if text.endswith("\n") else text
            sys.stdout.write(text.replace("\n", ERROR_LINE_SEPARATOR) + "\n")
        except Exception:
            self.handleError(record)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _request_id
        return True


def install_log_handler() -> None:
    """Gives the root logger the runtime's handler before the function's code runs, so that, as on
    AWS, ``logging.basicConfig`` in that code does nothing and Powertools' Logger finds a root handler
    to keep its own records off (no duplicate lines)."""
    logging.Formatter.converter = time.gmtime  # the runtime's timestamps are UTC, for every formatter
    handler = LambdaLogHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()  # advanced logging controls
    if isinstance(logging.getLevelName(level), int):
        root.setLevel(level)


class Runtime:
    def __init__(self):
        env = os.environ
        self.localstack = LocalStackConnection(env["LOCALSTACK_RUNTIME_ENDPOINT"])
        self.runtime_id = env["LOCALSTACK_RUNTIME_ID"]
        # The executor's pipe for reports (embedded_localstack/report_pipe.py); HTTP callbacks without it.
        self.report_fd = int(env.pop("_EMBEDDED_REPORT_FD", "") or -1)
        if self.report_fd >= 0:
            os.set_inheritable(self.report_fd, False)  # not for the function's own subprocesses
        # LocalStack's LAMBDA_LIMITS_MAX_FUNCTION_PAYLOAD_SIZE_BYTES, passed on by the executor.
        self.max_payload_size = int(env.get("LOCALSTACK_MAX_PAYLOAD_SIZE") or 0)
        self.ensure_ascii = env.get("AWS_EXECUTION_ENV") not in UNESCAPED_JSON_EXECUTION_ENVS
        for name in LOCALSTACK_INTERNAL_ENV:
            env.pop(name, None)
        self.timeout = float(env.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))
        self.memory_size = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.inbox: queue.Queue[dict] = queue.Queue()
        self.init_duration_ms: float | None = None
        self.handler = None
        # Output of the handler module's import belongs to the first invocation's log, before START.
        self.keep_init_output = True

    # -- start-up ---------------------------------------------------------------------------
    def serve(self, listen_fd: int) -> None:
        inbox = self.inbox

        class InvokeHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive with LocalStack's invoke requests

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = 202 if self.path == "/invoke" else 404
                # Answered before the invocation is queued: a handler that ends the process at once
                # (sys.exit) must not take the answer with it (LocalStack would see the connection drop).
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.wfile.flush()
                if status == 202:
                    inbox.put(json.loads(body))

            def log_message(self, *args):  # the log file belongs to the function
                pass

        server = HTTPServer(("127.0.0.1", 0), InvokeHandler, bind_and_activate=False)
        server.socket.close()
        server.socket = socket.socket(fileno=listen_fd)
        # Close-on-exec, before the function's code runs: a process it starts (os.system, a Popen with
        # close_fds=False) must not be able to accept, and so take, invocations meant for this one.
        server.socket.set_inheritable(False)
        # Lambda's variable, host:port of the environment's runtime endpoint. Here that is this
        # listener, which speaks LocalStack's executor protocol rather than the Runtime API.
        os.environ["AWS_LAMBDA_RUNTIME_API"] = "{}:{}".format(*server.socket.getsockname()[:2])
        threading.Thread(target=server.serve_forever, name="invoke-listener", daemon=True).start()

    def init(self) -> bool:
        started = time.monotonic()
        task_root = os.environ["LAMBDA_TASK_ROOT"]
        sys.path.insert(0, task_root)
        runtime_packages = os.environ.pop("_EMBEDDED_RUNTIME_PACKAGES", "")
        if runtime_packages:
            sys.path.append(runtime_packages)
        os.chdir(task_root)
        install_log_handler()
        instrument.start()
        try:
            self.handler = load_handler(os.environ["_HANDLER"])
        except Exception as e:  # as on AWS: SystemExit and the like end the process instead
            body = error_body(e)
            sys.stdout.write(error_log_line(body))
            sys.stdout.flush()
            self._announce_exit()  # main() ends the process after this report
            self._report(f"/status/{self.runtime_id}/error", body)
            return False
        self.init_duration_ms = (time.monotonic() - started) * 1000
        self._report(f"/status/{self.runtime_id}/ready", {})
        return True

    # -- invocations ------------------------------------------------------------------------
    def run_forever(self) -> None:
        while True:
            self.invoke(self.inbox.get())
            instrument.after_invoke()  # after the report: costs the caller nothing

    def invoke(self, invocation: dict) -> None:
        global _request_id
        request_id = _request_id = invocation["invoke-id"]
        os.environ["_X_AMZN_TRACE_ID"] = invocation.get("trace-id") or ""
        # Each invocation's logs start from an empty file, except for the first, whose log begins
        # with what the module's import printed. The host reads the file once the invocation ended.
        sys.stdout.flush()
        sys.stderr.flush()
        if self.keep_init_output:
            self.keep_init_output = False
        else:
            os.ftruncate(1, 0)
        print(f"START RequestId: {request_id} Version: {self.version}", flush=True)

        started = time.monotonic()
        context = LambdaContext(request_id, invocation.get("invoked-function-arn", ""), started + self.timeout)
        exit_code = None
        try:
            payload = invocation.get("payload") or "{}"
            instrument.before_invoke()
            result = self.handler(json.loads(payload), context)
            try:
                body = to_json(result, self.ensure_ascii)
            except (TypeError, ValueError) as e:  # ValueError includes a lone surrogate UTF-8 cannot encode
                raise RuntimeFault(f"Unable to marshal response: {e}", "Runtime.MarshalError") from None
            outcome = "response"
            if self.max_payload_size and len(body) > self.max_payload_size:
                # What LocalStack's runtime-init (and AWS) answer instead of the response.
                message = (
                    f"Response payload size exceeded maximum allowed payload size ({self.max_payload_size} bytes)."
                )
                body = json.dumps({"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}).encode()
                outcome = "error"
        except SystemExit as e:
            exit_code = e.code if isinstance(e.code, int) else 1
            error = RuntimeError(f"RequestId: {request_id} Error: Runtime exited with error: exit status {exit_code}")
            body, outcome = self._error(error, request_id, "Runtime.ExitError"), "error"
        except Exception as e:  # the function's own failure, reported in AWS's shape
            error = error_body(e)
            sys.stdout.write(error_log_line(error))
            body, outcome = self._error(error, request_id), "error"

        duration_ms = (time.monotonic() - started) * 1000
        self._finish(request_id, duration_ms)
        if exit_code is not None:
            self._announce_exit()  # the process ends below
        self._report(f"/invocations/{request_id}/{outcome}", body)
        if exit_code is not None:
            os._exit(exit_code)

    def _error(self, error: BaseException | dict, request_id: str, error_type: str | None = None) -> bytes:
        body = error if isinstance(error, dict) else error_body(error, error_type)
        body["requestId"] = request_id
        return to_json(body, self.ensure_ascii)

    def _finish(self, request_id: str, duration_ms: float) -> None:
        max_memory_mb = max_memory_used_mb()
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {self.memory_size} MB\t"
            f"Max Memory Used: {max_memory_mb} MB"
        )
        if self.init_duration_ms is not None:
            report += f"\tInit Duration: {self.init_duration_ms:.2f} ms"
            self.init_duration_ms = None
        print(f"END RequestId: {request_id}\n{report}", flush=True)
        sys.stderr.flush()

    def _announce_exit(self) -> None:
        """report_pipe.EXITING, before the report after which this process ends: the executor then
        waits for the end instead of sending the next invocation to a process on its way out."""
        if self.report_fd >= 0:
            self._report("/exiting", b"")

    def _report(self, path: str, body: object) -> None:
        if self.report_fd < 0:
            self.localstack.post(path, body)
            return
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        frame = memoryview(b"%s %d\n" % (path.encode(), len(data)) + data)
        while frame:
            frame = frame[os.write(self.report_fd, frame) :]


def read_logs(log_path: str, limit: int) -> str:
    """The current invocation's output (read by the host side, outside the function's memory), at most
    `limit` bytes (EMBEDDED_LAMBDA_MAX_LOG_BYTES, log_store.log_limit): a function printing in a loop until
    its timeout can write gigabytes, so past it the middle goes, and START and END/REPORT stay.
    Splitting it into CloudWatch events within the service's limits is ``log_events``' job.

    Output over ``limit`` bytes loses its middle: the first and last halves stay, cut at line ends,
    so START and END/REPORT are kept, and one line in between says which bytes were dropped."""
    with open(log_path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size <= limit:
            return f.read().decode("utf-8", errors="replace")
        head = f.read(limit // 2)
        f.seek(size - limit // 2)
        tail = f.read()
    if b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    if b"\n" in tail[:-1]:
        tail = tail[tail.index(b"\n") + 1 :]
    dropped_from, dropped_to = len(head), size - len(tail)
    marker = (
        f"[embedded runtime] {dropped_to - dropped_from} bytes of output dropped here (bytes {dropped_from} "
        f"to {dropped_to} of {size}): an invocation's log is kept up to {limit} bytes, its start and end "
        "(EMBEDDED_LAMBDA_MAX_LOG_BYTES)\n"
    )
    if not head.endswith(b"\n"):
        marker = "\n" + marker
    return (head + marker.encode() + tail).decode("utf-8", errors="replace")


def _load_instrumentation():
    """instrument_function.py, beside this file: isolated mode (-I) puts no script folder on the path."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "instrument_function.py")
    spec = importlib.util.spec_from_file_location("_embedded_instrument_function", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Debugger and coverage, when the host asks for them (instrumentation.py).
instrument = _load_instrumentation()


def _install_aws_guard() -> None:
    """aws_guard.py, beside this file: a connection to an AWS host lands in LocalStack."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aws_guard.py")
    spec = importlib.util.spec_from_file_location("_embedded_aws_guard", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.install()


def _exit_with_parent(parent_pid: int) -> None:
    # An environment must not outlive LocalStack, even when LocalStack is killed with SIGKILL.
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(0)


def main() -> None:
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _install_aws_guard()  # before anything of the function's runs
    os.ftruncate(1, 0)  # a replaced process's log file still holds its predecessor's last invocation
    runtime = Runtime()
    runtime.serve(int(os.environ.pop("_EMBEDDED_LISTEN_FD")))
    if not runtime.init():
        sys.exit(1)
    runtime.run_forever()


if __name__ == "__main__":
    main()
