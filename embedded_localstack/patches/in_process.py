"""What a patch needs to call one of LocalStack's providers in process where LocalStack makes an internal
request (events_to_sqs.py, events_to_lambda.py, apigateway_to_lambda.py): the RequestContext that
request would have had once LocalStack's handler chain parsed it, and the error its internal client
would have raised. Imported by those patches when they apply, not at install."""

import functools

from botocore.exceptions import ClientError
from localstack.aws.api import RequestContext, ServiceException
from localstack.aws.spec import load_service
from localstack.utils.aws.arns import get_partition
from localstack.utils.xray.trace_header import TraceHeader
from rolo import Request

TRACE_HEADER = "X-Amzn-Trace-Id"
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
