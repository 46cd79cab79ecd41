"""LocalStack's DynamoDB and DynamoDB Streams APIs: every operation forwarded, as it came, to the
DynamoDB process (process.py), so that LocalStack (CloudFormation, awslocal, event source mappings)
and the functions, which call that process directly, see one store.

The request goes as it came, with the account of LocalStack's request context in ``x-moto-account-id``
(moto's way to be told the account): ARNs name LocalStack's account. The answer comes back as it is,
neither parsed nor serialised again: LocalStack's own CPU is what the process exists to save.
"""

import functools

import urllib3
from localstack.aws.api import CommonServiceException, RequestContext, ServiceRequest
from localstack.aws.skeleton import DispatchTable, create_dispatch_table
from localstack.http import Response

from embedded_localstack.dynamodb_process.process import FIX, THE_PROCESS, Ended

ACCOUNT_HEADER = "x-moto-account-id"
# Hop-by-hop, or recomputed for the body as sent.
NOT_FORWARDED = {"connection", "keep-alive", "transfer-encoding", "content-length", ACCOUNT_HEADER}
# The answer when the process is not running: a client error, because SDKs retry 5xx answers (boto3's
# DynamoDB client ten times, about 26 s) and a function would time out before the reason reached it.
NOT_RUNNING = {"code": "DynamoDBProcessNotRunning", "status_code": 400}
# At most this many idle connections are kept; werkzeug's server closes each one after its answer, so in practice
# each request opens its own (keeping them open would need another server than werkzeug's).
POOL_SIZE = 32


def forward(context: RequestContext, service_request: ServiceRequest | None = None) -> Response:
    """A ServiceRequestHandler for every operation: the request to the process, its answer back."""
    try:
        pool = _connections(THE_PROCESS.endpoint())
    except Ended as e:
        raise CommonServiceException(message=str(e), **NOT_RUNNING) from e
    request = context.request
    headers = {key: value for key, value in request.headers.items() if key.lower() not in NOT_FORWARDED}
    headers[ACCOUNT_HEADER] = context.account_id
    path = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    try:
        answer = pool.urlopen(request.method, path, body=request.get_data(), headers=headers, retries=False)
    except urllib3.exceptions.HTTPError as e:
        raise CommonServiceException(
            message=f"the DynamoDB process at {pool.host}:{pool.port} did not answer ({e}); if it has ended, {FIX}",
            **NOT_RUNNING,
        ) from e
    return Response(
        answer.data,
        status=answer.status,
        headers=[(key, value) for key, value in answer.headers.items() if key.lower() not in NOT_FORWARDED],
    )


@functools.cache
def _connections(endpoint: str) -> urllib3.HTTPConnectionPool:
    return urllib3.connection_from_url(endpoint, maxsize=POOL_SIZE, block=False)


def forward_every_operation(provider) -> DispatchTable:
    """A dispatch table (Service.for_provider) sending each operation of the provider's API to the process."""
    return {operation: forward for operation in create_dispatch_table(provider)}
