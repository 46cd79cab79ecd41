"""What makes a request plain: one that may skip LocalStack's handler chain, because none of the chain's
handlers that are left out would have done anything to it (dynamodb_process/shortcut.py,
serving/short_chain.py).

A plain request is a POST to ``/`` with no query, from an SDK rather than a browser (no Origin or
Referer: LocalStack enforces CORS on either), uncompressed, signed with SigV4 by one credential for the
service that serves it (LocalStack names the service by the signature before X-Amz-Target) in a region
LocalStack keeps, to one of this machine's plain names (patches/host_check.py allows them all),
while LocalStack neither logs requests at DEBUG (its trace prints the parsed request) nor stops (the
chain answers 503). Anything else goes through the chain.
"""

import logging
import re

from localstack import config
from localstack.aws import handlers
from localstack.aws.handlers.region import DefaultRegionRewriterStrategy
from localstack.runtime import events

from embedded_localstack.patches.host_check import host_name

LOCAL_NAMES = {"127.0.0.1", "::1", "localhost", "localhost.localstack.cloud"}
# The region and service of a SigV4 credential: Credential=<key>/<date>/<region>/<service>/aws4_request.
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]*/[^/,]*/([^/,]*)/([^/,]*)/")
# The loggers of LocalStack's line per AWS request (localstack/aws/handlers/logging.py: ResponseLogger),
# for a client's request and for one LocalStack makes of itself.
REQUEST_LOG = logging.getLogger("localstack.request.aws")
INTERNAL_REQUEST_LOG = logging.getLogger("localstack.request.internal.aws")


def log_request(log: logging.Logger, service: str, operation: str, status: int, error_code: str | None) -> None:
    """LocalStack's line per AWS request as its ResponseLogger writes it at INFO (``AWS sqs.GetQueueUrl =>
    200``, with the error's code after a failure), without the extras only its DEBUG trace prints."""
    if error_code is None:
        log.info("AWS %s.%s => %s", service, operation, status)
    else:
        log.info("AWS %s.%s => %d (%s)", service, operation, status, error_code)


def local_names() -> set[str]:
    """The Host names a plain request may carry (read once the configuration is loaded)."""
    return LOCAL_NAMES | {config.LOCALSTACK_HOST.host.lower()}


def is_plain(environ: dict, names: set[str], signing_name: str) -> bool:
    """Whether the request is plain, for the service whose signing name is ``signing_name``."""
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
        and not INTERNAL_REQUEST_LOG.isEnabledFor(logging.DEBUG)
        and not events.infra_stopping.is_set()  # the chain answers 503 (handle_runtime_shutdown)
        and signed_for(environ["HTTP_AUTHORIZATION"], signing_name)
    )


def signed_for(authorization: str, signing_name: str) -> bool:
    """One credential, for ``signing_name``, whose scope names a region LocalStack keeps: the chain names
    the service by the credential's (localstack/aws/protocol/service_router.py), and rewrites any other
    region to us-east-1 in the Authorization header (localstack/aws/handlers/region.py), which moto
    reads; and it is the chain that reads the first of two Authorization headers (the server joins them)."""
    strategy = handlers.rewrite_region.region_rewriter_strategy
    if not isinstance(strategy, DefaultRegionRewriterStrategy):  # a rule of another edition: the chain's
        return False
    scopes = CREDENTIAL_SCOPE.findall(authorization)
    return len(scopes) == 1 and scopes[0][1] == signing_name and scopes[0][0] in strategy.available_regions
