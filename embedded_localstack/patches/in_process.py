"""What a patch needs to call one of LocalStack's providers in process where LocalStack makes an internal
request (events_to_sqs.py, events_to_lambda.py, apigateway_to_lambda.py): the RequestContext that
request would have had once LocalStack's handler chain parsed it, and the call made as its internal
client makes it: retried as that client retries, and failing with the error it raised. Imported by
those patches when they apply, not at install."""

import functools
import random
import time
from collections.abc import Callable

from botocore.exceptions import ClientError
from localstack import config
from localstack.aws.api import CommonServiceException, RequestContext, ServiceException
from localstack.aws.spec import load_service
from localstack.utils.aws.arns import get_partition
from localstack.utils.xray.trace_header import TraceHeader
from rolo import Request

TRACE_HEADER = "X-Amzn-Trace-Id"
# LocalStack's internal client retries as botocore's legacy mode does (aws/connect.py: Config(), unless
# DISABLE_BOTO_RETRIES; botocore/data/_retry.json): at most 5 attempts, again after these statuses and
# error codes, rand * 2 ** (n - 1) seconds after the n-th.
MAX_ATTEMPTS = 5
RETRIED_STATUSES = {429, 500, 502, 503, 504, 509}
RETRIED_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
}
_service = functools.cache(load_service)  # a ServiceModel per service, as LocalStack's chain keeps one


def request_context(
    service_name: str,
    operation: str,
    account_id: str,
    region: str,
    partition: str | None = None,
    trace_header: TraceHeader | None = None,
) -> RequestContext:
    """The context of an internal request to the operation, signed for the account and region, with the
    X-Ray header its client sends (none without a trace header), read as the chain's TraceContextParser
    reads it (a new root if none)."""
    service = _service(service_name)
    header = trace_header.to_header_str() if trace_header is not None else None
    # The header the internal client sends (SQS keeps it on the message as AWSTraceHeader).
    context = RequestContext(Request("POST", "/", headers={TRACE_HEADER: header} if header else None))
    context.service, context.operation = service, service.operation_model(operation)
    context.protocol = service.protocol
    context.account_id, context.region = account_id, region
    context.partition = partition or get_partition(region)
    context.trace_context["aws_trace_header"] = TraceHeader.from_header_str(header).ensure_root_exists()
    return context


def client_error(error: ServiceException, operation: str) -> ClientError:
    """The ClientError LocalStack's internal client raises when the provider answers with this error."""
    return ClientError(
        {
            "Error": {"Code": error.code, "Message": error.message},
            "ResponseMetadata": {"HTTPStatusCode": error.status_code},
        },
        operation,
    )


def call_as_internal_client[T](call: Callable[[], T], operation: str) -> T:
    """``call()`` (the provider's operation) as LocalStack's internal client makes it: retried after
    what that client retries, then the ClientError it raised. An error that is not the service's own is
    what LocalStack's chain answers it with, a 500 InternalError, and is retried as that."""
    attempts = 1 if config.DISABLE_BOTO_RETRIES else MAX_ATTEMPTS
    attempt = 1
    while True:
        try:
            return call()
        except Exception as e:
            error = e if isinstance(e, ServiceException) else CommonServiceException("InternalError", str(e), 500)
            if attempt == attempts or not (error.status_code in RETRIED_STATUSES or error.code in RETRIED_CODES):
                raise client_error(error, operation) from e
        time.sleep(random.random() * 2 ** (attempt - 1))
        attempt += 1


def service_provider(service_name: str):
    """The service's provider in LocalStack (loading the service, as a request to it would), or None
    when the service has none to call in process: the caller then goes by request."""
    from localstack.services.plugins import SERVICE_PLUGINS

    return getattr(SERVICE_PLUGINS.require(service_name), "_provider", None)
