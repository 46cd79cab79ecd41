"""The embedded mode's HTTP server (embedded_localstack/serving/server.py) on real sockets, as clients
and hostile clients use it: what it must never do is lose or mix up a request, answer one with
another's bytes, or stop serving others because one connection misbehaved."""

import datetime
import http.client
import json
import select
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from embedded_localstack.serving import after_answer
from embedded_localstack.serving import server as serving
from embedded_localstack.serving.server import Listener

DEADLINE_SECONDS = 10


def echo(environ, start_response):
    """Answers with what it was given, as JSON."""
    body = environ["wsgi.input"].read()
    path = environ["PATH_INFO"]
    if path == "/boom":
        raise RuntimeError("boom")
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (f"part {i}\n".encode() for i in range(3))
    if path == "/failing-stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return failing_stream()
    if path == "/liar":
        start_response("200 OK", [("Content-Length", "10")])
        return [b"x" * 20]
    document = {
        "method": environ["REQUEST_METHOD"],
        "path": path,
        "raw": environ["RAW_URI"],
        "query": environ["QUERY_STRING"],
        "length": environ["CONTENT_LENGTH"],
        "body": body.decode("latin-1"),
        "headers": [[k.decode(), v.decode()] for k, v in environ["rolo.headers"]],
        "joined": environ.get("HTTP_X_TWICE"),
        "peer": environ["REMOTE_PORT"],
    }
    answer = json.dumps(document).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
    return [answer]


def failing_stream():
    yield b"part 0\n"
    raise RuntimeError("the stream broke")


@pytest.fixture
def listener():
    server = Listener(echo, [("127.0.0.1", 0)])
    server.start()
    yield server
    server.stop()


def connect(listener) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", listener.port), timeout=DEADLINE_SECONDS)
    return sock


def read_answers(sock: socket.socket, count: int) -> list[tuple[int, dict, bytes]]:
    """Reads `count` answers off a raw socket (http.client reads one per connection object)."""
    answers = []
    reader = sock.makefile("rb")
    for _ in range(count):
        status = int(reader.readline().split()[1])
        headers = {}
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = reader.read(int(headers["content-length"])) if "content-length" in headers else b""
        answers.append((status, headers, body))
    return answers


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed the connection (EOF or reset) before the deadline."""
    ready, _, _ = select.select([sock], [], [], DEADLINE_SECONDS)
    if not ready:
        return False
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


def test_one_connection_carries_many_requests_each_answered_with_its_own(listener):
    connection = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=DEADLINE_SECONDS)
    peers = set()
    for i in range(50):
        connection.request("POST", f"/item/{i}?n={i}", body=f"body {i}")
        answer = json.loads(connection.getresponse().read())
        assert (answer["path"], answer["query"], answer["body"]) == (f"/item/{i}", f"n={i}", f"body {i}")
        peers.add(answer["peer"])
    assert len(peers) == 1, "kept alive: every request came over the one connection"


def test_pipelined_requests_are_answered_in_order(listener):
    with connect(listener) as sock:
        sock.sendall(
            b"".join(b"POST /p%d HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n%d" % (i, i) for i in range(5))
        )
        answers = read_answers(sock, 5)
    assert [json.loads(body)["path"] for _, _, body in answers] == [f"/p{i}" for i in range(5)]
    assert [json.loads(body)["body"] for _, _, body in answers] == [str(i) for i in range(5)]


def test_a_chunked_body_arrives_whole_with_its_length(listener):
    with connect(listener) as sock:
        sock.sendall(
            b"PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        ((status, _, body),) = read_answers(sock, 1)
    assert status == 200
    assert (json.loads(body)["body"], json.loads(body)["length"]) == ("hello world", "11")


def test_a_body_over_the_memory_limit_arrives_whole(listener):
    payload = bytes(range(256)) * (serving.BODY_IN_MEMORY // 256 + 4096)
    connection = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=DEADLINE_SECONDS)
    connection.request("PUT", "/big", body=payload)
    answer = json.loads(connection.getresponse().read())
    assert answer["length"] == str(len(payload))
    assert answer["body"].encode("latin-1") == payload


def test_expect_100_continue_is_answered_before_the_body_is_sent(listener):
    with connect(listener) as sock:
        sock.sendall(b"PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        ready, _, _ = select.select([sock], [], [], DEADLINE_SECONDS)
        assert ready and sock.recv(25) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"data")
        ((status, _, body),) = read_answers(sock, 1)
    assert (status, json.loads(body)["body"]) == (200, "data")


def test_head_gets_the_headers_and_no_body_and_the_connection_goes_on(listener):
    with connect(listener) as sock:
        sock.sendall(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"HTTP/1.1 200")
        head = []
        while (line := reader.readline()) != b"\r\n":
            head.append(line)
        assert any(line.lower().startswith(b"content-length: ") for line in head)
        assert reader.readline().startswith(b"HTTP/1.1 200"), "no body bytes between HEAD's answer and the next"


def test_a_streamed_answer_is_chunked_for_http_1_1_and_ends_the_connection_for_1_0(listener):
    connection = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=DEADLINE_SECONDS)
    connection.request("GET", "/stream")
    answer = connection.getresponse()
    assert answer.getheader("Transfer-Encoding") == "chunked"
    assert answer.read() == b"part 0\npart 1\npart 2\n"
    connection.request("GET", "/again")  # and the connection goes on
    assert json.loads(connection.getresponse().read())["path"] == "/again"

    with connect(listener) as sock:
        sock.sendall(b"GET /stream HTTP/1.0\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.endswith(b"\r\n\r\npart 0\npart 1\npart 2\n")
    assert b"connection: close" in received.lower()


def test_header_casing_is_kept_and_repeated_headers_are_joined(listener):
    with connect(listener) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\nX-Amz-Meta-CamelCase: v\r\nX-Twice: a\r\nX-Twice: b\r\n\r\n")
        ((_, _, body),) = read_answers(sock, 1)
    answer = json.loads(body)
    assert ["X-Amz-Meta-CamelCase", "v"] in answer["headers"]
    assert answer["joined"] == "a,b"


def test_the_path_is_decoded_and_the_raw_target_kept(listener):
    with connect(listener) as sock:
        sock.sendall(b"GET /a%20b/%C3%A9?x=%2F HTTP/1.1\r\nHost: x\r\n\r\n")
        ((_, _, body),) = read_answers(sock, 1)
    answer = json.loads(body)
    assert answer["path"].encode("latin-1").decode() == "/a b/é"
    assert (answer["raw"], answer["query"]) == ("/a%20b/%C3%A9?x=%2F", "x=%2F")


def test_an_absolute_form_target_is_served_by_its_path(listener):
    with connect(listener) as sock:
        sock.sendall(b"GET http://example.test:4566/abs/path?q=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        ((_, _, body),) = read_answers(sock, 1)
    assert (json.loads(body)["path"], json.loads(body)["query"]) == ("/abs/path", "q=1")


@pytest.mark.parametrize(
    "garbage",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
    ],
)
def test_a_malformed_request_gets_400_and_the_server_goes_on(listener, garbage):
    with connect(listener) as sock:
        sock.sendall(garbage)
        ((status, headers, _),) = read_answers(sock, 1)
        assert status == 400
        assert headers["connection"] == "close"
        assert closed_by_server(sock)
    assert_still_serving(listener)


def test_oversized_headers_get_431_without_the_server_holding_them(listener):
    with connect(listener) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(serving.MAX_HEADER_BYTES // 1000 + 10):
                sock.sendall(b"X-Pad: " + b"p" * 1000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before we finished
        ((status, _, _),) = read_answers(sock, 1)
    assert status == 431
    assert_still_serving(listener)


def test_an_application_error_is_a_500_and_no_one_else_notices(listener):
    with connect(listener) as sock:
        sock.sendall(b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        ((status, _, _),) = read_answers(sock, 1)
        assert status == 500
        assert closed_by_server(sock)
    assert_still_serving(listener)


def test_an_answer_longer_than_it_declared_is_a_500_not_a_cut_answer(listener):
    with connect(listener) as sock:
        sock.sendall(b"GET /liar HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        ((status, headers, _),) = read_answers(sock, 1)
        assert (status, headers["connection"]) == (500, "close")
        assert closed_by_server(sock), "the pipelined request after it is not answered with its bytes"
    assert_still_serving(listener)


def test_a_stream_that_fails_midway_is_cut_off_not_completed(listener):
    with connect(listener) as sock:
        sock.sendall(b"GET /failing-stream HTTP/1.1\r\nHost: x\r\n\r\n")
        received = sock.makefile("rb").read()  # until the server closes
    assert b"part 0" in received
    assert not received.endswith(b"0\r\n\r\n"), "no last chunk: the client can tell the answer is incomplete"
    assert_still_serving(listener)


def test_a_client_that_vanishes_mid_body_costs_nothing(listener):
    for _ in range(20):
        with connect(listener) as sock:
            sock.sendall(b"PUT /gone HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
    assert_still_serving(listener)


def test_an_idle_connection_is_closed_after_the_idle_limit(monkeypatch):
    monkeypatch.setattr(serving, "IDLE_SECONDS", 0.2)
    server = Listener(echo, [("127.0.0.1", 0)])
    server.start()
    try:
        with connect(server) as sock:
            sock.sendall(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
            read_answers(sock, 1)
            started = time.monotonic()
            assert closed_by_server(sock)
            assert time.monotonic() - started < DEADLINE_SECONDS
    finally:
        server.stop()


def test_many_clients_at_once_each_get_their_own_answers(listener):
    def client(n: int) -> list[str]:
        connection = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=DEADLINE_SECONDS)
        seen = []
        for i in range(20):
            connection.request("POST", f"/c{n}", body=f"{n}-{i}")
            seen.append(json.loads(connection.getresponse().read())["body"])
        return seen

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(client, range(32)))
    assert results == [[f"{n}-{i}" for i in range(20)] for n in range(32)]


def test_it_listens_only_where_it_was_told():
    server = Listener(echo, [("127.0.0.1", 0)])
    try:
        assert [sock.getsockname()[0] for sock in server.sockets] == ["127.0.0.1"]
    finally:
        server.stop()


def test_stop_frees_the_port_and_ends_the_accepting(listener):
    port = listener.port
    listener.stop()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    for thread in listener.accepting:
        thread.join(DEADLINE_SECONDS)
        assert not thread.is_alive()


def assert_still_serving(listener) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=DEADLINE_SECONDS)
    connection.request("GET", "/still")
    assert json.loads(connection.getresponse().read())["path"] == "/still"


def test_a_multipart_form_without_a_boundary_is_a_400_before_the_application(listener):
    with connect(listener) as sock:
        sock.sendall(
            b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data\r\nContent-Length: 2\r\n\r\n{}"
        )
        ((status, _, body),) = read_answers(sock, 1)
    assert status == 400
    assert b"boundary" in body
    connection = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=DEADLINE_SECONDS)
    form = b'--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nv\r\n--b--\r\n'
    connection.request("POST", "/form", body=form, headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert json.loads(connection.getresponse().read())["body"].encode() == form


def self_signed(key_file, cert_file) -> None:
    """A certificate for localhost, signed by its own key (as LocalStack's own is, when it makes one)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


@pytest.fixture
def tls_listener(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    self_signed(key, cert)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server = Listener(echo, [("127.0.0.1", 0)], tls=context)
    server.start()
    yield server, cert
    server.stop()


def test_https_and_http_share_the_port(tls_listener):
    server, cert = tls_listener
    client_context = ssl.create_default_context(cafile=str(cert))
    client_context.check_hostname = False
    secure = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=DEADLINE_SECONDS, context=client_context)
    for i in range(3):
        secure.request("POST", f"/tls{i}", body=b"secret")
        assert json.loads(secure.getresponse().read())["body"] == "secret"
    plain = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE_SECONDS)
    plain.request("GET", "/plain")
    assert json.loads(plain.getresponse().read())["path"] == "/plain"


def test_a_client_that_rejects_the_certificate_costs_nothing(tls_listener):
    server, _ = tls_listener
    strict = http.client.HTTPSConnection(
        "127.0.0.1", server.port, timeout=DEADLINE_SECONDS, context=ssl.create_default_context()
    )
    with pytest.raises(ssl.SSLError):
        strict.request("GET", "/")
    assert_still_serving(server)


def test_one_header_line_over_the_limit_is_refused_while_it_arrives(listener):
    with connect(listener) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        try:
            while sent < 16 * serving.MAX_HEADER_BYTES:  # never ends the line: the server must not wait for it
                sock.sendall(b"a" * 4096)
                sent += 4096
        except (BrokenPipeError, ConnectionResetError):
            pass
        # The line never ends: an answer at all means the server did not wait for it.
        ((status, _, _),) = read_answers(sock, 1)
    assert status == 431


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data\r\n\r\n",
        b"PUT /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data\r\nContent-Length: 1\r\n\r\nx",
        b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data\r\nContent-Length: 0\r\n\r\n",
    ],
    ids=["get", "put", "empty-post"],
)
def test_only_a_post_with_a_body_is_refused_for_a_form_without_boundary(listener, request_bytes):
    with connect(listener) as sock:
        sock.sendall(request_bytes)
        ((status, _, _),) = read_answers(sock, 1)
    assert status == 200, "as twisted: only a POST with a body is parsed as a form"


def dated(environ, start_response):
    start_response(
        "200 OK", [("Date", "Mon, 01 Jan 2024 00:00:00 GMT"), ("Connection", "close"), ("Content-Length", "2")]
    )
    return [b"ok"]


def test_the_applications_date_and_connection_headers_are_written_once():
    server = Listener(dated, [("127.0.0.1", 0)])
    server.start()
    try:
        with connect(server) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            head = sock.makefile("rb").read().split(b"\r\n\r\n")[0].lower()
    finally:
        server.stop()
    assert head.count(b"date:") == 1
    assert b"date: mon, 01 jan 2024" in head
    assert head.count(b"connection: close") == 1


def test_a_connection_without_a_thread_is_dropped_and_accepting_goes_on(monkeypatch, listener):
    real_thread = serving.threading.Thread
    refused = []

    def no_thread_once(*args, **kwargs):
        if kwargs.get("name") == "http-connection" and not refused:
            refused.append(True)
            raise RuntimeError("can't start new thread")
        return real_thread(*args, **kwargs)

    monkeypatch.setattr(serving.threading, "Thread", no_thread_once)
    with connect(listener) as sock:
        assert closed_by_server(sock)
    assert refused
    assert_still_serving(listener)


def test_a_status_line_has_the_standard_phrase_or_says_unknown():
    from embedded_localstack.serving.answer import status_line

    assert status_line(200) == "200 OK"
    assert status_line(404) == "404 Not Found"
    assert status_line(599) == "599 Unknown"


def starts_later(started: threading.Event, release: threading.Event, ran: list):
    """An application that starts work for after its answer (after_answer.later), as EventBridge's
    PutEvents starts its rules; the work holds until released."""

    def work():
        started.set()
        release.wait(DEADLINE_SECONDS)
        ran.append(threading.current_thread().name)

    def app(environ, start_response):
        after_answer.later(work)
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("boom")  # a 500
        if environ["PATH_INFO"] == "/cut":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return failing_stream()  # part of the answer out, then the connection cut
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    return app


def test_work_a_request_starts_for_later_starts_once_its_answer_is_out():
    started, release, ran = threading.Event(), threading.Event(), []
    server = Listener(starts_later(started, release, ran), [("127.0.0.1", 0)])
    server.start()
    try:
        sock = connect(server)
        sock.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        [(status, _, body)] = read_answers(sock, 1)
        assert (status, body) == (200, b"ok")
        assert ran == [], "the work is held: had it run before the answer, the answer would have waited for it"
        assert started.wait(DEADLINE_SECONDS), "the work started after the answer"
        release.set()
        sock.close()
    finally:
        release.set()
        server.stop()


@pytest.mark.parametrize("path", ["/boom", "/cut"])
def test_work_a_request_started_is_not_lost_when_its_answer_fails(path):
    started, release, ran = threading.Event(), threading.Event(), []
    release.set()
    server = Listener(starts_later(started, release, ran), [("127.0.0.1", 0)])
    server.start()
    try:
        sock = connect(server)
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):  # until the server closes (the socket's timeout bounds it)
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 500") if path == "/boom" else b"part 0" in answer
        assert started.wait(DEADLINE_SECONDS), "the work started all the same"
        sock.close()
    finally:
        server.stop()


def test_outside_a_request_work_for_later_starts_at_once_and_one_failing_start_stops_no_other():
    ran = []
    after_answer.later(lambda: ran.append("outside"))
    assert ran == ["outside"]

    with after_answer.answering():
        after_answer.later(lambda: ran.append("first"))
        after_answer.later(lambda: 1 / 0)
        after_answer.later(lambda: ran.append("third"))
        assert ran == ["outside"]
    assert ran == ["outside", "first", "third"]
    after_answer.later(lambda: ran.append("after"))
    assert ran[-1] == "after"
