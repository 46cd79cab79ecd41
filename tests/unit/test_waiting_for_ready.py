"""`up` waiting for LocalStack's ready hooks (lifecycle/start.py): it sees the end as soon as LocalStack's
log says it, asks LocalStack itself seldom while the hooks run (each question is a request on the
core they use), and reports a failed hook. Against a real HTTP server standing in for LocalStack's
init endpoint, and a real log file."""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil
import pytest

from embedded_localstack import eventually
from embedded_localstack.lifecycle import start
from embedded_localstack.lifecycle.instance import Instance


class InitEndpoint:
    """/_localstack/init/ready as LocalStack answers it, with the status the test sets; counts questions."""

    def __init__(self) -> None:
        self.status = {"completed": False, "scripts": []}
        self.asked = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                endpoint.asked += 1
                body = json.dumps(endpoint.status).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]


@pytest.fixture
def localstack(tmp_path):
    endpoint = InitEndpoint()
    instance = Instance(port=endpoint.port, state_dir=tmp_path, init_dir=tmp_path)
    instance.log_file.write_bytes(b"")
    yield endpoint, instance
    endpoint.server.shutdown()


def finish_once_asked(endpoint: InitEndpoint, log, status: dict) -> None:
    """The hooks end once `up` has asked the first time: the status changes, then LocalStack's line
    arrives in the log in two writes."""

    def finish():
        eventually(lambda: endpoint.asked >= 1, timeout=10, interval=0.01, what="the first question")
        endpoint.status = status
        with open(log, "ab") as out:
            out.write(b"[deploy] done\nRea")
            out.flush()
            out.write(b"dy.\n")

    threading.Thread(target=finish, daemon=True).start()


def test_up_sees_the_end_of_the_hooks_from_the_log_and_asks_localstack_only_then(localstack, monkeypatch):
    # Asking again only after a minute: the end can be seen in time only through the log.
    monkeypatch.setattr(start, "ASK_EVERY_SECONDS", 60)
    endpoint, instance = localstack
    finish_once_asked(endpoint, instance.log_file, {"completed": True, "scripts": []})

    assert start.wait_ready(instance, psutil.Process(os.getpid()), timeout=30) == 0

    assert endpoint.asked == 2, "once at the start, once when the log said ready"


def test_a_failed_hook_is_reported(localstack, monkeypatch, capsys):
    monkeypatch.setattr(start, "ASK_EVERY_SECONDS", 60)
    endpoint, instance = localstack
    failed = {"completed": True, "scripts": [{"stage": "READY", "name": "10_provision.py", "state": "ERROR"}]}
    finish_once_asked(endpoint, instance.log_file, failed)

    assert start.wait_ready(instance, psutil.Process(os.getpid()), timeout=30) == 1
    assert "init hooks failed" in capsys.readouterr().err


def test_the_ready_line_counts_once_whole_and_a_missing_log_is_not_ready(tmp_path):
    log = tmp_path / "localstack.log"
    line = start._ReadyLine(log)
    assert not line.seen(), "no log yet"
    log.write_bytes(b"LocalStack version: 4.14.0\nRea")
    assert not line.seen(), "half a line"
    with open(log, "ab") as out:
        out.write(b"dy.\nGET /_localstack/init/ready => 200\n")
    assert line.seen()
    assert not line.seen(), "already seen"
    with open(log, "ab") as out:
        out.write(b"Not Ready.\nReady. or not\n")
    assert not line.seen(), "only the line itself"


def test_for_an_instance_already_running_the_log_so_far_is_not_read(tmp_path):
    log = tmp_path / "localstack.log"
    log.write_bytes(b"LocalStack version: 4.14.0\nReady.\n" + b"GET /_localstack/health => 200\n" * 1000)
    line = start._ReadyLine(log, from_end=True)
    assert not line.seen(), "the Ready. of its start is behind"
    with open(log, "ab") as out:
        out.write(b"Ready.\n")
    assert line.seen()
