"""LocalStack's DynamoDB and DynamoDB Streams APIs: every operation forwarded, as it came, to the
DynamoDB process (process.py), so that LocalStack (CloudFormation, awslocal, event source mappings)
and the functions, which call that process directly, see one store.

Forwarded early: a request handler placed right after LocalStack has named the service and the account
(``pass_through``) sends the request on before LocalStack parses it into a service request, and the
answer goes back as the process wrote it, neither parsed nor serialised again (LocalStack would parse
a forwarded answer back into a service response: ``ServiceResponseParser``). LocalStack's own CPU is
what the process exists to save. The providers' dispatch tables (``forward_every_operation``) forward
the same way, for a request that reaches them some other way.

The request goes with the account of LocalStack's request context in ``x-moto-account-id`` (moto's
way to be told the account): ARNs name LocalStack's account.
"""

import functools
from collections.abc import Iterable
from urllib.parse import urlsplit

from localstack.aws.api import CommonServiceException, RequestContext, ServiceRequest
from localstack.aws.skeleton import DispatchTable, create_dispatch_table
from localstack.http import Response
from rolo.request import get_full_raw_path

from embedded_localstack.dynamodb_process import ACCOUNT_HEADER
from embedded_localstack.dynamodb_process.process import FIX, THE_PROCESS, Ended
from embedded_localstack.serving.relay import Relay, RelayError

SERVICES = {"dynamodb", "dynamodbstreams"}
# Hop-by-hop, or recomputed for the body as sent.
NOT_FORWARDED = {"connection", "keep-alive", "transfer-encoding", "content-length", ACCOUNT_HEADER}
# The answer when the process is not running: a client error, because SDKs retry 5xx answers (boto3's
# DynamoDB client ten times, about 26 s) and a function would time out before the reason reached it.
NOT_RUNNING = {"code": "DynamoDBProcessNotRunning", "status_code": 400}
# What a forwarded success leaves as the service response: nothing downstream reads DynamoDB's (LocalStack's
# own DynamoDB provider, which would, is not loaded).
FORWARDED = {"Forwarded": "the DynamoDB process's answer, passed on unparsed"}
# How long a forwarded request waits for the process's answer (a silence that long, not the whole answer):
# longer than any SDK waits (botocore's read timeout is 60 s) and than any one operation takes, so it
# ends only a wait on a process that stopped answering (stopped, or stuck), which would otherwise hold
# the gateway's thread, and the client's connection, for good. The chain then answers the error.
ANSWER_TIMEOUT_SECONDS = 120
# In the WSGI environment: what to tell the client whose request, sent straight to the process
# (shortcut.py), got no answer (not_answered).
# It may have been acted on, so the chain answers with the error instead of sending it again.
RELAY_FAILED = "embedded.dynamodb_relay_failed"


def forward(context: RequestContext, service_request: ServiceRequest | None = None) -> Response:
    """A ServiceRequestHandler for every operation: the request to the process, its answer back."""
    response = Response()
    _answer(context, response)
    return response


def _answer(context: RequestContext, response: Response) -> None:
    """The request to the process; its answer into ``response``."""
    request = context.request
    if failed := request.environ.get(RELAY_FAILED):
        raise CommonServiceException(message=failed, **NOT_RUNNING)
    if request.method == "HEAD":  # answered with a Content-Length and no body, which the relay would wait for
        raise CommonServiceException(code="BadRequest", message="DynamoDB answers POST requests", status_code=400)
    try:
        to_the_process = relay(THE_PROCESS.endpoint())
    except Ended as e:
        raise CommonServiceException(message=str(e), **NOT_RUNNING) from e
    headers = forwarded_headers(request.headers.items(), context.account_id)
    try:
        # As the client sent it, still percent-encoded: werkzeug's decoded path could hold a line break.
        target = get_full_raw_path(request)
        status, answer_headers, body = to_the_process.request(request.method, target, headers, request.get_data())
    except ValueError as e:
        raise CommonServiceException(code="BadRequest", message=str(e), status_code=400) from e
    except RelayError as e:
        raise CommonServiceException(message=not_answered(e), **NOT_RUNNING) from e
    response.status_code = status
    for key, value in answer_headers:
        name = key.decode("latin-1")
        if name.lower() not in NOT_FORWARDED:
            response.headers[name] = value.decode("latin-1")
    response.set_data(body)  # and its Content-Length


def forwarded_headers(headers: Iterable[tuple[str, str]], account: str) -> list[tuple[str, str]]:
    """What the process gets of a request's headers, with ``account`` as the account: each name once, with
    its first value (the one LocalStack read: two X-Amz-Target headers would reach moto joined, and
    it would run the last); no hop-by-hop ones or the client's own account header; no name with an
    underscore, which the process's WSGI server would merge with the dashed name (X_Moto_Account_Id
    into x-moto-account-id). DynamoDB's protocol uses neither repeated nor underscored headers."""
    seen, kept = set(), []
    for name, value in headers:
        key = name.lower()
        if key not in NOT_FORWARDED and "_" not in key and key not in seen:
            seen.add(key)
            kept.append((name, value))
    kept.append((ACCOUNT_HEADER, account))
    return kept


def not_answered(error: RelayError) -> str:
    """What the client is told when the process did not answer its request."""
    if isinstance(error.__cause__, TimeoutError):
        # Busy, not gone: it runs one operation at a time, and this one may still be applied.
        return (
            f"the DynamoDB process did not answer within {ANSWER_TIMEOUT_SECONDS} s ({error}); it runs one "
            "operation at a time, so it may be busy with a long one, and may still apply this request"
        )
    return f"the DynamoDB process did not answer ({error}); if it has ended, {FIX}"


@functools.cache
def relay(endpoint: str) -> Relay:
    address = urlsplit(endpoint)
    return Relay(address.hostname, address.port, timeout=ANSWER_TIMEOUT_SECONDS)


def forward_every_operation(provider) -> DispatchTable:
    """A dispatch table (Service.for_provider) sending each operation of the provider's API to the process."""
    return {operation: forward for operation in create_dispatch_table(provider)}


def forward_early(chain, context: RequestContext, response: Response) -> None:
    """A gateway request handler: a DynamoDB or DynamoDB Streams request answered by the process."""
    if context.service is None or context.service.service_name not in SERVICES:
        return
    # The operation, from X-Amz-Target ("DynamoDB_20120810.GetItem"), for LocalStack's log line and
    # its CORS and error handlers; nothing parses the body.
    target = context.request.headers.get("X-Amz-Target", "")
    name = target.rpartition(".")[2]
    if name in context.service.operation_names:
        context.operation = context.service.operation_model(name)
    _answer(context, response)
    if response.status_code < 300:
        # The answer stands as the process wrote it: LocalStack is not to parse it into a service response
        # (``ServiceResponseParser`` skips a context that has one). An error it does parse, as before, so that
        # its log line names the error's code.
        context.service_response = FORWARDED
    chain.stop()


def pass_through(gateway) -> None:
    """Puts ``forward_early`` in the gateway's request handlers, right after LocalStack's account handler
    (the request's account goes with it), so before LocalStack parses the request."""
    from localstack.aws import handlers

    position = gateway.request_handlers.index(handlers.add_account_id) + 1
    gateway.request_handlers.insert(position, forward_early)
