"""A request to a WSGI application served by the embedded mode's own server (serving/server.py), as an
SDK sends it, for the tests of what the gateway's server does before LocalStack's chain."""

import http.client
import json

DEADLINE_SECONDS = 10

# (headers to change, target, method) that make a signed SDK request not plain (serving/plain.py), whatever
# its service: it goes through LocalStack's whole chain. A header changed to "" is left out.
NOT_PLAIN = [
    ({"Origin": "http://localhost:3000"}, "/", "POST"),  # a browser's: CORS is the whole chain's
    ({"Referer": "http://attacker.example/page"}, "/", "POST"),
    ({"Content-Encoding": "gzip"}, "/", "POST"),
    ({"Authorization": ""}, "/", "POST"),  # LocalStack injects its own
    ({"Authorization": "AWS test:c2lnbmF0dXJl"}, "/", "POST"),  # SigV2
    ({"Authorization": "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=0"}, "/", "POST"),  # no credential
    ({"Host": "abc123.execute-api.localhost.localstack.cloud:4566"}, "/", "POST"),  # an API's
    ({"Host": "bucket.s3.localhost.localstack.cloud"}, "/", "POST"),
    ({"Host": "attacker.example"}, "/", "POST"),  # the whole chain's Host check refuses it
    ({}, "/restapis/abc/prod/_user_request_/", "POST"),
    ({}, "/000000000000/orders", "POST"),  # the SQS query protocol's queue URL
    ({}, "/?Action=x", "POST"),
    ({}, "/%2F", "POST"),
    ({}, "/", "PUT"),
]


def post(server, headers: dict, body: str, target: str = "/", method: str = "POST") -> tuple[int, dict, dict]:
    """The answer's status, headers (lower-case names) and JSON body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE_SECONDS)
    try:
        connection.request(method, target, body=body.encode(), headers=headers)
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, json.loads(answer.read() or b"{}")
    finally:
        connection.close()
