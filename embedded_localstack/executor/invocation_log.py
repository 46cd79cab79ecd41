"""An invocation's log, read from its environment's log file by the host once the invocation has ended."""

import os


def read_logs(log_path: str, limit: int) -> str:
    """The current invocation's output (read by the host side, outside the function's memory), at most
    `limit` bytes (EMBEDDED_LAMBDA_MAX_LOG_BYTES, log_store.log_limit): a function printing in a loop until
    its timeout can write gigabytes, so past it the middle goes, and START and END/REPORT stay.
    Splitting it into CloudWatch events within the service's limits is ``log_events``' job.

    Output over ``limit`` bytes loses its middle: the first and last halves stay, cut at line ends,
    so START and END/REPORT are kept, and one line in between says which bytes were dropped."""
    with open(log_path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size <= limit:
            return f.read().decode("utf-8", errors="replace")
        head = f.read(limit // 2)
        f.seek(size - limit // 2)
        tail = f.read()
    if b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    if b"\n" in tail[:-1]:
        tail = tail[tail.index(b"\n") + 1 :]
    dropped_from, dropped_to = len(head), size - len(tail)
    marker = (
        f"[embedded runtime] {dropped_to - dropped_from} bytes of output dropped here (bytes {dropped_from} "
        f"to {dropped_to} of {size}): an invocation's log is kept up to {limit} bytes, its start and end "
        "(EMBEDDED_LAMBDA_MAX_LOG_BYTES)\n"
    )
    if not head.endswith(b"\n"):
        marker = "\n" + marker
    return (head + marker.encode() + tail).decode("utf-8", errors="replace")
