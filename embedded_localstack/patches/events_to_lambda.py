"""EventBridge hands an event to a Lambda target by calling LocalStack's Lambda provider, not by request.

LocalStack 4.14.0's LambdaTargetSender (services/events/target.py, ``send_event``) invokes the function
asynchronously with LocalStack's internal boto3 client: the event is serialised and signed by botocore,
sent through LocalStack's whole in-memory handler chain and parsed back, per event and target, on the
one core that also runs the rest of the event's fan-out. The shop's checkout rule has two Lambda
targets.

Here the sender calls ``LambdaProvider.invoke`` (InvocationType Event) with the context the internal
request would have had: the rule's account (the client is signed with it), the rule's region, and the
event's X-Ray header. What the provider does is unchanged (the event queue, retries, destinations, the
function's DLQ), and the call is made as the internal client made it (retried after a throttle or a
5xx, then its ClientError, which the rule logs as TargetDeliveryFailure). A target with a RoleArn (another account's function, through an
assumed role) still goes as LocalStack sends it.

Applied when LocalStack imports its target senders; pinned to LocalStack's version like
events_to_sqs.py (tests/unit/test_performance_parts.py fails on another, so that it is read again).
"""

import importlib
import io

from embedded_localstack.patches.after_import import patch_after_import
from embedded_localstack.patches.localstack_pin import is_pinned, still_does

MODULE = "localstack.services.events.target"
# What LambdaTargetSender.send_event must still do for the patch to do the same (4.14.0's lines, verbatim).
ORIGINAL_STEPS = (
    "self.client.invoke(",
    'FunctionName=self.target["Arn"],',
    "Payload=to_bytes(to_json_str(event)),",
    'InvocationType="Event",',
    "TraceHeader=trace_header,",
)


def on_import() -> None:
    """Patches once LocalStack's events service imports its target senders (at once if it has)."""
    patch_after_import(
        MODULE,
        invoke_in_process,
        "EventBridge invokes Lambda targets by request: patches/events_to_lambda.py did not apply",
    )


def invoke_in_process() -> bool:
    """Makes EventBridge's Lambda targets call the Lambda provider in process. True if it patched."""
    if not is_pinned(
        "embedded_localstack/patches/events_to_lambda.py", "EventBridge invokes Lambda targets by request"
    ):
        return False
    from localstack.services.events.utils import to_json_str
    from localstack.utils.strings import to_bytes

    from embedded_localstack.patches.in_process import call_as_internal_client, request_context, service_provider

    sender = importlib.import_module(MODULE).LambdaTargetSender  # (in sys.modules once on_import's loader ran it)
    if getattr(sender, "_invokes_in_process", False):
        return True
    still_does(sender.send_event, ORIGINAL_STEPS, "LambdaTargetSender.send_event")
    by_request = sender.send_event

    def send_event(self, event, trace_header):
        provider = service_provider("lambda")
        if self.target.get("RoleArn") or provider is None:
            return by_request(self, event, trace_header)
        # As the internal client's request would arrive: signed with the rule's account, in the rule's region.
        context = request_context("lambda", "Invoke", self.account_id, self.region, trace_header=trace_header)
        payload = to_bytes(to_json_str(event))
        call_as_internal_client(
            lambda: provider.invoke(
                context, function_name=self.target["Arn"], invocation_type="Event", payload=io.BytesIO(payload)
            ),
            "Invoke",
        )

    sender.send_event = send_event
    sender._invokes_in_process = True
    return True
