"""LocalStack runtime executor that runs each Lambda execution environment as a local process.

LocalStack Community runs functions only in Docker containers. This executor gives the same
semantics without Docker: one process per execution environment (``runtimes/python/bootstrap.py``, ``runtimes/node/bootstrap.mjs``), warm reuse,
the function timeout enforced by killing and replacing the process, and logs with START, END and
REPORT lines. It is selected with ``LAMBDA_RUNTIME_EXECUTOR=local-process``.
"""

import dataclasses
import json
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from localstack import config
from localstack.services.lambda_.invocation.executor_endpoint import ExecutorEndpoint, StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import LambdaRuntimeException, RuntimeExecutor

from embedded_localstack import settings
from embedded_localstack.executor import report_pipe
from embedded_localstack.executor.code_watch import CodeWatch
from embedded_localstack.executor.function_environment import environment_init_command, gateway_host, lambda_variables
from embedded_localstack.executor.instrumentation import FunctionInstrumentation
from embedded_localstack.executor.invocation_log import read_logs
from embedded_localstack.executor.invoke_connection import InvokeConnection
from embedded_localstack.executor.killed_invocations import out_of_memory, timed_out
from embedded_localstack.executor.log_store import log_limit
from embedded_localstack.executor.memory import rss_mb, tree_rss_mb
from embedded_localstack.lifecycle import reaper
from embedded_localstack.runtimes.interpreters import bootstrap_command, check_at_creation, interpreter_for_runtime
from embedded_localstack.runtimes.node_runtime import major_of as node_major
from embedded_localstack.runtimes.python import bootstrap

LOG = logging.getLogger(__name__)

BOOTSTRAP = Path(bootstrap.__file__)
# How long a runtime that announced its exit (report_pipe.EXITING) may take to end before it is killed.
EXIT_GRACE_SECONDS = 2
# How long an environment's init may take to end its processes (environment_init.py) before it is
# killed itself, and what is left is looked for by marker.
END_GRACE_SECONDS = 5
# How often a running invocation's memory is compared with the function's MemorySize.
MEMORY_CHECK_SECONDS = 0.1
# Which instance this LocalStack is (lifecycle/instance.py sets it); function processes carry it in their marker.
INSTANCE = settings.INSTANCE_MARKER.read() or f"unmanaged-{os.getpid()}"


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
        own_variables = self.function_version.config.environment or {}
        self.env = lambda_variables(
            runtime, env_vars, own_variables, python, task_root, runtime_dir, tmp, self.instrumentation
        )
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
            logs = read_logs(str(self.log_path), log_limit())
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
        return out_of_memory(request_id, elapsed, used, memory, read_logs(str(self.log_path), log_limit()))

    def _timed_out(self, request_id: str, timeout: float, elapsed: float) -> InvocationResult:
        self._kill()
        memory = self.function_version.config.memory_size
        return timed_out(request_id, timeout, elapsed, memory, read_logs(str(self.log_path), log_limit()))

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
            return read_logs(str(self.log_path), log_limit())
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


def _settle(future: Future, result=None, exception: BaseException | None = None) -> None:
    try:
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)
    except Exception:  # settled meanwhile by the environment's own report
        pass
