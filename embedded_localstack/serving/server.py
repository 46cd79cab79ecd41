"""A plain HTTP/1.1 server for a WSGI application: one thread per connection, kept alive, nothing between
the socket and the application but httptools (llhttp, the parser uvicorn uses).

It serves LocalStack's gateway (plugins.py) and the DynamoDB process (dynamodb_process/server.py).
Why not LocalStack's twisted server: a trivial call cost LocalStack 2.4 ms of CPU there, most of it
outside the handler chain (twisted's request object, its header parsing through the email package,
the WSGI bridge handing each request to a pool thread and each write back to the reactor thread,
which waits); here it is about 1.3 ms, and the answer is written by the thread that computed it.
Why not werkzeug's: it closes the connection after every answer, so each call pays a new connection
and a new thread. h11 was tried first: its pure-Python parsing was a third of this server's time.

What a client may rely on, as with twisted: keep-alive and pipelining, request bodies by length or
chunked (read whole before the application runs; over BODY_IN_MEMORY into a temporary file),
``Expect: 100-continue``, streamed answers written as the application yields them (chunked when they
have no length), header casing kept (``rolo.headers``), a malformed request answered 400 (431 for
headers over MAX_HEADER_BYTES) and the connection closed. A connection idle for IDLE_SECONDS between
requests is closed; SDKs reconnect.
"""

import socket
import ssl
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import NoReturn

import httptools

from embedded_localstack.serving import after_answer
from embedded_localstack.serving.answer import Closed, Writer
from embedded_localstack.serving.request import Request, form_without_boundary, wsgi_environ

TLS_HANDSHAKE = b"\x16"  # a TLS record's first byte, when it carries a handshake (ClientHello)
# An idle keep-alive connection holds a thread; SDKs reconnect when the server has closed one.
IDLE_SECONDS = 300
# Request line and headers, at most (twisted allowed 16 KiB a line; presigned URLs are long).
MAX_HEADER_BYTES = 64 * 1024
RECEIVE_BYTES = 64 * 1024
# A request body at most this large stays in memory; larger ones (S3 uploads) go to a temporary file.
BODY_IN_MEMORY = 1024 * 1024

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class _Connection:
    """One client connection: httptools calls the on_* methods while it parses what arrives."""

    def __init__(self, sock: socket.socket, peer: tuple, app: WsgiApp, server: tuple[str, int], tls=None):
        self.sock, self.peer, self.app, self.server, self.tls = sock, peer, app, server, tls
        self.scheme = "http"
        self.parser = httptools.HttpRequestParser(self)
        self.parsing = Request()
        self.complete: deque[Request] = deque()  # parsed, not yet answered (pipelined requests)
        # Bytes received while a request line and headers are still incomplete: httptools holds a header
        # until it is whole, so the limit is kept here, on what arrives, not on what it hands over.
        self.head_bytes = 0
        self.in_head = True

    # httptools' callbacks
    def on_message_begin(self) -> None:
        self.parsing = Request()

    def on_url(self, url: bytes) -> None:
        self.parsing.target += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.parsing.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.in_head, self.head_bytes = False, 0
        request = self.parsing
        request.method = self.parser.get_method()
        request.version = self.parser.get_http_version()
        request.keep_alive = self.parser.should_keep_alive()
        for name, value in request.headers:
            lower = name.lower()
            if lower == b"transfer-encoding" or (lower == b"content-length" and int(value or 0) > BODY_IN_MEMORY):
                # closed once answered (_answer)
                request.body = tempfile.SpooledTemporaryFile(max_size=BODY_IN_MEMORY)  # noqa: SIM115
            elif (
                lower == b"expect"
                and value.lower() == b"100-continue"
                and request.version == "1.1"
                and not self.complete
            ):
                self.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, data: bytes) -> None:
        self.parsing.body.write(data)

    def on_message_complete(self) -> None:
        self.complete.append(self.parsing)
        self.in_head = True  # what comes next is the next request's head

    # the exchange
    def serve(self) -> None:
        try:
            if self.tls is not None:
                self._maybe_tls()
            while True:
                while not self.complete:
                    self._receive()
                if not self._answer(self.complete.popleft()):
                    return
        except Closed:
            pass
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def _maybe_tls(self) -> None:
        """HTTPS on the same port, as LocalStack's twisted server multiplexes it: a connection whose first
        byte starts a TLS handshake is wrapped (functions whose SDK insists on the real AWS endpoint reach
        LocalStack this way: runtimes/aws_guard)."""
        try:
            first = self.sock.recv(1, socket.MSG_PEEK)
        except OSError as e:
            raise Closed() from e
        if first != TLS_HANDSHAKE:
            return
        try:
            self.sock = self.tls.wrap_socket(self.sock, server_side=True)
        except (OSError, ssl.SSLError) as e:  # a client that does not trust the certificate hangs up here
            raise Closed() from e
        self.scheme = "https"

    def _receive(self) -> None:
        try:
            data = self.sock.recv(RECEIVE_BYTES)
        except OSError as e:  # a reset, or IDLE_SECONDS without a byte
            raise Closed() from e
        if not data:
            raise Closed()
        if self.in_head:
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # A WebSocket or CONNECT request: answered as a plain request (nothing here upgrades), then closed.
            if not self.complete:
                self._refuse(HTTPStatus.BAD_REQUEST, "upgrades are not served")
            for request in self.complete:
                request.keep_alive = False
        except httptools.HttpParserError as e:
            self._refuse(HTTPStatus.BAD_REQUEST, str(e) or type(e).__name__)
        if self.in_head and self.head_bytes > MAX_HEADER_BYTES:
            self._refuse(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, f"request line and headers over {MAX_HEADER_BYTES} bytes"
            )

    def _answer(self, request: Request) -> bool:
        """Runs the application and writes its answer; whether the connection can carry another request."""
        status: list = []
        started = False

        def start_response(status_line: str, headers: list, exc_info=None):
            if exc_info and started:  # PEP 3333: too late to change the answer
                raise exc_info[1].with_traceback(exc_info[2])
            status[:] = [status_line, headers]

        if form_without_boundary(request):
            # A multipart form with no boundary has no parts to find: LocalStack's API Gateway failed on it
            # with a 500; twisted, LocalStack's server, answers such a form 400 before the application.
            self._refuse(HTTPStatus.BAD_REQUEST, "a multipart/form-data body needs a boundary parameter")
        environ = wsgi_environ(request, self.server, self.peer, self.scheme)
        request.body.seek(0)
        # What the request starts for later (after_answer.later) starts once its answer is written.
        with after_answer.answering():
            writer = None
            result: Iterable[bytes] = ()
            try:
                result = self.app(environ, start_response)
                for chunk in result:
                    if writer is None:
                        writer = Writer(self, request, *status)
                        started = True
                    writer.write(chunk)
                if writer is None:
                    writer = Writer(self, request, *status)
                return writer.finish() and request.keep_alive
            except Closed:
                raise
            except Exception as e:  # rolo's gateway answers its own errors: this is one it could not
                print(f"serving: {request.method!r} {request.target!r} failed: {e!r}", file=sys.stderr)
                if writer is not None and writer.started:
                    raise Closed() from e  # part of the answer is out: the client sees it cut short
                self._refuse(HTTPStatus.INTERNAL_SERVER_ERROR, type(e).__name__)
            finally:
                if hasattr(result, "close"):
                    result.close()
                request.body.close()

    def write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Closed() from e

    def _refuse(self, status: HTTPStatus, reason: str) -> NoReturn:
        """A request that cannot be answered otherwise: a short answer, then the connection closes."""
        body = f"{status.phrase}: {reason}\n".encode()
        head = f"HTTP/1.1 {status.value} {status.phrase}\r\nContent-Type: text/plain\r\n"
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        try:
            self.write(head.encode() + body)
        except Closed:
            pass
        raise Closed()


class Listener:
    """Sockets bound to (host, port) pairs, each accepting on a thread of its own."""

    def __init__(self, app: WsgiApp, addresses: list[tuple[str, int]], tls: ssl.SSLContext | None = None):
        self.app, self.tls = app, tls
        self.sockets: list[socket.socket] = []
        self.accepting: list[threading.Thread] = []
        self._stopped = threading.Event()
        for host, port in addresses:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
            sock.listen(1024)
            self.sockets.append(sock)

    @property
    def port(self) -> int:
        return self.sockets[0].getsockname()[1]

    def start(self) -> None:
        for sock in self.sockets:
            thread = threading.Thread(target=self._accept, args=(sock,), name="http-accept", daemon=True)
            thread.start()
            self.accepting.append(thread)

    def serve_forever(self) -> None:
        self.start()
        self._stopped.wait()

    def stop(self) -> None:
        self._stopped.set()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listening: socket.socket) -> None:
        server = listening.getsockname()[:2]
        while not self._stopped.is_set():
            try:
                sock, peer = listening.accept()
            except OSError:
                if self._stopped.wait(0.05):  # e.g. too many open files: a moment, then accept again
                    return
                continue
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(IDLE_SECONDS)
                connection = _Connection(sock, peer[:2], self.app, server, self.tls)
                threading.Thread(target=connection.serve, name="http-connection", daemon=True).start()
            except (OSError, RuntimeError) as e:  # a peer gone already, or no thread to be had: that one only
                print(f"serving: dropped a connection from {peer[:2]}: {e!r}", file=sys.stderr)
                sock.close()
