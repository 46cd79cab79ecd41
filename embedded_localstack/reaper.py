"""Finds and kills the processes one embedded instance started, and nothing else.

Every function process gets ``_EMBEDDED_ENV_ID=<instance>/<environment>`` in its environment
(``executor.py``); its children inherit it, including those that call ``setsid`` and so leave the
process group and, once their parent exits, the process tree. ``<instance>`` is derived from the
instance's state directory, so one instance never touches another's processes. LocalStack itself
carries ``_EMBEDDED_INSTANCE=<instance>`` (``cli.py``).

Run as ``python -m embedded_localstack.reaper <pid> <create_time> <instance>`` beside LocalStack, it
waits for that LocalStack to end, however it ends (SIGKILL included), then kills what it left behind.

Limits: a function that deliberately removes the variable from its children's environment before
they detach can escape; functions are processes of the developer's user, not containers (README).
Linux only: it reads ``/proc/<pid>/environ``, readable for the processes of one's own user.
"""

import hashlib
import os
import signal
import sys
import time
from pathlib import Path

ENV_MARKER = "_EMBEDDED_ENV_ID"
INSTANCE_MARKER = "_EMBEDDED_INSTANCE"
WATCH_SECONDS = 0.2
# A process that forks while we kill its family is caught by the next sweep.
SWEEPS = 20


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
    for _ in range(SWEEPS):
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


def _same_process(pid: int, create_time: float) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        return process.create_time() == create_time and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def watch(pid: int, create_time: float, instance: str) -> None:
    while _same_process(pid, create_time):
        time.sleep(WATCH_SECONDS)
    kill_marked(instance)


if __name__ == "__main__":
    watch(int(sys.argv[1]), float(sys.argv[2]), sys.argv[3])
