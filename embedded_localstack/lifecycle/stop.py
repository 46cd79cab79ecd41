"""Stopping the embedded LocalStack (``make down``): LocalStack, then every process of its function
environments, and whatever an earlier run of the instance left behind."""

import sys
import time

import psutil

from embedded_localstack.lifecycle import reaper
from embedded_localstack.lifecycle.instance import Instance, port_in_use

STOP_GRACE_SECONDS = 5
# LocalStack gets this long to end on SIGTERM (a log line in flight is written) before SIGKILL.
LOCALSTACK_STOP_GRACE_SECONDS = 0.3


def stop(instance: Instance, process: psutil.Process) -> int:
    started = time.monotonic()
    try:
        family = [process, *process.children(recursive=True)]
        process.terminate()
    except psutil.NoSuchProcess:
        family = []
    # LocalStack first, and without waiting for it to shut its services down: it keeps nothing on disk
    # (make down loses its resources either way), and its shutdown took seconds. Once it is gone, each
    # environment's init ends every process of its environment, however detached (environment_init.py),
    # and then exits: so the inits are waited for, not killed, which would leave their environments'
    # processes to the system's init.
    _end([process], grace=LOCALSTACK_STOP_GRACE_SECONDS)
    _end(family)
    reaper.kill_marked(instance.id, localstack=True)  # what an init killed from outside left, by marker
    while port_in_use(instance.port):
        if time.monotonic() > started + 3 * STOP_GRACE_SECONDS:
            print(f"port {instance.port} still in use after stopping pid {process.pid}", file=sys.stderr)
            return 1
        time.sleep(0.05)
    instance.pid_file.unlink(missing_ok=True)
    print(f"stopped embedded LocalStack (pid {process.pid}) in {time.monotonic() - started:.1f} s")
    return 0


def _end(processes: list[psutil.Process], grace: float = STOP_GRACE_SECONDS) -> None:
    """Waits for the processes to exit, SIGKILLs what is left after the grace period."""
    alive = _wait_ended(processes, grace)
    # SIGTERM alone does not always stop LocalStack's host mode.
    for victim in alive:
        try:
            victim.kill()  # psutil checks it is still the same process first
        except psutil.NoSuchProcess:
            pass
    _wait_ended(alive, STOP_GRACE_SECONDS)


def _wait_ended(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Those of the processes still running after `timeout`. A zombie has ended: it holds no port and runs
    nothing, and how soon it is reaped is up to whichever init adopted it (seen: 1.6 s)."""
    deadline = time.monotonic() + timeout
    alive = list(processes)
    while alive:
        alive = [p for p in alive if not _ended(p)]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    return alive


def _ended(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def down(instance: Instance) -> int:
    with instance.locked():
        process = instance.running()
        if process is None:
            leftovers = reaper.kill_marked(instance.id, localstack=True)
            print(
                f"embedded LocalStack is not running{f'; killed {leftovers} process(es) it left behind' if leftovers else ''}"
            )
            return 0
        return stop(instance, process)
