"""One answer of server.py on the wire: its head with the first chunk, then the body by its length,
chunked, or until the connection closes."""

import time
from email.utils import formatdate
from http import HTTPStatus

# Answers that never have a body (RFC 9110).
NO_BODY = {204, 304}
STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


def status_line(status: int) -> str:
    """The WSGI status line of a numeric status ("200 OK"); a status without a standard phrase is Unknown."""
    return STATUS_LINES.get(status) or f"{status} Unknown"


class Closed(Exception):
    """The client went away, or the connection cannot go on."""


class Writer:
    """One answer on the wire: its head with the first chunk, then by length, chunked, or to the close."""

    def __init__(self, connection, request, status_line: str, headers: list):
        self.connection = connection
        code = int(status_line[:3])
        self.head_only = request.method == b"HEAD" or code in NO_BODY or code < 200
        self.length: int | None = None
        self.sent = 0
        self.keep_alive = request.version != "1.0"
        lines = [f"HTTP/1.1 {status_line}"]
        dated = False
        for name, value in headers:
            lower = name.lower()
            if lower == "content-length":
                self.length = int(value)
            elif lower == "connection":
                self.keep_alive = self.keep_alive and "close" not in str(value).lower()
                continue  # written below, once, from what this writer does
            elif lower == "transfer-encoding":
                continue  # this writer frames the body itself
            dated = dated or lower == "date"
            lines.append(f"{name}: {value}")
        self.chunked = not self.head_only and self.length is None and self.keep_alive
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
        elif not self.head_only and self.length is None:
            self.keep_alive = False  # an HTTP/1.0 client: the body ends with the connection
        if not self.keep_alive:
            lines.append("Connection: close")
        if not dated:  # the application's own (the DynamoDB process's, a function URL's) stands
            lines.append(f"Date: {_date()}")
        self.head: bytes | None = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def write(self, chunk: bytes) -> None:
        if not chunk or self.head_only:
            return
        self.sent += len(chunk)
        if self.length is not None and self.sent > self.length:
            raise ValueError(f"the application's answer is longer than its Content-Length ({self.length})")
        data = b"%x\r\n%b\r\n" % (len(chunk), chunk) if self.chunked else chunk
        if self.head is not None:
            data, self.head = self.head + data, None
        self.connection.write(data)

    @property
    def started(self) -> bool:
        """Whether any of it is on the wire."""
        return self.head is None

    def finish(self) -> bool:
        """Whether the answer ended as framed, so that the connection can carry another."""
        tail = b"0\r\n\r\n" if self.chunked else b""
        if self.head is not None:
            tail, self.head = self.head + tail, None
        if tail:
            self.connection.write(tail)
        return self.keep_alive and (self.head_only or self.length is None or self.sent == self.length)


_date_cache: tuple[int, str] = (0, "")


def _date() -> str:
    """The Date header, formatted once a second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]
