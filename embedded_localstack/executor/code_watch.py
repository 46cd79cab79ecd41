"""Hot reload's question, "has this function's code changed since its process started?", answered
without walking the code folder on every invoke (an os.walk and a stat of ~400 files was a tenth of
LocalStack's CPU under load).

On Linux, one inotify instance per LocalStack process watches every directory of every hot-reloading
function's code, the targets of its symlinks included (hot-reload folders are symlinks into lambdas/,
see infra/archives.py). The kernel queues an event during the write itself, so reading the queue
when an invocation starts sees an edit made just before it: no delay, no polling thread.
Elsewhere (or when inotify is unavailable) the folder's signature is recomputed, at most once a second.
"""

import ctypes
import ctypes.util
import os
import struct
import threading
import time

IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF, IN_Q_OVERFLOW = 0x400, 0x800, 0x4000
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000
WATCHED = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
)
EVENT_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len (struct inotify_event)
# Written by the function's own imports: not an edit.
IGNORED_NAMES = (b"__pycache__",)
SIGNATURE_MAX_AGE_SECONDS = 1.0


def code_signature(folder: str) -> tuple[int, int, int]:
    """Changes when a file in the folder is edited, added or removed."""
    count = newest = size = 0
    # Hot-reload folders may be made of symlinks into a source tree (see infra/archives.py).
    for root, folders, files in os.walk(folder, followlinks=True):
        folders[:] = [name for name in folders if name != "__pycache__"]  # written by the imports themselves
        for name in files:
            try:
                stat = os.stat(os.path.join(root, name))
            except FileNotFoundError:  # removed while we looked
                continue
            count, newest, size = count + 1, max(newest, stat.st_mtime_ns), size + stat.st_size
    return count, newest, size


def watched_directories(folder: str) -> set[str]:
    """Every real directory whose entries make up the folder's code: its own, and those its symlinks point into."""
    directories = set()
    for root, folders, files in os.walk(folder, followlinks=True):
        folders[:] = [name for name in folders if name != "__pycache__"]
        directories.add(os.path.realpath(root))
        for name in files:
            directories.add(os.path.dirname(os.path.realpath(os.path.join(root, name))))
    return directories


class _Inotify:
    def __init__(self) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self._add_watch = libc.inotify_add_watch
        self._add_watch.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
        self.fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.lock = threading.Lock()
        self.folders_of: dict[int, set[str]] = {}  # watch descriptor -> code folders that use the directory
        self.changes: dict[str, int] = {}  # code folder -> how many changes have been seen in it

    def watch(self, folder: str) -> int:
        """Starts (or refreshes) watching the folder; returns its change count now."""
        directories = watched_directories(folder)
        with self.lock:
            self._drain()
            for directory in directories:
                wd = self._add_watch(self.fd, os.fsencode(directory), WATCHED)
                if wd < 0:
                    raise OSError(ctypes.get_errno(), f"inotify_add_watch({directory}) failed")
                self.folders_of.setdefault(wd, set()).add(folder)
            return self.changes.setdefault(folder, 0)

    def count(self, folder: str) -> int:
        with self.lock:
            self._drain()
            return self.changes.get(folder, 0)

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            offset = 0
            while offset < len(data):
                wd, mask, _, length = EVENT_HEADER.unpack_from(data, offset)
                name = data[offset + EVENT_HEADER.size : offset + EVENT_HEADER.size + length].rstrip(b"\0")
                offset += EVENT_HEADER.size + length
                if mask & IN_Q_OVERFLOW:  # events were lost: assume every folder changed
                    folders = set(self.changes)
                elif name in IGNORED_NAMES:
                    continue
                else:
                    folders = self.folders_of.get(wd, ())
                for folder in folders:
                    self.changes[folder] = self.changes.get(folder, 0) + 1


_inotify: _Inotify | None = None
_inotify_failed = False
_inotify_lock = threading.Lock()


def _shared_inotify() -> _Inotify | None:
    global _inotify, _inotify_failed
    with _inotify_lock:
        if _inotify is None and not _inotify_failed:
            try:
                _inotify = _Inotify()
            except (OSError, AttributeError):  # not Linux, or no instance left (fs.inotify.max_user_instances)
                _inotify_failed = True
        return _inotify


class CodeWatch:
    """One function process's view of its code folder: ``changed()`` is True once anything in it
    was edited, added or removed after the watch began."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.inotify = _shared_inotify()
        self.start_count = None
        if self.inotify is not None:
            try:
                self.start_count = self.inotify.watch(folder)
            except OSError:  # e.g. out of watches (fs.inotify.max_user_watches): fall back
                self.inotify = None
        self.signature = code_signature(folder) if self.inotify is None else None
        self.checked = time.monotonic()

    def changed(self) -> bool:
        if self.inotify is not None:
            return self.inotify.count(self.folder) != self.start_count
        now = time.monotonic()
        if now - self.checked < SIGNATURE_MAX_AGE_SECONDS:
            return False
        self.checked = now
        return code_signature(self.folder) != self.signature
