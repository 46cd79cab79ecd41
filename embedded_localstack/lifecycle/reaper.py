"""Finds and kills, by marker, what an embedded instance's processes left behind, and nothing else.

Each execution environment's processes end with it, found by descendancy, not by marker: its init is
their subreaper (``environment_init.py``). This module is the fallback for what that cannot cover: an
init that was itself killed with SIGKILL (its environment's orphans then go to the system's init), and
the LocalStack of an instance whose pid file was lost.

Every function process gets ``_EMBEDDED_ENV_ID=<instance>/<environment>`` in its environment
(``executor/local_process.py``); its children inherit it unless they drop it (``env -i``). ``<instance>`` is derived
from the instance's state directory, so one instance never touches another's processes. LocalStack
itself carries ``_EMBEDDED_INSTANCE=<instance>`` (``instance.py``).

Run as ``python -m embedded_localstack.lifecycle.reaper <pid> <start stamp> <instance>`` beside LocalStack, it
waits for that LocalStack to end, however it ends (SIGKILL included), then kills what carries the
marker; the environments' inits end their own environments at the same moment (their lifeline closes).

Linux only: it reads ``/proc/<pid>/environ``, readable for the processes of one's own user; without
/proc it finds nothing (docs/process-lifecycle.md).
"""

import hashlib
import os
import signal
import sys
import time
from pathlib import Path

from embedded_localstack import settings

ENV_MARKER = "_EMBEDDED_ENV_ID"
INSTANCE_MARKER = settings.INSTANCE_MARKER.name
WATCH_SECONDS = 0.2
# Sweeps go on until one finds nothing (a process forked during a sweep is caught by the next); this
# bounds only a process the kernel cannot kill (uninterruptible sleep).
SWEEP_DEADLINE_SECONDS = 10


def instance_id(state_dir: Path) -> str:
    return hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:16]


def _environ(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:  # gone, or another user's process
        return []


def marked(instance: str, environment: str = "", *, localstack: bool = False) -> list[int]:
    """Pids of function processes (and their descendants) of the instance, or of one environment.
    With localstack=True, also LocalStack processes of the instance (for clean-up before `up`)."""
    wanted = [f"{ENV_MARKER}={instance}/{environment}".encode()]
    if localstack:
        wanted.append(f"{INSTANCE_MARKER}={instance}".encode())
    found = []
    own = os.getpid()
    if not os.path.isdir("/proc"):
        return []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == own:
            continue
        variables = _environ(int(entry.name))
        if any(v == w or (w.startswith(ENV_MARKER.encode()) and v.startswith(w)) for v in variables for w in wanted):
            found.append(int(entry.name))
    return found


def kill_marked(instance: str, environment: str = "", *, localstack: bool = False) -> int:
    """SIGKILLs every marked process until none is left; returns how many were killed."""
    killed = set()
    deadline = time.monotonic() + SWEEP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        pids = marked(instance, environment, localstack=localstack)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.02)  # let the kernel finish the kills before looking again
    return len(killed)


def _same_process(pid: int, started: float) -> bool:
    import psutil

    from embedded_localstack.lifecycle import process_start

    try:
        return process_start.is_same(started, pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def watch(pid: int, started: float, instance: str) -> None:
    while _same_process(pid, started):
        time.sleep(WATCH_SECONDS)
    kill_marked(instance)


if __name__ == "__main__":
    watch(int(sys.argv[1]), float(sys.argv[2]), sys.argv[3])
