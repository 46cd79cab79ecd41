"""The DynamoDB process as LocalStack sees it: started once, on first need, as LocalStack's child;
watched; its endpoint.

It ends with LocalStack, however LocalStack ends: it exits when its stdin, whose other end only this
process holds, reaches end of file (server.py). `make down` finds it among LocalStack's children as
well. It carries no instance marker (reaper.py): what the marker finds is a function's process, and
the watcher's sweep would take it for one left behind.

If it ends on its own (killed, out of memory), its tables are gone with it. It is not restarted: an
empty store under LocalStack's CloudFormation stacks and event source mappings, which name its
tables, would be worse than an error. Every DynamoDB request through LocalStack then fails naming
the fix, LocalStack's log says so, and `make status` fails (``problem``).
"""

import json
import logging
import os
import select
import subprocess
import sys
import threading
from pathlib import Path
from typing import NoReturn

import psutil

from embedded_localstack import settings
from embedded_localstack.lifecycle import process_start

LOG = logging.getLogger(__name__)

# The port it listens on (127.0.0.1 only); 0 lets the system choose a free one, so that instances side
# by side never collide. config/localstack.env.
PORT_SETTING = settings.DYNAMODB_PORT.name
STATE_FILE = "dynamodb.json"  # in EMBEDDED_STATE_DIR: the process and its LocalStack, for `make status`
START_TIMEOUT_SECONDS = 60
FIX = "its tables are gone with it: `make down && make up`"


class Ended(RuntimeError):
    """The DynamoDB process is not running (it ended, or did not start)."""


class DynamodbProcess:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._popen: subprocess.Popen | None = None
        self._endpoint = ""
        self._ended = ""  # why it is not running, once it ended

    def endpoint(self) -> str:
        """http://127.0.0.1:<port>, starting the process if it has not started yet."""
        with self._lock:
            if self._popen is None and not self._ended:
                self._start()
            if self._ended:
                raise Ended(self._ended)
            return self._endpoint

    def _start(self) -> None:
        try:
            port = str(settings.DYNAMODB_PORT.read())
        except settings.SettingError as e:  # `make up` checks it; LocalStack started otherwise may not have
            self._failed(str(e))
        try:
            popen = self._popen = subprocess.Popen(
                [sys.executable, "-m", "embedded_localstack.dynamodb_process.server", port],
                env=_without_instance_marker(os.environ.copy()),
                stdin=subprocess.PIPE,  # the lifeline: never written, closed only by LocalStack's exit
                stdout=subprocess.PIPE,
                stderr=None,  # LocalStack's log
            )
        except OSError as e:
            self._failed(f"the DynamoDB process could not start: {e}")
        announced = _announcement(popen)
        if not announced.startswith("listening "):
            popen.kill()
            popen.wait()
            self._failed(f"the DynamoDB process did not start (port {port}, {PORT_SETTING}); LocalStack's log says why")
        self._endpoint = f"http://127.0.0.1:{announced.split()[1]}"
        LOG.info("DynamoDB and DynamoDB Streams: %s (pid %s)", self._endpoint, popen.pid)
        _record(popen.pid, self._endpoint)
        threading.Thread(target=self._watch, args=(popen,), name="dynamodb-process", daemon=True).start()

    def _failed(self, why: str) -> NoReturn:
        """It will not run: every caller is told why, and so is `make status` (problem)."""
        self._ended = why
        LOG.error(why)
        _record_failure(why)
        raise Ended(why)

    def _watch(self, popen: subprocess.Popen) -> None:
        code = popen.wait()
        with self._lock:
            self._ended = f"the DynamoDB process (pid {popen.pid}) ended (exit {code}); {FIX}"
        LOG.error(self._ended)

    def start_in_background(self) -> None:
        """Starts it now, off the caller's thread, so that the first function environment does not wait
        (its start-up time counts towards LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT)."""

        def start() -> None:
            try:
                self.endpoint()
            except Ended:
                pass  # logged; asked for again by whoever needs it

        threading.Thread(target=start, name="dynamodb-process-start", daemon=True).start()


def _announcement(popen: subprocess.Popen) -> str:
    """The process's first line: "listening <port>", or nothing if it did not start in time."""
    stdout = popen.stdout
    assert stdout is not None  # stdout=PIPE
    readable, _, _ = select.select([stdout], [], [], START_TIMEOUT_SECONDS)
    line = stdout.readline().decode(errors="replace").strip() if readable else ""
    stdout.close()  # nothing more is said on it
    return line


def _record(pid: int, endpoint: str) -> None:
    _write(process_start.identity(pid) | {"endpoint": endpoint})


def _record_failure(why: str) -> None:
    _write({"failed": why})


def _write(record: dict) -> None:
    """What `make status` reads of this LocalStack's DynamoDB process (``problem``)."""
    if not settings.EMBEDDED_STATE_DIR.is_set():
        return  # a LocalStack not started by `make up`: no status to serve
    state_dir = settings.EMBEDDED_STATE_DIR.read()
    record |= {"localstack": process_start.identity(os.getpid())}
    partial = Path(state_dir, STATE_FILE + ".tmp")
    partial.write_text(json.dumps(record))
    partial.replace(Path(state_dir, STATE_FILE))


def recorded(state_dir: Path, localstack: psutil.Process) -> dict | None:
    """What the given LocalStack recorded of its DynamoDB process; None before it started one."""
    try:
        record = json.loads((state_dir / STATE_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    started_by = record.get("localstack", {})
    if not process_start.is_recorded(started_by, localstack.pid):
        return None  # an earlier LocalStack's
    return record


def problem(state_dir: Path, localstack: psutil.Process) -> str | None:
    """Why the DynamoDB process of this LocalStack is not running, for `make status`; None when it runs
    (or has not been needed yet)."""
    record = recorded(state_dir, localstack)
    if record is None:
        return None
    if "failed" in record:
        return record["failed"]
    try:
        process = psutil.Process(record["pid"])
        if process_start.is_recorded(record, process.pid) and process.status() != psutil.STATUS_ZOMBIE:
            return None
    except psutil.NoSuchProcess:
        pass
    return f"the DynamoDB process (pid {record['pid']}, {record['endpoint']}) has ended; {FIX}"


THE_PROCESS = DynamodbProcess()  # LocalStack's one


def _without_instance_marker(env: dict[str, str]) -> dict[str, str]:
    # Not one of the instance's function processes: the reaper's sweeps and the lifecycle tests count
    # those by this marker, and LocalStack's exit ends this one (the lifeline).
    env.pop(settings.INSTANCE_MARKER.name, None)
    return env
