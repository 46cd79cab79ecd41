"""LocalStack runtime executor that runs each Lambda execution environment as a local process.

LocalStack Community runs functions only in Docker containers. This executor gives the same
semantics without Docker: one process per execution environment (``bootstrap.py``), warm reuse,
the function timeout enforced by killing and replacing the process, and logs with START, END and
REPORT lines. It is selected with ``LAMBDA_RUNTIME_EXECUTOR=local-process``.
"""

import dataclasses
import http.client
import json
import logging
import os
import resource
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from pathlib import Path

from localstack import config
from localstack.services.lambda_.invocation.executor_endpoint import ExecutorEndpoint, StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import LambdaRuntimeException, RuntimeExecutor

from embedded_localstack import aws_guard, bootstrap, dynamodb_process, environment_init, reaper, report_pipe
from embedded_localstack.code_watch import CodeWatch, code_signature  # noqa: F401 (code_signature: tests)
from embedded_localstack.instrumentation import FunctionInstrumentation
from embedded_localstack.interpreters import (
    bootstrap_command,
    check_at_creation,
    interpreter_for_runtime,
    runtime_variables,
)
from embedded_localstack.log_store import log_limit
from embedded_localstack.memory import rss_mb, tree_rss_mb
from embedded_localstack.node_runtime import major_of as node_major

LOG = logging.getLogger(__name__)

BOOTSTRAP = Path(bootstrap.__file__)
# Lambda's PATH after the runtime's own bin folder (/var/lang/bin on Lambda: here, the interpreter's).
LAMBDA_PATH_TAIL = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
# How long a runtime that announced its exit (report_pipe.EXITING) may take to end before it is killed.
EXIT_GRACE_SECONDS = 2
# How long an environment's init may take to end its processes (environment_init.py) before it is
# killed itself, and what is left is looked for by marker.
END_GRACE_SECONDS = 5
ENVIRONMENT_INIT = Path(environment_init.__file__)
# How often a running invocation's memory is compared with the function's MemorySize.
MEMORY_CHECK_SECONDS = 0.1
# Which instance this LocalStack is (cli.py sets it); function processes carry it in their marker.
INSTANCE = os.environ.get(reaper.INSTANCE_MARKER) or f"unmanaged-{os.getpid()}"
# Lambda's limits (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): 1,024 file
# descriptors and 1,024 processes/threads. No core files: a crashing function must not fill the disk.
FUNCTION_RLIMITS = {resource.RLIMIT_NOFILE: 1024, resource.RLIMIT_NPROC: 1024, resource.RLIMIT_CORE: 0}
if os.geteuid() == 0:
    LOG.warning(
        "embedded runtime runs as root: the kernel does not apply RLIMIT_NPROC to root, so a function "
        "that forks without end is not stopped at 1,024 processes (see README, Security)"
    )


def gateway_host() -> str:
    # LocalStack keeps GATEWAY_LISTEN in no particular order (a set per port): prefer IPv4 loopback.
    hosts = [entry.host for entry in config.GATEWAY_LISTEN]
    if any(host in ("", "0.0.0.0", "::", "127.0.0.1") for host in hosts):
        return "127.0.0.1"
    return f"[{hosts[0]}]" if config.is_ipv6_address(hosts[0]) else hosts[0]


class InvokeConnection:
    """LocalStack's side of an environment's invoke listener: one kept-alive HTTP/1.1 connection.
    A requests session cost about 1.5 ms of LocalStack's CPU per invocation (adapters, hooks, cookie
    and proxy handling); http.client does the same POST for a fraction. Never through a proxy: the
    environment is on this host. No retry: a POST that may have arrived is not sent twice."""

    def __init__(self) -> None:
        self.connection: http.client.HTTPConnection | None = None

    def post(self, port: int, body: bytes, timeout: float) -> int:
        connection = self.connection
        if connection is None or connection.port != port or _closed_by_peer(connection):
            # Nothing was sent on it yet: a fresh connection cannot deliver this invocation twice.
            self.close()
            connection = self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            connection.request("POST", "/invoke", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            return response.status
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket that is readable has been closed by the other end (or holds
    something no request asked for): it must not carry the next request."""
    if connection.sock is None:
        return False
    readable, _, _ = select.select([connection.sock], [], [], 0)
    return bool(readable)


class LocalProcessRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.executor_endpoint = ExecutorEndpoint(self.id, container_address="127.0.0.1")
        # Under LocalStack's own tmp folder, inside the instance's state directory: LocalStack clears it
        # at start, so whatever a killed instance left there goes with the next `up`.
        environments = Path(config.dirs.tmp) / "lambda-environments"
        environments.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{function_version.id.function_name}-{id}-", dir=environments))
        self.log_path = self.workdir / "output.log"
        self.process: subprocess.Popen | None = None  # the environment's init (environment_init.py)
        self.lifeline: int | None = None  # closing it ends the environment's processes
        self.env: dict[str, str] = {}
        self.stopped = False
        # A process we killed on purpose (timeout, stop) must not be reported as a crash.
        self.expected_exit: subprocess.Popen | None = None
        self.code_watch: CodeWatch | None = None  # hot reload: changes to the code folder since spawn
        self.http = InvokeConnection()
        self.spawns, self.reports = 0, ""  # processes started so far; the current one's report stream
        self.instrumentation = FunctionInstrumentation.of(function_version)  # debugger, coverage

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, env_vars: dict[str, str]) -> None:
        self.executor_endpoint.start()
        code = self.function_version.config.code
        tmp = self.workdir / "tmp"
        tmp.mkdir()
        runtime = self.function_version.config.runtime
        python = Path(interpreter_for_runtime(runtime))
        task_root, runtime_dir = str(code.get_unzipped_code_location()), str(BOOTSTRAP.parent)
        task_root = self.instrumentation.task_root(task_root, code.is_hot_reloading())
        # Nothing of the host's environment: Lambda's variables only, in Lambda's shape with this
        # machine's paths (/var/lang -> the interpreter's prefix, /var/task -> the code's folder).
        # LANG, PATH and LD_LIBRARY_PATH are unreserved on Lambda: the function's own settings win.
        self.env = {
            "LANG": "en_US.UTF-8",
            "PATH": f"{python.parent}:{LAMBDA_PATH_TAIL}",
            "LD_LIBRARY_PATH": ":".join(
                (
                    f"{python.parent.parent}/lib",
                    "/lib64",
                    "/usr/lib64",
                    runtime_dir,
                    f"{runtime_dir}/lib",
                    task_root,
                    f"{task_root}/lib",
                    "/opt/lib",
                )
            ),
        } | runtime_variables(runtime, task_root, runtime_dir)
        self.env |= {key: str(value) for key, value in env_vars.items()}
        # DynamoDB straight from the function, not through LocalStack's gateway (dynamodb_process/).
        self.env |= dynamodb_process.function_environment(self.function_version.config.environment or {})
        self.env |= {
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",  # LocalStack's placeholder is AWS_Lambda_rapid
            # Where /var/task and /tmp are in a container. HOME too, so that ~ is scratch space.
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": runtime_dir,
            "TMPDIR": str(tmp),
            "HOME": str(tmp),
            # boto3 and friends, which the AWS runtime provides (/var/runtime); after the function's own code.
            "_EMBEDDED_RUNTIME_PACKAGES": os.environ.get("EMBEDDED_LAMBDA_RUNTIME_PACKAGES", ""),
        }
        self.env |= self.instrumentation.environment()
        gateway = f"{gateway_host().strip('[]')}:{config.GATEWAY_LISTEN[0].port}"
        self.env |= aws_guard.environment(self.env, gateway, os.environ.get(aws_guard.INTERNET_VARIABLE))
        self._spawn()
        self._wait_for_startup()

    def _wait_for_startup(self) -> None:
        """Bounded like a container's start: LocalStack's startup timeout applies to every start of
        the environment's process, the first and each replacement."""
        try:
            self.executor_endpoint.startup_future.result(timeout=config.LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT)
        except FutureTimeout:
            self._kill()
            message = f"Runtime init timed out after {config.LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT} seconds"
            payload = json.dumps({"errorMessage": message, "errorType": "Runtime.InitTimeout"}).encode()
            raise StatusErrorException(message, payload=payload) from None
        except CancelledError as e:  # stopped while starting
            raise LambdaRuntimeException(f"Execution environment {self.id} stopped during start-up") from e

    @property
    def marker(self) -> str:
        """Inherited by every process of this environment, setsid or not (see reaper.py)."""
        return f"{INSTANCE}/{self.id}"

    def _spawn(self) -> None:
        python = interpreter_for_runtime(self.function_version.config.runtime)
        if self.function_version.config.code.is_hot_reloading():
            self.code_watch = CodeWatch(self.env["LAMBDA_TASK_ROOT"])
        # A new process gets a new connection, even on the port the last one had (ports are reused).
        self.http.close()
        # A Node.js runtime opens its listener itself and reports its port (report_pipe.LISTENING): Node
        # cannot make an inherited descriptor close-on-exec, so the function's children would inherit it.
        node = node_major(self.function_version.config.runtime) is not None
        listener = None if node else socket.create_server(("127.0.0.1", 0))
        self.executor_endpoint.container_port = listener.getsockname()[1] if listener else None
        listening = {} if listener is None else {"_EMBEDDED_LISTEN_FD": str(listener.fileno())}
        self.executor_endpoint.startup_future = Future()
        # Reports over a pipe instead of callbacks via the gateway, named for this process (report_pipe.exiting).
        self.spawns += 1
        self.reports = f"{self.id}-{self.spawns}"
        reports, reader = report_pipe.open_for(self.executor_endpoint, self.reports)
        lifeline, self.lifeline = os.pipe()
        runtime = bootstrap_command(
            self.function_version.config.runtime, python, str(BOOTSTRAP), self.function_version.config.memory_size
        )
        try:
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    environment_init_command(lifeline, self.marker, runtime),
                    env=self.env | listening | {report_pipe.ENV_VAR: str(reports)},
                    cwd=self.env["LAMBDA_TASK_ROOT"],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(reports, lifeline, *([listener.fileno()] if listener else [])),
                )
        finally:
            if listener is not None:
                listener.close()
        os.close(reports)
        os.close(lifeline)
        threading.Thread(
            target=self._watch, args=(self.process, reader), daemon=True, name=f"lambda-watch-{self.id}"
        ).start()

    def _watch(self, process: subprocess.Popen, reports: threading.Thread) -> None:
        """Turns an unexpected exit into an error for whoever waits on this environment."""
        exit_code = process.wait()
        reports.join(timeout=1)  # what it reported just before exiting comes first
        if process is self.expected_exit or process is not self.process:
            return
        endpoint = self.executor_endpoint
        message = f"Runtime exited with error: exit status {exit_code}"
        payload = json.dumps({"errorMessage": message, "errorType": "Runtime.ExitError"}).encode()
        if endpoint.startup_future and not endpoint.startup_future.done():
            _settle(endpoint.startup_future, exception=StatusErrorException(message, payload=payload))
        invocation = endpoint.invocation_future
        if invocation and not invocation.done():
            logs = bootstrap.read_logs(str(self.log_path), log_limit())
            _settle(invocation, result=InvocationResult("", payload, is_error=True, logs=logs))

    def stop(self) -> None:
        self.stopped = True
        self._kill()
        try:
            self.executor_endpoint.shutdown()
        except Exception as e:
            LOG.debug("Error while stopping executor endpoint of %s: %s", self.id, e)
        self.http.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _kill(self) -> None:
        """Ends every process of the environment: its init kills them all, however they detached
        (environment_init.py), and exits once none is left."""
        process, self.expected_exit = self.process, self.process
        if process is None:
            return
        lifeline, self.lifeline = self.lifeline, None
        if lifeline is not None:
            os.close(lifeline)
        try:
            process.wait(timeout=END_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            LOG.warning("execution environment %s did not end within %s s; killing it", self.id, END_GRACE_SECONDS)
            process.kill()
            process.wait()
            reaper.kill_marked(INSTANCE, self.id)  # what the init could not end, unless it left the marker

    # -- invocation -------------------------------------------------------------------------
    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        if self.stopped:
            raise LambdaRuntimeException(f"Execution environment {self.id} is stopped")
        if self.code_watch is not None and self.code_watch.changed():
            self._kill()  # hot reload: edited code runs from a fresh process, as LocalStack's init restarts it
        if (init_error := self._running(payload)) is not None:
            return init_error

        endpoint = self.executor_endpoint
        endpoint.invocation_future = Future()
        endpoint.logs = None
        timeout = self.instrumentation.timeout(float(self.function_version.config.timeout))
        started = time.monotonic()
        status = self.http.post(endpoint.container_port, json.dumps(payload).encode(), timeout=10)
        if status >= 400:
            raise LambdaRuntimeException(f"Environment {self.id} refused the invocation: {status}")
        deadline = started + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                result = endpoint.invocation_future.result(timeout=max(0, min(remaining, MEMORY_CHECK_SECONDS)))
            except FutureTimeout:
                pass
            else:
                # Read here rather than sent by the environment: megabytes of output then cost the
                # function neither memory nor time. The environment waits for the next invocation.
                if report_pipe.exiting(endpoint, self.reports):
                    # The runtime reported a fatal error and is ending (sys.exit in a handler, an uncaught
                    # exception in Node.js): the next invocation must find it gone, not send to it, and
                    # what it writes on its way out (Node's END and REPORT) belongs to this log.
                    self._await_exit()
                # A copy: the endpoint's future keeps its result until the next invocation, and must not
                # keep this one's log (up to the log limit) with it.
                return dataclasses.replace(result, logs=self.get_logs())
            if remaining <= MEMORY_CHECK_SECONDS:
                return self._timed_out(payload["invoke-id"], timeout, time.monotonic() - started)
            if (
                self.instrumentation.checks_memory()
                and self._memory_used_mb() > self.function_version.config.memory_size
            ):
                return self._out_of_memory(payload["invoke-id"], time.monotonic() - started)

    def _running(self, payload: dict[str, str]) -> InvocationResult | None:
        """Makes sure a process is there to take the invocation. None if one is; the init error of a
        fresh one otherwise, which is the invoker's answer."""
        if report_pipe.exiting(self.executor_endpoint, self.reports):
            self._await_exit()  # announced between invocations (a Node.js timer's uncaught exception)
        if self.process.poll() is None:
            return None
        # The previous invocation timed out or the runtime died: a fresh process takes over, as a
        # new init inside the same sandbox would on AWS.
        self._kill()  # what the previous process left behind
        self._spawn()
        try:
            self._wait_for_startup()
        except StatusErrorException as e:
            return InvocationResult(payload["invoke-id"], e.payload, is_error=True, logs=self.get_logs())
        return None

    def _await_exit(self) -> None:
        try:
            self.process.wait(timeout=EXIT_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self._kill()  # announced its end but lingers (an atexit hook, a non-daemon thread)

    def _memory_used_mb(self) -> float:
        # The function's processes: the init's own few megabytes are not the function's.
        return tree_rss_mb(self.process.pid) - rss_mb(self.process.pid)

    def _out_of_memory(self, request_id: str, elapsed: float) -> InvocationResult:
        # As on AWS: the sandbox is killed once the function uses more than its MemorySize.
        used = self._memory_used_mb()
        self._kill()
        memory = self.function_version.config.memory_size
        message = f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
        logs = bootstrap.read_logs(str(self.log_path), log_limit()) + (
            f"{message}\nEND RequestId: {request_id}\n"
            f"REPORT RequestId: {request_id}\tDuration: {elapsed * 1000:.2f} ms\t"
            f"Billed Duration: {int(elapsed * 1000) + 1} ms\tMemory Size: {memory} MB\tMax Memory Used: {used:.0f} MB\n"
        )
        payload = json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}).encode()
        return InvocationResult(request_id, payload, is_error=True, logs=logs)

    def _timed_out(self, request_id: str, timeout: float, elapsed: float) -> InvocationResult:
        self._kill()
        message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        logs = bootstrap.read_logs(str(self.log_path), log_limit()) + (
            f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds\n"
            f"END RequestId: {request_id}\n"
            f"REPORT RequestId: {request_id}\tDuration: {elapsed * 1000:.2f} ms\t"
            f"Billed Duration: {int(timeout * 1000)} ms\t"
            f"Memory Size: {self.function_version.config.memory_size} MB\tStatus: timeout\n"
        )
        payload = json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}).encode()
        return InvocationResult(request_id, payload, is_error=True, logs=logs)

    # -- addresses --------------------------------------------------------------------------
    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return gateway_host()

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return f"http://{gateway_host()}:{port}{self.executor_endpoint.get_endpoint_prefix()}"

    def get_logs(self) -> str:
        try:
            return bootstrap.read_logs(str(self.log_path), log_limit())
        except FileNotFoundError:
            return ""

    # -- versions ---------------------------------------------------------------------------
    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        # Fails the function (State: Failed, with the reason) for runtimes this executor cannot run.
        check_at_creation(function_version.config.runtime)
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        return True


def environment_init_command(lifeline: int, marker: str, runtime: list[str]) -> list[str]:
    """The runtime's command under its environment's init, which sets Lambda's limits before it starts
    the runtime (preexec_fn may deadlock in LocalStack's threaded process). The marker goes to the
    runtime only: the reaper's sweeps must not kill an init while it ends its environment.
    LocalStack's own interpreter, isolated and without site-packages: it starts in about 15 ms."""
    limits = [argument for limit, value in FUNCTION_RLIMITS.items() for argument in ("--limit", f"{limit}={value}")]
    return [
        sys.executable,
        "-I",
        "-S",
        str(ENVIRONMENT_INIT),
        str(lifeline),
        *limits,
        "--set",
        f"{reaper.ENV_MARKER}={marker}",
        "--",
        *runtime,
    ]


def _settle(future: Future, result=None, exception: BaseException | None = None) -> None:
    try:
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)
    except Exception:  # settled meanwhile by the environment's own report
        pass
