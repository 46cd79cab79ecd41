"""The DynamoDB process: moto's DynamoDB and DynamoDB Streams on 127.0.0.1, one operation at a time.

Run by LocalStack (``process.py``) as ``python -m embedded_localstack.dynamodb_process.server <port>``
(0: a free port). It writes ``listening <port>`` on stdout once it accepts connections, and exits when
its stdin reaches end of file: LocalStack holds the other end, so the process ends with LocalStack
however LocalStack ends (SIGKILL too), as an environment's init does (environment_init.py).

One lock around every operation: moto's DynamoDB evaluates a write's condition, then validates and
applies the update, with nothing held in between, and this server answers on many threads. Two
conditional writes to one item could both pass the same condition (seen: two checkouts of one basket
both claimed it, hence two orders; ten concurrent UpdateItems with a long expression all "won").
DynamoDB makes each write atomic per item; one operation at a time, across both APIs that share
moto's tables, is the simple superset. LocalStack's requests and the functions' own meet here, so the
lock covers both.

The account: LocalStack forwards with ``x-moto-account-id`` (its request's account). A function calls
directly with the credentials LocalStack gave it; their access key names the account by LocalStack's
own rule (``localstack.aws.accounts``), so ARNs carry 000000000000 as LocalStack's do, not moto's
123456789012.
"""

import json
import os
import re
import sys
import threading

from localstack.aws.accounts import get_account_id_from_access_key_id
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from werkzeug import Request

from embedded_localstack.dynamodb_process import ACCOUNT_HEADER
from embedded_localstack.patches.moto_dispatch import list_each_class_once
from embedded_localstack.serving.answer import status_line
from embedded_localstack.serving.server import Listener

HOST = "127.0.0.1"
ACCOUNT_ENVIRON_KEY = "HTTP_" + ACCOUNT_HEADER.upper().replace("-", "_")  # as WSGI names the header
STREAMS_TARGET_PREFIX = "DynamoDBStreams_"
ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")
ONE_OPERATION_AT_A_TIME = threading.Lock()
# Both APIs speak AWS's JSON 1.0 protocol, and DynamoDB answers with its content type.
CONTENT_TYPE = ("Content-Type", "application/x-amz-json-1.0")
OWN_HEADERS = {"content-type", "content-length"}  # what _answer writes itself
# DynamoDB's largest request (BatchWriteItem) is 16 MB; anything larger is refused before moto parses it.
MAX_REQUEST_BYTES = 16 * 2**20


def account_of(authorization: str) -> str:
    match = ACCESS_KEY.search(authorization)
    return get_account_id_from_access_key_id(match.group(1) if match else "")


def application(environ, start_response):
    # werkzeug's request headers are read-only: the account goes in through the WSGI environment.
    if ACCOUNT_ENVIRON_KEY not in environ:
        environ[ACCOUNT_ENVIRON_KEY] = account_of(environ.get("HTTP_AUTHORIZATION", ""))
    request = Request(environ)
    streams = request.headers.get("X-Amz-Target", "").startswith(STREAMS_TARGET_PREFIX)
    handler = DynamoDBStreamsHandler if streams else DynamoHandler
    if (request.content_length or 0) > MAX_REQUEST_BYTES:
        return _error(start_response, 413, "RequestEntityTooLarge", f"a request of at most {MAX_REQUEST_BYTES} bytes")
    request.get_data()  # read off the socket before the lock is taken
    try:
        with ONE_OPERATION_AT_A_TIME:
            status, headers, body = handler.dispatch(request, request.url, request.headers)
    except Exception as e:  # moto's own errors are answers already: this is input it could not take at all
        return _error(start_response, 500, "InternalFailure", f"{type(e).__name__}: {e}")
    return _answer(start_response, status, headers, body)


def _answer(start_response, status: int, headers: dict, body: str | bytes) -> list[bytes]:
    """moto's answer as the client gets it, with DynamoDB's content type. Written out here rather than
    through a werkzeug Response, which took about 40 of the 170 microseconds this application spent on
    a GetItem."""
    data = body.encode() if isinstance(body, str) else body
    head = [(name, str(value)) for name, value in headers.items() if name.lower() not in OWN_HEADERS]
    head += [CONTENT_TYPE, ("Content-Length", str(len(data)))]
    start_response(status_line(status), head)
    return [data]


def _error(start_response, status: int, code: str, message: str) -> list[bytes]:
    """An error as DynamoDB's JSON protocol says it, not werkzeug's HTML page."""
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})
    return _answer(start_response, status, {}, body)


def _exit_when_stdin_closes() -> None:
    sys.stdin.buffer.read()
    os._exit(0)  # not sys.exit: a request in flight must not keep the process alive


def main(argv: list[str]) -> None:
    list_each_class_once()  # moto's dispatch, about half its CPU per GetItem (patches/moto_dispatch.py)
    # serving/'s, as LocalStack's gateway: kept-alive connections, so LocalStack's forwarding and each
    # function's SDK reuse theirs (werkzeug's server closed each one after its answer); no access log.
    server = Listener(application, [(HOST, int(argv[0]))])
    threading.Thread(target=_exit_when_stdin_closes, name="lifeline", daemon=True).start()
    print(f"listening {server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
