"""The init process of one Lambda execution environment: every process the function starts stays
under it, however it detaches, and ends with the environment.

On Lambda an environment is a micro-VM: when it goes, everything in it goes. Here a function's
processes are processes of the developer's user, and a child that detaches (``setsid``, a double
fork, a new process group, ``env -i``) leaves the runtime's process tree. This process is started
by the executor in place of the runtime and starts the runtime itself. It is a child subreaper
(``prctl(PR_SET_CHILD_SUBREAPER)``, Linux): an orphan anywhere below it is re-parented to it, not to
the system's init, so the environment's processes are exactly its descendants, found without any
marker, and it reaps them as they exit, so no zombie is left behind. It is the only code that runs
here, so ``waitpid(-1)`` takes nothing from anyone.

It ends the environment, SIGKILLing every descendant until it has no child left, when
- the runtime exits (as a Lambda sandbox is reset when its runtime ends),
- the executor closes its end of the lifeline pipe (a stop, a timeout, a hot reload), or LocalStack
  dies, however (SIGKILL too): the kernel closes that end then,
- it gets SIGTERM, SIGINT or SIGHUP.
Then it exits as the runtime did (its exit status, or the signal that killed it), so the executor's
``Popen.wait`` returns once nothing of the environment is left.

Without a subreaper (macOS): the runtime leads a process group of its own, which is killed as a
whole; a child that leaves that group (``setsid``, ``setpgid``) and then loses its parent is not
found (docs/process-lifecycle.md).

Usage: ``python -I -S environment_init.py <lifeline fd> [--limit RLIMIT=VALUE]... [--set NAME=VALUE]...
-- <runtime command>``. Limits are set here, before the runtime is started, so it never runs without
them; ``--set`` variables go to the runtime's environment, not this process's. Standard library only.
"""

import ctypes
import os
import resource
import select
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# How long to wait for the kernel to deliver SIGKILLs before looking for descendants again.
KILL_POLL_SECONDS = 0.01


def become_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _parents() -> dict[int, int]:
    """pid -> parent pid of every living (not zombie) process, from /proc."""
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # exited meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
        fields = stat[stat.rindex(b")") + 2 :].split()
        if fields[0] not in (b"Z", b"X"):
            parents[int(name)] = int(fields[1])
    return parents


def descendants(pid: int) -> list[int]:
    """Living descendants of `pid`, parents before their children."""
    parents = _parents()
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    found, pending = [], list(children.get(pid, ()))
    while pending:
        current = pending.pop()
        found.append(current)
        pending += children.get(current, ())
    return found


def reap() -> tuple[list[tuple[int, int]], bool]:
    """Collects every exited child: [(pid, wait status)], and whether any child is left."""
    reaped = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped, False
        if pid == 0:
            return reaped, True
        reaped.append((pid, status))


def end_everything(runtime: int, have_proc: bool, wake: int) -> int | None:
    """SIGKILLs every descendant until no child is left; returns the runtime's wait status if it
    was reaped here. No count of sweeps: a process forked meanwhile is a descendant at the next look,
    and a killed process forks no more, so this ends when the kernel has delivered the kills."""
    status = None
    while True:
        victims = descendants(os.getpid()) if have_proc else []
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not have_proc:
            try:
                os.killpg(runtime, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        reaped, children_left = reap()
        for pid, wait_status in reaped:
            if pid == runtime:
                status = wait_status
        if not children_left:
            return status
        select.select([wake], [], [], KILL_POLL_SECONDS)  # woken by SIGCHLD
        _drain(wake)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def parse(argv: list[str]) -> tuple[int, dict[int, int], dict[str, str], list[str]]:
    lifeline, rest = int(argv[0]), argv[1:]
    split = rest.index("--")
    options, command = rest[:split], rest[split + 1 :]
    limits, variables = {}, {}
    for option, value in zip(options[::2], options[1::2], strict=True):
        name, _, setting = value.partition("=")
        if option == "--limit":
            limits[int(name)] = int(setting)  # resource.RLIMIT_* numbers, as the executor passes them
        elif option == "--set":
            variables[name] = setting
        else:
            raise SystemExit(f"environment_init: unknown option {option}")
    return lifeline, limits, variables, command


def set_limits(limits: dict[int, int]) -> None:
    for limit, value in limits.items():
        _, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY and hard < value:
            value = hard  # only root may raise a hard limit; the lower one is the stricter
        try:
            resource.setrlimit(limit, (value, value))
        except (OSError, ValueError) as e:
            print(f"[embedded runtime] cannot set resource limit {limit}={value}: {e}", file=sys.stderr, flush=True)


def exit_as(status: int | None) -> None:
    """Ends this process as the runtime ended, for whoever waits on it."""
    sys.stdout.flush()
    if status is not None and os.WIFEXITED(status):
        os._exit(os.WEXITSTATUS(status))
    signum = os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else signal.SIGKILL
    signal.signal(signum, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)


def main(argv: list[str]) -> None:
    lifeline, limits, variables, command = parse(argv)
    os.set_inheritable(lifeline, False)  # the runtime must not hold it: EOF means LocalStack let go
    have_proc = become_subreaper() and os.path.isdir("/proc")
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_write)
    stopping = []
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: stopping.append(True))
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that SIGCHLD reaches the wakeup fd
    set_limits(limits)
    runtime = os.posix_spawnp(
        command[0],
        command,
        os.environ | variables,
        setpgroup=0,  # a group of its own: what is left of the tree where there is no subreaper
        setsigdef=(*STOP_SIGNALS, signal.SIGCHLD),
    )
    # What the executor passed for the runtime (listener, report pipe) is the runtime's alone now: the
    # report pipe in particular must reach EOF when the runtime's side is gone.
    for fd in _inheritable_fds():
        os.close(fd)

    status = None
    while status is None and not stopping:
        readable, _, _ = select.select([wake_read, lifeline], [], [])
        if lifeline in readable:
            break  # LocalStack closed it, or died
        _drain(wake_read)
        reaped, _ = reap()
        status = next((wait_status for pid, wait_status in reaped if pid == runtime), None)
    last = end_everything(runtime, have_proc, wake_read)
    exit_as(status if status is not None else last)


def _inheritable_fds() -> list[int]:
    try:
        fds = [int(fd) for fd in os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd")]
    except OSError:
        return []
    found = []
    for fd in fds:
        try:
            if fd > 2 and os.get_inheritable(fd):
                found.append(fd)
        except OSError:  # the listing's own descriptor, closed by now
            pass
    return found


if __name__ == "__main__":
    main(sys.argv[1:])
