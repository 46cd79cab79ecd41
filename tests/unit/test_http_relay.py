"""The client LocalStack forwards DynamoDB requests with (embedded_localstack/serving/relay.py), against
the embedded mode's own server: connections reused, a request never sent twice to a server that read
it, and a server that is gone or breaks off named, not waited on."""

import select
import socket
import threading

import pytest

from embedded_localstack.serving import relay as relaying
from embedded_localstack.serving import server as serving
from embedded_localstack.serving.relay import Relay, RelayError
from embedded_localstack.serving.server import Listener

DEADLINE_SECONDS = 10


class Counting:
    """A WSGI application that counts the requests it acted on."""

    def __init__(self):
        self.calls: list[tuple[str, bytes, str]] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read()
        with self.lock:
            self.calls.append((environ["PATH_INFO"], body, environ["REMOTE_PORT"]))
        answer = b"seen " + body
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(answer)))])
        return [answer]


@pytest.fixture
def app():
    return Counting()


@pytest.fixture
def listener(app):
    server = Listener(app, [("127.0.0.1", 0)])
    server.start()
    yield server
    server.stop()


def test_answers_come_back_and_the_connection_is_reused(listener, app):
    relay = Relay("127.0.0.1", listener.port)
    for i in range(20):
        status, headers, body = relay.request("POST", f"/r{i}", [("X-Test", "1")], f"b{i}".encode())
        assert (status, body) == (200, f"seen b{i}".encode())
        assert (b"Content-Type", b"text/plain") in headers
    assert len({peer for _, _, peer in app.calls}) == 1
    assert [body for _, body, _ in app.calls] == [f"b{i}".encode() for i in range(20)]


def test_a_connection_the_server_closed_while_idle_is_replaced_and_the_request_acted_on_once(monkeypatch, app):
    monkeypatch.setattr(serving, "IDLE_SECONDS", 0.2)
    server = Listener(app, [("127.0.0.1", 0)])
    server.start()
    try:
        relay = Relay("127.0.0.1", server.port)
        relay.request("POST", "/first", [], b"1")
        (idle, _) = relay._idle[0]
        ready, _, _ = select.select([idle], [], [], DEADLINE_SECONDS)  # the server closes it
        assert ready, "the server did not close the idle connection"

        status, _, body = relay.request("POST", "/second", [], b"2")

        assert (status, body) == (200, b"seen 2")
        assert [path for path, _, _ in app.calls] == ["/first", "/second"]
    finally:
        server.stop()


def test_no_server_is_a_relay_error_naming_it():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(RelayError, match=f"127.0.0.1:{port}"):
        Relay("127.0.0.1", port).request("GET", "/", [], b"")


def test_a_server_that_breaks_off_within_its_answer_is_an_error_and_not_asked_again():
    asked = []
    with socket.socket() as raw:
        raw.bind(("127.0.0.1", 0))
        raw.listen()

        def half_answer():
            while True:
                try:
                    conn, _ = raw.accept()
                except OSError:
                    return
                with conn:
                    asked.append(conn.recv(65536))
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")

        threading.Thread(target=half_answer, daemon=True).start()
        with pytest.raises(RelayError, match="closed the connection within its answer"):
            Relay("127.0.0.1", raw.getsockname()[1]).request("PUT", "/once", [], b"x")
    assert len(asked) == 1, "a request the server read is never sent again"


def test_a_connection_idle_too_long_is_not_reused(monkeypatch, listener, app):
    relay = Relay("127.0.0.1", listener.port)
    relay.request("GET", "/a", [], b"")
    monkeypatch.setattr(relaying, "IDLE_SECONDS", 0)
    relay.request("GET", "/b", [], b"")
    assert len({peer for _, _, peer in app.calls}) == 2


def test_many_threads_share_one_relay(listener, app):
    relay = Relay("127.0.0.1", listener.port)

    def client(n: int) -> list[bytes]:
        return [relay.request("POST", "/t", [], f"{n}-{i}".encode())[2] for i in range(30)]

    results: dict[int, list[bytes]] = {}
    threads = [threading.Thread(target=lambda n=n: results.update({n: client(n)})) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_SECONDS)
    assert results == {n: [f"seen {n}-{i}".encode() for i in range(30)] for n in range(16)}
    assert len(app.calls) == 16 * 30


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        ("/ HTTP/1.1\r\nX-Amz-Target: DynamoDB_20120810.DeleteTable\r\n\r\n", []),
        ("/\u20ac", []),
        ("/", [("X-Split", "a\r\nX-Amz-Target: DynamoDB_20120810.DeleteTable")]),
        ("/", [("X-Bad:Name", "v")]),
    ],
    ids=["crlf-in-target", "non-ascii-target", "crlf-in-header", "colon-in-name"],
)
def test_a_request_that_would_smuggle_another_is_refused_before_it_is_sent(listener, app, target, headers):
    relay = Relay("127.0.0.1", listener.port)
    with pytest.raises(ValueError, match="cannot be forwarded"):
        relay.request("POST", target, headers, b"{}")
    assert relay.request("POST", "/after", [], b"x")[2] == b"seen x"
    assert [path for path, _, _ in app.calls] == ["/after"], "nothing of the refused request reached the server"


def test_a_connection_with_more_than_one_answer_on_it_is_not_reused():
    with socket.socket() as raw:
        raw.bind(("127.0.0.1", 0))
        raw.listen()
        peers = []

        def two_answers():
            while True:
                try:
                    conn, peer = raw.accept()
                except OSError:
                    return
                peers.append(peer)
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"
                )

        threading.Thread(target=two_answers, daemon=True).start()
        relay = Relay("127.0.0.1", raw.getsockname()[1])
        relay.request("GET", "/", [], b"")
        assert not relay._idle, "a connection out of step is closed, not pooled"


def test_a_request_that_expects_100_continue_gets_its_own_answer_and_the_next_one_too(listener, app):
    # The server answers "Expect: 100-continue" with an interim 100 before the answer: read as the answer,
    # the real one would stay on the kept-alive connection and be handed to the next request.
    relay = Relay("127.0.0.1", listener.port)
    for i in range(3):
        status, _, body = relay.request("POST", "/", [("Expect", "100-continue")], f"b{i}".encode())
        assert (status, body) == (200, f"seen b{i}".encode())
    status, _, body = relay.request("POST", "/", [], b"last")
    assert (status, body) == (200, b"seen last")


def test_interim_answers_are_passed_over_and_the_connection_stays_in_step():
    # A server may send 1xx answers unasked (103 Early Hints; 100 Continue): each request still gets its
    # own final answer, and the next request on the kept-alive connection gets its own.
    listening = socket.create_server(("127.0.0.1", 0))

    def serve():
        sock, _ = listening.accept()
        with sock:
            for i in range(3):
                data = b""
                while not data.endswith(f"r{i}".encode()):
                    data += sock.recv(65536)
                sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                sock.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
                body = f"answer {i}".encode()
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-N: %d\r\n\r\n%s" % (len(body), i, body))

    threading.Thread(target=serve, daemon=True).start()
    relay = Relay("127.0.0.1", listening.getsockname()[1], timeout=DEADLINE_SECONDS)
    try:
        for i in range(3):
            status, headers, body = relay.request("POST", "/", [], f"r{i}".encode())
            assert (status, body) == (200, f"answer {i}".encode())
            assert headers == [(b"Content-Length", str(len(body)).encode()), (b"X-N", str(i).encode())]
    finally:
        listening.close()


def test_dynamodb_requests_wait_for_an_answer_longer_than_an_sdk_but_not_for_ever():
    from botocore.config import Config

    from embedded_localstack.dynamodb_process import forward

    timeout = forward.relay("http://127.0.0.1:9").timeout
    assert timeout == forward.ANSWER_TIMEOUT_SECONDS
    assert Config().read_timeout < timeout < float("inf")


def test_a_server_that_never_answers_is_an_error_once_the_timeout_passes_not_asked_again_and_said_busy():
    """A timeout means a busy process (one operation at a time), not an ended one: the request is not sent
    again, and the client is told it may still be applied, not to throw its tables away."""
    from embedded_localstack.dynamodb_process import forward

    listening = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []
    hang_up = threading.Event()

    def serve():
        for silent in (True, False):
            sock, _ = listening.accept()
            with sock:
                received.append(sock.recv(65536))
                if silent:
                    hang_up.wait(DEADLINE_SECONDS)  # read, acted on perhaps, and silent
                # else: hung up on without an answer, as a process that ended

    threading.Thread(target=serve, daemon=True).start()
    try:
        with pytest.raises(RelayError, match="did not answer") as timed_out:
            Relay("127.0.0.1", listening.getsockname()[1], timeout=0.2).request("POST", "/", [], b"once")
        assert len(received) == 1 and received[0].endswith(b"once")
        hang_up.set()
        with pytest.raises(RelayError) as ended:
            Relay("127.0.0.1", listening.getsockname()[1], timeout=DEADLINE_SECONDS).request("POST", "/", [], b"x")
    finally:
        hang_up.set()
        listening.close()
    busy = forward.not_answered(timed_out.value)
    assert "may still apply this request" in busy and forward.FIX not in busy
    gone = forward.not_answered(ended.value)
    assert forward.FIX in gone and "may still apply" not in gone
