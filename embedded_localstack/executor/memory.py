"""The resident memory of a function's process tree, checked ten times a second while it runs.

psutil's ``children()`` lists every process on the machine (a read of each /proc/<pid>/stat) to find
a tree's members; here the kernel says who the children are (/proc/<pid>/task/<tid>/children) and
/proc/<pid>/statm gives each one's resident pages: a few small reads per check.
"""

import os
from pathlib import Path

import psutil

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# Needs CONFIG_PROC_CHILDREN (on in the usual distribution kernels); psutil otherwise.
HAVE_CHILDREN_FILES = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists()


def _children(pid: int) -> list[int]:
    children = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):  # a child belongs to the thread that forked it
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children += [int(child) for child in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):  # exited meanwhile
        pass
    return children


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def rss_mb(pid: int) -> float:
    """The resident memory of the process alone, in MiB (0 once it is gone)."""
    return _rss_bytes(pid) / 2**20


def tree_rss_mb(pid: int) -> float:
    """The resident memory of the process and all its descendants, in MiB (0 once it is gone)."""
    if not HAVE_CHILDREN_FILES:
        try:
            process = psutil.Process(pid)
            return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20
        except psutil.NoSuchProcess:
            return 0
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        total += _rss_bytes(current)
        pending += _children(current)
    return total / 2**20
