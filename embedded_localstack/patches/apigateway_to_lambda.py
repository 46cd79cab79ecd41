"""API Gateway's Lambda proxy integration calls LocalStack's Lambda provider in process, not through an
internal request.

LocalStack 4.14.0's ``RestApiAwsProxyIntegration.call_lambda`` invokes the function with LocalStack's
internal boto3 client: the API Gateway event is serialised and signed by botocore, sent through
LocalStack's whole in-memory handler chain, parsed back into the provider's arguments, and the answer
serialised and parsed again, for every API request, on the one core that also runs API Gateway.

Here ``call_lambda`` calls ``LambdaProvider.invoke`` with the context that internal request would have
had: the account of LocalStack's internal credentials, the region of the function's ARN, a fresh X-Ray
trace root. What the provider does is unchanged (versions, aliases, concurrency, the invocation, its
logs), and the call is made as the internal client made it (``in_process.call_as_internal_client``): a
throttled or failed invocation (429, 5xx) is tried again, up to five attempts with the client's backoff,
and an error then becomes the ``ClientError`` it raised, so API Gateway answers it as before (500 for
AccessDeniedException, 502 otherwise). An
integration with credentials (a role API Gateway assumes) still goes as LocalStack sends it.

Applied when LocalStack imports its API Gateway integrations; pinned to LocalStack's version
(tests/unit/test_performance_parts.py fails on another, so that it is read again).
"""

import importlib
import io

from embedded_localstack.patches.after_import import patch_after_import
from embedded_localstack.patches.localstack_pin import is_pinned, still_does

MODULE = "localstack.services.apigateway.next_gen.execute_api.integrations.aws"
# What call_lambda must still do for the patch to do the same (4.14.0's lines, verbatim).
ORIGINAL_STEPS = (
    "lambda_client = get_service_factory(",
    "role_arn=credentials,",
    "service_principal=ServicePrincipal.apigateway,",
    "FunctionName=function_arn,",
    "Payload=event,",
    'InvocationType="RequestResponse",',
    'if payload := inv_result.get("Payload"):',
)


def on_import() -> None:
    """Patches once LocalStack imports its API Gateway integrations (at once if it has)."""
    patch_after_import(
        MODULE,
        invoke_in_process,
        "API Gateway invokes Lambda by request: patches/apigateway_to_lambda.py did not apply",
    )


def invoke_in_process() -> bool:
    """Makes the Lambda proxy integration call the Lambda provider in process. True if it patched."""
    if not is_pinned("embedded_localstack/patches/apigateway_to_lambda.py", "API Gateway invokes Lambda by request"):
        return False
    from localstack.aws.accounts import get_account_id_from_access_key_id
    from localstack.constants import INTERNAL_AWS_ACCESS_KEY_ID
    from localstack.utils.aws.arns import extract_region_from_arn

    from embedded_localstack.patches.in_process import call_as_internal_client, request_context, service_provider

    integration = importlib.import_module(MODULE).RestApiAwsProxyIntegration
    if getattr(integration.call_lambda, "_in_process", False):
        return True
    still_does(integration.call_lambda, ORIGINAL_STEPS, "RestApiAwsProxyIntegration.call_lambda")
    by_request = integration.call_lambda

    def call_lambda(function_arn: str, event: bytes, source_arn: str, credentials: str | None = None) -> bytes:
        provider = service_provider("lambda")
        if credentials or provider is None:
            return by_request(function_arn, event, source_arn, credentials)
        # As the internal client's request would arrive: LocalStack's internal credentials, the function's region.
        account = get_account_id_from_access_key_id(INTERNAL_AWS_ACCESS_KEY_ID)
        context = request_context("lambda", "Invoke", account, extract_region_from_arn(function_arn))
        response = call_as_internal_client(
            lambda: provider.invoke(
                context, function_name=function_arn, invocation_type="RequestResponse", payload=io.BytesIO(event)
            ),
            "Invoke",
        )
        payload = response.get("Payload") or b""
        return payload.encode() if isinstance(payload, str) else payload

    call_lambda._in_process = True
    integration.call_lambda = staticmethod(call_lambda)
    return True
