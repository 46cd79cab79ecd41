"""A plain SQS request (the JSON protocol an SDK speaks, ``X-Amz-Target: AmazonSQS.<Operation>``) goes
through a shorter handler chain: LocalStack's own handlers that do something for such a request, in
LocalStack's order, and none of the rest.

Why: LocalStack's chain (localstack/aws/app.py) spent about 1.2 ms of CPU on a trivial SQS call on our
server, most of it in handlers that do nothing for a plain request (S3's pre-processing, CORS without
an Origin, the edge router's rules, guessing the service from the request, pre-signed URLs, the
OpenAPI validators of /_localstack), in analytics counters and metrics this instance does not send,
and in building the extras of each log line, which only LocalStack's DEBUG trace prints. SQS's
provider runs in LocalStack's process, so unlike DynamoDB (dynamodb_process/shortcut.py) the request
is still parsed, dispatched and serialized by LocalStack: the same parser, skeleton, provider,
serializer and exception handlers as the whole chain's.

Kept, in the chain's order: a request LocalStack makes of itself (its internal parameters: the event
source mapping's poller and EventBridge's targets send those), the region and its rewrite, the
account from the access key, the X-Ray trace header (SQS gives it to a message as AWSTraceHeader), the
request parser, the service's router, LocalStack's custom response handlers (the ``x-localstack``
header), and the log line as LocalStack writes it at INFO. Left out: analytics and metrics.

Everything else goes through the whole chain: a request that is not plain (serving/plain.py), the
query protocol (a form body: older SDKs), an operation SQS does not have, a header name with an
underscore (which the server reads as the dashed one, and LocalStack's parser does not), and every
request until SQS is loaded (the chain loads it, on its first request).
"""

import functools
import logging
import threading

from botocore.model import ServiceModel
from localstack.aws import handlers
from localstack.aws.api import RequestContext
from localstack.aws.api.core import ServiceOperation
from localstack.aws.gateway import Gateway
from localstack.aws.handlers.fallback import EmptyResponseHandler
from localstack.aws.protocol.service_router import determine_aws_protocol
from localstack.aws.spec import load_service
from localstack.http import Response
from rolo.gateway import HandlerChain
from rolo.gateway.wsgi import WsgiGateway

from embedded_localstack.serving.plain import INTERNAL_REQUEST_LOG, REQUEST_LOG, is_plain, local_names, log_request

SERVICE = "sqs"
TARGET_PREFIX = "AmazonSQS"


def shorter_for_sqs(gateway, app):
    """The WSGI application ``app`` (LocalStack's whole gateway), with plain SQS requests served by a
    shorter chain over ``gateway``'s router (the providers LocalStack loaded). Needs server.py's
    environ (``rolo.headers``)."""
    names = local_names()
    router = gateway.service_request_router
    loaded = ServiceOperation(SERVICE, "GetQueueUrl")

    def name_the_service(chain: HandlerChain, context: RequestContext, response: Response):
        # The whole chain's parse_service_name, for the one service that can reach here.
        context.service = model()
        context.protocol = determine_aws_protocol(context.request, context.service)

    short = WsgiGateway(
        Gateway(
            request_handlers=[
                handlers.add_internal_request_params,
                name_the_service,
                handlers.add_region_from_header,
                handlers.rewrite_region,
                handlers.add_account_id,
                handlers.parse_trace_context,
                handlers.parse_service_request,
                router,
                EmptyResponseHandler(404, b'{"message": "Not Found"}'),  # as the whole chain ends
            ],
            exception_handlers=[
                handlers.log_exception,
                handlers.handle_service_exception,
                handlers.handle_internal_failure,
            ],
            response_handlers=[handlers.run_custom_response_handlers, log_line],
            finalizers=[handlers.set_close_connection_header, handlers.run_custom_finalizers],
            context_class=RequestContext,
        )
    )

    def serve(environ: dict, start_response):
        prefix, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        if (
            prefix != TARGET_PREFIX
            or loaded not in router.handlers  # SQS is loaded (it read its model then)
            or operation not in operations()
            or not environ.get("CONTENT_TYPE", "").startswith("application/x-amz-json-")
            or not is_plain(environ, names, model().signing_name)
            # the server reads X_Amz_Target as X-Amz-Target (as any WSGI server does), the parser does not
            or any(b"_" in name for name, _ in environ["rolo.headers"])
        ):
            return app(environ, start_response)
        return short(environ, start_response)

    return serve


_model: list[ServiceModel] = []
_reading_the_model = threading.Lock()


def model() -> ServiceModel:
    """SQS's model, read on the first plain request, not at LocalStack's start. One object for every
    request (load_service reads it anew at each call, and LocalStack keeps a parser and a serializer
    per model object), however many requests come first at once."""
    if not _model:
        with _reading_the_model:
            if not _model:
                _model.append(load_service(SERVICE))
    return _model[0]


@functools.cache
def operations() -> frozenset[str]:
    return frozenset(model().operation_names)


def log_line(chain: HandlerChain, context: RequestContext, response: Response):
    """LocalStack's line per AWS request as its ResponseLogger writes it at INFO, without the extras
    (the parsed request, both sets of headers) that only its DEBUG trace prints. A request that did
    not parse is logged by the ResponseLogger itself (``POST / => 500``): it has no extras to build."""
    if not context.operation or not context.service:
        return handlers.log_response(chain, context, response)
    log = INTERNAL_REQUEST_LOG if context.is_internal_call else REQUEST_LOG
    if not log.isEnabledFor(logging.INFO):
        return
    code = context.service_exception.code if context.service_exception else None
    log_request(log, context.service.service_name, context.operation.name, response.status_code, code)
