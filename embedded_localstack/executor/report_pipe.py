"""A function process's reports (ready, init error, response, error) over a pipe, not HTTP callbacks.

LocalStack's own executor protocol (``executor_endpoint.py``) has the environment POST each report to
LocalStack's gateway, where it runs the whole handler chain: one gateway request per invocation, a
third of a warm invoke's CPU. Here the environment writes the same report, with the same path and
body, to a pipe the executor reads; the reader settles the same futures the gateway route would.
A runtime that does not know the pipe (no ``_EMBEDDED_REPORT_FD``) keeps using the HTTP callbacks,
which stay registered.

Frame: ``<path> <body length>\\n<body>``, the path as the callback's (``/invocations/<id>/response``).
One frame has no callback: ``/exiting``, written just before a report after which the runtime ends
itself (sys.exit in a handler, an uncaught exception in Node.js, also between invocations, an init
error), so that the executor waits for the end (local_process.EXIT_GRACE_SECONDS, then kills it) instead
of sending the next invocation to a process on its way out. Nor has ``/listening``: the port of the
invoke listener a Node.js runtime opens itself, written before its ready report (bootstrap.mjs says why).
"""

import logging
import os
import re
import threading
from concurrent.futures import Future

from localstack.services.lambda_.invocation.executor_endpoint import ExecutorEndpoint, StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import InvocationResult

LOG = logging.getLogger(__name__)
ENV_VAR = "_EMBEDDED_REPORT_FD"
INVOCATION = re.compile(r"/invocations/(?P<request_id>[^/]+)/(?P<outcome>response|error)")
STATUS = re.compile(r"/status/[^/]+/(?P<status>ready|error)")
EXITING = "/exiting"
# The port of a runtime that opened its invoke listener itself (bootstrap.mjs), before its ready report.
LISTENING = "/listening"
MAX_HEADER_BYTES = 1024


def open_for(endpoint: ExecutorEndpoint, name: str) -> tuple[int, threading.Thread]:
    """Starts reading reports for the endpoint. Returns the pipe's write end for the environment's
    process (pass it, then close it here) and the reader, which ends once the process is gone and
    its last report delivered: join it before taking an exit for a crash, since a runtime may report
    and exit at once (an init error, sys.exit in the handler)."""
    read_fd, write_fd = os.pipe()
    reader = threading.Thread(target=_read, args=(read_fd, endpoint, name), daemon=True, name=f"lambda-reports-{name}")
    reader.start()
    return write_fd, reader


def _read(read_fd: int, endpoint: ExecutorEndpoint, name: str) -> None:
    with os.fdopen(read_fd, "rb") as reports:
        while header := reports.readline(MAX_HEADER_BYTES):  # empty at EOF: the process is gone
            try:
                path, length = header.decode().split()
                body = reports.read(int(length))
                if not header.endswith(b"\n") or len(body) != int(length):
                    raise ValueError("cut short")
            except ValueError:  # whatever wrote this was not the runtime (the function's code can reach the fd)
                LOG.warning("malformed report from execution environment %s: %r", endpoint.executor_id, header[:200])
                return
            _deliver(endpoint, path, body, name)


def exiting(endpoint: ExecutorEndpoint, name: str) -> bool:
    """Whether the runtime whose reports `name` (open_for's) carries announced that it is ending. By
    name: a replaced process's late announcement must not count against its replacement."""
    return name in getattr(endpoint, "runtimes_exiting", ())


def _deliver(endpoint: ExecutorEndpoint, path: str, body: bytes, name: str) -> None:
    # What ExecutorEndpoint's invocation_response/invocation_error/status_ready/status_error do.
    if path == LISTENING and body.isdigit():
        endpoint.container_port = int(body)
    elif path == EXITING:
        # A set per endpoint: one name per process of the environment (a handful over its life).
        endpoint.runtimes_exiting = getattr(endpoint, "runtimes_exiting", set()) | {name}
    elif match := INVOCATION.fullmatch(path):
        result = InvocationResult(match["request_id"], body, is_error=match["outcome"] == "error", logs=endpoint.logs)
        _settle(endpoint.invocation_future, result=result)
    elif match := STATUS.fullmatch(path):
        if match["status"] == "ready":
            _settle(endpoint.startup_future, result=True)
        else:
            LOG.warning("Execution environment startup failed: %s", body.decode(errors="replace"))
            _settle(endpoint.startup_future, exception=StatusErrorException("Environment startup failed", payload=body))
    else:
        LOG.warning("unknown report %r from execution environment %s", path[:200], endpoint.executor_id)


def _settle(future: Future | None, result=None, exception: BaseException | None = None) -> None:
    if future is None:
        return
    try:
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)
    except Exception:  # settled meanwhile (a crash report, a timeout) or cancelled by a stop
        pass
