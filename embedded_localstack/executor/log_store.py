"""CloudWatch Logs events kept compactly in LocalStack's memory, and that memory given back.

moto keeps every log event as a Python object with its own message string (``LogStream.events``, a
list of ``LogEvent``). A function that prints a lot then costs LocalStack several times what it
printed (about 2.8 times: 30 MB of output raised LocalStack's resident memory by 85 MB), and deleting
the log group gave none of it back: the freed memory stayed in the allocator's heap.

Here each stream keeps its events as one batch per PutLogEvents call: the messages' UTF-8 bytes in one
buffer with the end offset of each (4 bytes an event), and the batch's timestamps and event ids as a
single number each when they are all equal or consecutive, as they are for a Lambda invocation's lines.
Readers (GetLogEvents, FilterLogEvents, subscription filters) get moto's ``LogEvent`` objects, made
when they iterate. After a log group or stream is deleted, and after a large invocation log is shipped,
``malloc_trim`` returns the allocator's free memory to the system (glibc; elsewhere nothing is trimmed).
"""

import ctypes
import ctypes.util
import functools
import gc
import logging
from array import array
from bisect import bisect_right

from embedded_localstack import settings

LOG = logging.getLogger(__name__)

_libc = None


@functools.cache
def log_limit() -> int:
    """The most of one invocation's output that is read and shipped (config/localstack.env)."""
    return settings.MAX_LOG_BYTES.read()


def give_back_memory(collect: bool = False) -> None:
    """Returns the free memory of glibc's heaps to the system; Python does not. With collect, frees
    unreachable cycles first: a moto log group and its streams refer to each other."""
    global _libc
    if collect:
        gc.collect()
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
            _libc.malloc_trim  # noqa: B018 (glibc only: musl and macOS have none)
        except (OSError, AttributeError):
            _libc = False
    if _libc:
        _libc.malloc_trim(0)


class _Batch:
    __slots__ = ("data", "ends", "ids", "ingestion_time", "timestamps")

    def __init__(self, events: list) -> None:
        self.ingestion_time = events[0].ingestion_time
        timestamps = [event.timestamp for event in events]
        ids = [event.event_id for event in events]
        self.timestamps = timestamps[0] if len(set(timestamps)) == 1 else array("q", timestamps)
        consecutive = ids == list(range(ids[0], ids[0] + len(ids)))
        self.ids = ids[0] if consecutive else array("q", ids)
        encoded = [event.message.encode("utf-8", "surrogatepass") for event in events]
        self.data = b"".join(encoded)
        self.ends = array("I")  # a PutLogEvents call carries at most 1 MiB
        end = 0
        for message in encoded:
            end += len(message)
            self.ends.append(end)

    def __len__(self) -> int:
        return len(self.ends)

    def event(self, index: int, event_type):
        event = event_type.__new__(event_type)  # not __init__: it would take a new event id
        start = self.ends[index - 1] if index else 0
        event.ingestion_time = self.ingestion_time
        event.timestamp = self.timestamps if isinstance(self.timestamps, int) else self.timestamps[index]
        event.event_id = self.ids + index if isinstance(self.ids, int) else self.ids[index]
        event.message = self.data[start : self.ends[index]].decode("utf-8", "surrogatepass")
        return event

    def timestamp_range(self) -> tuple[int, int]:
        if isinstance(self.timestamps, int):
            return self.timestamps, self.timestamps
        return min(self.timestamps), max(self.timestamps)


class CompactEvents:
    """A log stream's events (moto's ``LogStream.events``): appended with ``+=``, read by iterating."""

    def __init__(self, event_type) -> None:
        self._event_type = event_type
        self._batches: list[_Batch] = []
        self._starts: list[int] = []  # index of each batch's first event
        self._count = 0
        self.first_timestamp: int | None = None
        self.last_timestamp: int | None = None

    def __iadd__(self, events: list) -> "CompactEvents":
        if events:
            batch = _Batch(list(events))
            self._starts.append(self._count)
            self._batches.append(batch)
            self._count += len(batch)
            low, high = batch.timestamp_range()
            self.first_timestamp = low if self.first_timestamp is None else min(self.first_timestamp, low)
            self.last_timestamp = high if self.last_timestamp is None else max(self.last_timestamp, high)
        return self

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self):
        for batch in self._batches:
            for index in range(len(batch)):
                yield batch.event(index, self._event_type)

    def __getitem__(self, index: int):
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        which = bisect_right(self._starts, index) - 1
        return self._batches[which].event(index - self._starts[which], self._event_type)


_installed = False


def keep_log_events_compactly() -> None:
    """Patches moto's logs models: new streams keep their events compactly; deleting gives memory back."""
    global _installed
    if _installed:
        return
    from localstack.utils.patch import patch
    from moto.logs.models import LogEvent, LogsBackend, LogStream

    @patch(LogStream.__init__)
    def __init__(init, self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        self.events = CompactEvents(LogEvent)

    @patch(LogStream._update)
    def _update(update, self) -> None:
        if not isinstance(self.events, CompactEvents):  # a stream made before the patch
            return update(self)
        # Without making every event of the stream to find the first and last timestamp.
        self.first_event_timestamp = self.events.first_timestamp
        self.last_event_timestamp = self.events.last_timestamp

    @patch(LogsBackend.delete_log_group)
    def delete_log_group(delete, self, *args, **kwargs):
        try:
            return delete(self, *args, **kwargs)
        finally:
            give_back_memory(collect=True)

    @patch(LogsBackend.delete_log_stream)
    def delete_log_stream(delete, self, *args, **kwargs):
        try:
            return delete(self, *args, **kwargs)
        finally:
            give_back_memory(collect=True)

    _installed = True
