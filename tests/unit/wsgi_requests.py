"""A request to a WSGI application served by the embedded mode's own server (serving/server.py), as an
SDK sends it, for the tests of what the gateway's server does before LocalStack's chain."""

import http.client
import json

DEADLINE_SECONDS = 10


def post(server, headers: dict, body: str, target: str = "/", method: str = "POST") -> tuple[int, dict, dict]:
    """The answer's status, headers (lower-case names) and JSON body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE_SECONDS)
    try:
        connection.request(method, target, body=body.encode(), headers=headers)
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, json.loads(answer.read() or b"{}")
    finally:
        connection.close()
