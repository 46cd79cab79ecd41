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

Everything else goes through the chain as before (``forward.forward_early``): a browser's request (an
Origin or a Referer: LocalStack enforces CORS on either), a compressed body, no SigV4 credentials, another Host (an execute-api
or S3 virtual host, an AWS name reached over HTTPS), a path or query, an operation the API does not
have, a region LocalStack rewrites (DynamoDB Local's "local", another partition's), two credentials,
every request while LocalStack logs at DEBUG (its trace prints the parsed request) or stops.
"""

import json
import logging
import re
from http import HTTPStatus

from localstack import config
from localstack.aws import handlers
from localstack.aws.accounts import get_account_id_from_access_key_id
from localstack.aws.spec import load_service
from localstack.runtime import events
from localstack.utils.aws.request_context import extract_access_key_id_from_auth_header

from embedded_localstack.dynamodb_process import forward
from embedded_localstack.dynamodb_process.process import THE_PROCESS, Ended
from embedded_localstack.patches.host_check import host_name
from embedded_localstack.serving.relay import RelayError

# X-Amz-Target's prefix -> the service LocalStack names in its log line.
SERVICES = {"DynamoDB_20120810": "dynamodb", "DynamoDBStreams_20120810": "dynamodbstreams"}
LOCAL_NAMES = {"127.0.0.1", "::1", "localhost", "localhost.localstack.cloud"}
# The region in a SigV4 credential: Credential=<key>/<date>/<region>/<service>/aws4_request.
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]*/[^/,]*/([^/,]*)/")
# The logger of LocalStack's line per AWS request (localstack/aws/handlers/logging.py: ResponseLogger).
REQUEST_LOG = logging.getLogger("localstack.request.aws")


def straight_through(app):
    """The WSGI application ``app`` (LocalStack's gateway), with plain DynamoDB requests answered by the
    process. Needs server.py's environ (``rolo.headers``: the headers as the client wrote them)."""
    names = LOCAL_NAMES | {config.LOCALSTACK_HOST.host.lower()}
    operations = {prefix: set(load_service(service).operation_names) for prefix, service in SERVICES.items()}

    def serve(environ: dict, start_response):
        prefix, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        if operation not in operations.get(prefix, ()) or not _plain(environ, names):
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
            environ[forward.RELAY_FAILED] = str(e)
            environ["wsgi.input"].seek(0)
            return app(environ, start_response)
        _log(SERVICES[prefix], operation, status, answer)
        head = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in answer_headers
            if name.lower().decode("latin-1") not in forward.NOT_FORWARDED
        ]
        head.append(("Content-Length", str(len(answer))))
        start_response(f"{status} {_phrase(status)}", head)
        return [answer]

    return serve


def _plain(environ: dict, names: set[str]) -> bool:
    return (
        environ["REQUEST_METHOD"] == "POST"
        and environ["PATH_INFO"] == "/"
        and not environ["QUERY_STRING"]
        and environ["RAW_URI"] == "/"
        and "rolo.headers" in environ
        and "HTTP_ORIGIN" not in environ
        and "HTTP_REFERER" not in environ
        and "HTTP_CONTENT_ENCODING" not in environ
        and environ.get("HTTP_AUTHORIZATION", "").startswith("AWS4-")
        and host_name(environ.get("HTTP_HOST", "")) in names
        and not REQUEST_LOG.isEnabledFor(logging.DEBUG)
        and not events.infra_stopping.is_set()  # the chain answers 503 (handle_runtime_shutdown)
        and _known_region(environ["HTTP_AUTHORIZATION"])
    )


def _known_region(authorization: str) -> bool:
    """One credential, whose scope names a region LocalStack keeps: the chain rewrites any other to
    us-east-1 in the Authorization header (localstack/aws/handlers/region.py), which moto reads, and
    it is the chain that reads the first of two Authorization headers (the server joins them)."""
    scopes = CREDENTIAL_SCOPE.findall(authorization)
    return len(scopes) == 1 and scopes[0] in handlers.rewrite_region.region_rewriter_strategy.available_regions


def _log(service: str, operation: str, status: int, answer: bytes) -> None:
    if status < 400:
        REQUEST_LOG.info("AWS %s.%s => %s", service, operation, status)
        return
    try:
        code = str(json.loads(answer).get("__type", "")).rpartition("#")[2]
    except (ValueError, AttributeError):
        code = ""
    REQUEST_LOG.info("AWS %s.%s => %d (%s)", service, operation, status, code or "unknown error")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
