"""The runtime of one Lambda execution environment (embedded mode): it plays the part of LocalStack's
runtime-init inside a Lambda container. It loads the handler once, then takes invocations from
LocalStack and reports back over the protocol in LocalStack's ``executor_endpoint.py``. Timeouts and
crashes are handled by the host side (``executor/local_process.py``), which can kill this process; a
Python thread cannot be stopped from the inside.

The host passes a listening socket (``_EMBEDDED_LISTEN_FD``) so that no port has to be guessed,
and points stdout/stderr at the environment's log file; the host reads that file once an invocation
has ended and hands it to LocalStack whole (``executor/invocation_log.py``).

What the function's code sees follows AWS's Python runtime (awslambdaric): LocalStack's internal
variables are gone before the handler is imported, the root logger already has the runtime's handler,
and errors have the runtime's types, messages and log lines.
"""

from __future__ import annotations  # the function's interpreter may be older than this file's syntax

import importlib.util
import json
import math
import os
import queue
import resource
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from . import instrument_function as instrument  # debugger and coverage, when the host asks for them
from . import log_handler
from .context import UNESCAPED_JSON_EXECUTION_ENVS, LambdaContext, to_json
from .errors import RuntimeFault, error_body, error_log_line
from .handler import load_handler
from .localstack_connection import LocalStackConnection

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


class Runtime:
    def __init__(self):
        env = os.environ
        self.localstack = LocalStackConnection(env["LOCALSTACK_RUNTIME_ENDPOINT"])
        self.runtime_id = env["LOCALSTACK_RUNTIME_ID"]
        # The executor's pipe for reports (embedded_localstack/executor/report_pipe.py); HTTP callbacks without it.
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
        log_handler.install_log_handler()
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
        request_id = log_handler.request_id = invocation["invoke-id"]
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


def _install_aws_guard() -> None:
    """aws_guard.py, in the folder above (the host imports it too): a connection to an AWS host lands in LocalStack."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "aws_guard.py")
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
