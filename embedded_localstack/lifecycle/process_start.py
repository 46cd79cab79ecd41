"""Which process a pid is: when it started, read so that the same process always reads the same.

psutil's ``create_time()`` is the kernel's start tick count plus the boot time, and the kernel works
the boot time out anew on each read from the wall clock, so every clock adjustment moves it (NTP, a
virtual machine catching up after it was paused): on a loaded machine the same LocalStack read
seconds apart, passed for another program, and `make status` removed the pid file of a LocalStack
that was running. On Linux the stamp is the start in clock ticks since boot (/proc/<pid>/stat), which
nothing adjusts, compared exactly; elsewhere psutil's create time, within a tolerance.
"""

import os

import psutil

_PROC = "/proc"
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Only where there is no /proc: how far apart psutil's wall-clock start times of one process may read.
WALL_CLOCK_TOLERANCE_SECONDS = 2.0


def start_of(pid: int) -> float:
    """The process's start stamp; psutil.NoSuchProcess when there is no such process."""
    if not os.path.isdir(_PROC):
        return psutil.Process(pid).create_time()
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as stat:
            # The command name, in parentheses, may hold spaces and parentheses: fields follow the last ')'.
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        raise psutil.NoSuchProcess(pid) from None
    return int(fields[19]) / _TICKS_PER_SECOND  # field 22, starttime


def is_same(recorded: float | None, pid: int) -> bool:
    """Whether pid is still the process whose start stamp was recorded (False when it is gone)."""
    if recorded is None:
        return False
    try:
        current = start_of(pid)
    except psutil.NoSuchProcess:
        return False
    if os.path.isdir(_PROC):
        return current == recorded
    return abs(current - recorded) <= WALL_CLOCK_TOLERANCE_SECONDS


def identity(pid: int) -> dict:
    """What a record names a process by: {"pid", "started"}."""
    return {"pid": pid, "started": start_of(pid)}


def is_recorded(recorded: dict, pid: int) -> bool:
    """Whether a record made by ``identity`` names the process pid is now."""
    return recorded.get("pid") == pid and is_same(recorded.get("started"), pid)
