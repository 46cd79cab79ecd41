"""One Lambda execution environment, run as a local process (embedded mode).

This file runs under the *function's* interpreter, so it may import the standard library only.
It plays the part of LocalStack's runtime-init inside a Lambda container: it loads the handler once,
then takes invocations from LocalStack and reports back over the protocol in LocalStack's
``executor_endpoint.py``. Timeouts and crashes are handled by the host side (``executor.py``),
which can kill this process; a Python thread cannot be stopped from the inside.

The host passes a listening socket (``_EMBEDDED_LISTEN_FD``) so that no port has to be guessed,
and points stdout/stderr at the environment's log file (``_EMBEDDED_LOG_PATH``).
"""

import decimal
import http.client
import importlib
import json
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

# A function that prints megabytes must not ship megabytes per invocation to CloudWatch.
MAX_LOG_BYTES = 256 * 1024

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
    """AWS's error shape for the Python runtime; the trace starts in the function's code."""
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(_user_frames(error))),
    }


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


def _json_default(value):
    # The AWS Python runtime serialises Decimal (what boto3 returns for DynamoDB numbers).
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def load_handler(spec: str):
    module_name, _, function_name = spec.rpartition(".")
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:
        raise _InitError(f"Unable to import module '{module_name}': {e}", "Runtime.ImportModuleError") from e
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise _InitError(
            f"Handler '{function_name}' missing on module '{module_name}'", "Runtime.HandlerNotFound"
        ) from None


class _InitError(Exception):
    def __init__(self, message: str, error_type: str):
        super().__init__(message)
        self.error_type = error_type


class Runtime:
    def __init__(self):
        env = os.environ
        self.localstack = LocalStackConnection(env["LOCALSTACK_RUNTIME_ENDPOINT"])
        self.runtime_id = env["LOCALSTACK_RUNTIME_ID"]
        self.log_path = env.pop("_EMBEDDED_LOG_PATH")
        self.timeout = float(env.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))
        self.memory_size = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.inbox: queue.Queue[dict] = queue.Queue()
        self.init_duration_ms: float | None = None
        self.handler = None

    # -- start-up ---------------------------------------------------------------------------
    def serve(self, listen_fd: int) -> None:
        inbox = self.inbox

        class InvokeHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive with LocalStack's invoke requests

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = 202 if self.path == "/invoke" else 404
                if status == 202:
                    inbox.put(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # the log file belongs to the function
                pass

        server = HTTPServer(("127.0.0.1", 0), InvokeHandler, bind_and_activate=False)
        server.socket.close()
        server.socket = socket.socket(fileno=listen_fd)
        threading.Thread(target=server.serve_forever, name="invoke-listener", daemon=True).start()

    def init(self) -> bool:
        started = time.monotonic()
        task_root = os.environ["LAMBDA_TASK_ROOT"]
        sys.path.insert(0, task_root)
        runtime_packages = os.environ.pop("_EMBEDDED_RUNTIME_PACKAGES", "")
        if runtime_packages:
            sys.path.append(runtime_packages)
        os.chdir(task_root)
        try:
            self.handler = load_handler(os.environ["_HANDLER"])
        except _InitError as e:
            traceback.print_exc()
            self._report(f"/status/{self.runtime_id}/error", error_body(e, e.error_type))
            return False
        self.init_duration_ms = (time.monotonic() - started) * 1000
        self._report(f"/status/{self.runtime_id}/ready", {})
        return True

    # -- invocations ------------------------------------------------------------------------
    def run_forever(self) -> None:
        while True:
            self.invoke(self.inbox.get())

    def invoke(self, invocation: dict) -> None:
        request_id = invocation["invoke-id"]
        os.environ["_X_AMZN_TRACE_ID"] = invocation.get("trace-id") or ""
        # Each invocation's logs start from an empty file; the host reads the same file on timeout.
        sys.stdout.flush()
        sys.stderr.flush()
        os.ftruncate(1, 0)
        print(f"START RequestId: {request_id} Version: {self.version}", flush=True)

        started = time.monotonic()
        context = LambdaContext(request_id, invocation.get("invoked-function-arn", ""), started + self.timeout)
        exit_code = None
        try:
            payload = invocation.get("payload") or "{}"
            result = self.handler(json.loads(payload), context)
            try:
                body = json.dumps(result, default=_json_default).encode()
            except (TypeError, ValueError) as e:
                raise _InitError(f"Unable to marshal response: {e}", "Runtime.MarshalError") from None
            outcome = "response"
        except SystemExit as e:
            exit_code = e.code if isinstance(e.code, int) else 1
            error = RuntimeError(f"RequestId: {request_id} Error: Runtime exited with error: exit status {exit_code}")
            body, outcome = self._error(error, "Runtime.ExitError", request_id), "error"
        except Exception as e:  # the function's own failure, reported in AWS's shape
            error_type = e.error_type if isinstance(e, _InitError) else None
            print(f"[ERROR] {error_type or type(e).__name__}: {e}")
            traceback.print_exception(type(e), e, _user_frames(e))
            body, outcome = self._error(e, error_type, request_id), "error"

        duration_ms = (time.monotonic() - started) * 1000
        self._finish(request_id, duration_ms)
        self._report(f"/invocations/{request_id}/{outcome}", body)
        if exit_code is not None:
            os._exit(exit_code)

    def _error(self, error: BaseException, error_type: str | None, request_id: str) -> bytes:
        body = error_body(error, error_type)
        body["requestId"] = request_id
        return json.dumps(body).encode()

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
        self._report(f"/invocations/{request_id}/logs", {"logs": read_logs(self.log_path)})

    def _report(self, path: str, body: object) -> None:
        self.localstack.post(path, body)


def read_logs(log_path: str) -> str:
    """The current invocation's output, cut to its last MAX_LOG_BYTES (shared with the host side)."""
    with open(log_path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - MAX_LOG_BYTES))
        data = f.read()
    text = data.decode("utf-8", errors="replace")
    if size > MAX_LOG_BYTES:
        text = f"[embedded runtime: {size - MAX_LOG_BYTES} bytes of earlier output dropped]\n" + text
    return text


def _exit_with_parent(parent_pid: int) -> None:
    # An environment must not outlive LocalStack, even when LocalStack is killed with SIGKILL.
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(0)


def main() -> None:
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    runtime = Runtime()
    runtime.serve(int(os.environ.pop("_EMBEDDED_LISTEN_FD")))
    if not runtime.init():
        sys.exit(1)
    runtime.run_forever()


if __name__ == "__main__":
    main()
