"""Requests to one HTTP/1.1 server on 127.0.0.1 over kept-alive connections, answers parsed by httptools.

LocalStack forwards each DynamoDB request with it (dynamodb_process/forward.py). urllib3 did that
before, and half of LocalStack's CPU for a forwarded GetItem went to it, most of that to http.client
parsing the answer's headers through the email package; this costs a fraction of it.

A connection idle for IDLE_SECONDS is not reused (the server closes idle ones after
server.IDLE_SECONDS, much later). A reused connection that the server closed before it read the
request (EOF or reset before any byte of an answer) is replaced and the request sent once more: the
server cannot have acted on it. Anything else is raised as RelayError.
"""

import socket
import time
from collections import deque

import httptools

IDLE_SECONDS = 60
POOL_SIZE = 32  # idle connections kept, at most
# What may not appear in a request line or a header: it would end the line early and let the rest be read
# as another header, or another request (request smuggling). Non-ASCII is refused in the target too.
LINE_BREAKERS = ("\r", "\n", "\0")
RECEIVE_BYTES = 64 * 1024
CONNECT_TIMEOUT_SECONDS = 5


class RelayError(OSError):
    """The server did not answer."""


class _Answer:
    """httptools' callbacks for one answer."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()
        self.complete = False
        self.keep_alive = False
        self.messages = 0
        self.parser = httptools.HttpResponseParser(self)

    def on_message_begin(self) -> None:
        self.messages += 1

    def on_headers_complete(self) -> None:
        self.keep_alive = self.parser.should_keep_alive()  # llhttp knows it only until the message completes

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, data: bytes) -> None:
        self.body += data

    def on_message_complete(self) -> None:
        if 100 <= self.parser.get_status_code() < 200:
            # An interim answer (100 Continue to an Expect header): the answer follows on the connection.
            self.headers.clear()
            self.body.clear()
            self.messages -= 1
            return
        self.complete = True


class Relay:
    def __init__(self, host: str, port: int, timeout: float | None = None):
        self.host, self.port, self.timeout = host, port, timeout
        self._idle: deque[tuple[socket.socket, float]] = deque()

    def request(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Sends the request; returns the answer's status, headers and body. ValueError for a request line or
        header that cannot be sent as it is (a line break in it, or a target that is not ASCII)."""
        _check_line(method, target, headers)
        lines = [f"{method} {target} HTTP/1.1", f"Content-Length: {len(body)}"]
        # The body goes with the request at once: nothing to wait for a 100 Continue for.
        lines += [f"{name}: {value}" for name, value in headers if name.lower() != "expect"]
        if not any(name.lower() == "host" for name, _ in headers):
            lines.append(f"Host: {self.host}:{self.port}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        sock, reused = self._connection()
        try:
            answer, parser = self._exchange(sock, data)
        except _NotRead as e:
            sock.close()
            if not reused:
                raise RelayError(f"{self.host}:{self.port} closed the connection: {e.__cause__ or e}") from e
            sock, _ = self._new()  # it had closed an idle connection: once more, on a new one
            try:
                answer, parser = self._exchange(sock, data)
            except (_NotRead, OSError, httptools.HttpParserError) as again:
                sock.close()
                raise RelayError(f"{self.host}:{self.port} did not answer: {again!r}") from again
        except (OSError, httptools.HttpParserError) as e:
            sock.close()
            raise RelayError(f"{self.host}:{self.port} did not answer: {e}") from e
        if answer.keep_alive and answer.messages == 1 and len(self._idle) < POOL_SIZE:
            self._idle.append((sock, time.monotonic()))
        else:
            sock.close()
        return parser.get_status_code(), answer.headers, bytes(answer.body)

    def _exchange(self, sock: socket.socket, data: bytes):
        answer = _Answer()
        parser = answer.parser
        received = 0
        try:
            sock.sendall(data)
            while not answer.complete:
                chunk = sock.recv(RECEIVE_BYTES)
                if not chunk:
                    if received == 0:
                        raise _NotRead()
                    parser.feed_data(b"")
                    raise RelayError(f"{self.host}:{self.port} closed the connection within its answer")
                received += len(chunk)
                parser.feed_data(chunk)
        except (BrokenPipeError, ConnectionResetError) as e:
            if received == 0:
                raise _NotRead() from e
            raise
        return answer, parser

    def _connection(self) -> tuple[socket.socket, bool]:
        while True:
            try:
                sock, since = self._idle.pop()
            except IndexError:
                return self._new()
            if time.monotonic() - since < IDLE_SECONDS:
                return sock, True
            sock.close()

    def _new(self) -> tuple[socket.socket, bool]:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT_SECONDS)
        except OSError as e:
            raise RelayError(f"cannot connect to {self.host}:{self.port}: {e}") from e
        sock.settimeout(self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, False

    def close(self) -> None:
        while self._idle:
            self._idle.pop()[0].close()


def _check_line(method: str, target: str, headers: list[tuple[str, str]]) -> None:
    if not target.isascii() or " " in target or any(c in target for c in LINE_BREAKERS):
        raise ValueError(f"a request target that cannot be forwarded as it is: {target!r}")
    if not method.isalpha():
        raise ValueError(f"not a method: {method!r}")
    for name, value in headers:
        if any(c in name or c in value for c in LINE_BREAKERS) or ":" in name:
            raise ValueError(f"a header that cannot be forwarded as it is: {name!r}")


class _NotRead(Exception):
    """The connection ended before any byte of an answer."""
