"""A plain DynamoDB request (an SDK's, awslocal's, CloudFormation's client on the host) goes from the
gateway's server straight to the DynamoDB process, and its answer straight back, around LocalStack's
handler chain.

Why: of the ~1.35 ms of CPU that LocalStack spent on a forwarded GetItem, the chain took about four
fifths (docs/performance.md has the profile), in handlers that do nothing for such a request (S3's
pre-processing, pre-signed URLs, CORS without an Origin) and in building the extras of each log line,
which only LocalStack's DEBUG trace prints. What of the chain still applies is done here:
- the Host check: only this machine's plain names (patches/host_check.py allows them all);
- the account from the access key, as LocalStack's ``add_account_id`` names it (``x-moto-account-id``;
  one sent by the client is dropped, as ``forward`` drops it);
- the log line, as LocalStack writes it at INFO (``AWS dynamodb.GetItem => 200``).

Everything else goes through the chain as before (``forward.forward_early``): any request that is not
plain (serving/plain.py says what plain is), and an operation the API does not have.
"""

import functools
import json

from localstack.aws.accounts import get_account_id_from_access_key_id
from localstack.aws.spec import load_service
from localstack.utils.aws.request_context import extract_access_key_id_from_auth_header

from embedded_localstack.dynamodb_process import forward
from embedded_localstack.dynamodb_process.process import THE_PROCESS, Ended
from embedded_localstack.serving.answer import status_line
from embedded_localstack.serving.plain import REQUEST_LOG, is_plain, local_names, log_request
from embedded_localstack.serving.relay import RelayError

# X-Amz-Target's prefix -> the service LocalStack names in its log line.
SERVICES = {"DynamoDB_20120810": "dynamodb", "DynamoDBStreams_20120810": "dynamodbstreams"}
SIGNING_NAME = "dynamodb"  # both APIs' (their botocore models' signingName)


def straight_through(app):
    """The WSGI application ``app`` (LocalStack's gateway), with plain DynamoDB requests answered by the
    process. Needs server.py's environ (``rolo.headers``: the headers as the client wrote them)."""
    names = local_names()

    def serve(environ: dict, start_response):
        prefix, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        if (
            prefix not in SERVICES
            or operation not in operations(SERVICES[prefix])
            or not is_plain(environ, names, SIGNING_NAME)
        ):
            return app(environ, start_response)
        access_key = extract_access_key_id_from_auth_header({"Authorization": environ["HTTP_AUTHORIZATION"]})
        if not access_key:
            return app(environ, start_response)
        body = environ["wsgi.input"].read()
        headers = forward.forwarded_headers(
            ((name.decode("latin-1"), value.decode("latin-1")) for name, value in environ["rolo.headers"]),
            get_account_id_from_access_key_id(access_key),
        )
        try:
            status, answer_headers, answer = forward.relay(THE_PROCESS.endpoint()).request(
                "POST", environ["RAW_URI"], headers, body
            )
        except (Ended, ValueError):  # nothing was sent: the chain answers it, with LocalStack's error
            environ["wsgi.input"].seek(0)
            return app(environ, start_response)
        except RelayError as e:  # sent, perhaps acted on: not sent again; the chain answers the error
            environ[forward.RELAY_FAILED] = forward.not_answered(e)
            environ["wsgi.input"].seek(0)
            return app(environ, start_response)
        _log(SERVICES[prefix], operation, status, answer)
        head = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in answer_headers
            if name.lower().decode("latin-1") not in forward.NOT_FORWARDED
        ]
        head.append(("Content-Length", str(len(answer))))
        start_response(status_line(status), head)
        return [answer]

    return serve


@functools.cache
def operations(service: str) -> frozenset[str]:
    """The API's operations, read from its model on the first request (not at LocalStack's start)."""
    return frozenset(load_service(service).operation_names)


def _log(service: str, operation: str, status: int, answer: bytes) -> None:
    if status < 400:
        log_request(REQUEST_LOG, service, operation, status, None)
        return
    try:
        code = str(json.loads(answer).get("__type", "")).rpartition("#")[2]
    except (ValueError, AttributeError):
        code = ""
    log_request(REQUEST_LOG, service, operation, status, code or "unknown error")
