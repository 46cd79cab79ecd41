"""EventBridge hands an event to an SQS target by calling LocalStack's SQS provider, not by two requests.

LocalStack 4.14.0's SqsTargetSender (services/events/target.py, ``send_event``) makes two internal
requests per event and target: GetQueueUrl (``sqs_queue_url_for_arn``) and SendMessage, each through
botocore and LocalStack's whole handler chain in memory. That was a third of LocalStack's CPU in an
EventBridge -> SQS round trip, on the gateway's only core.

Here the sender calls the SQS provider's ``send_message`` with the context the internal request would
have had: the rule's account (the message's SenderId) and the queue named by the target's ARN. What the
provider does is unchanged (FIFO checks, size limits, waking receivers and mappings), and the call is
made as the internal client made it (``in_process.call_as_internal_client``: retried after a throttle
or a 5xx, then its ClientError, which the rule logs as TargetDeliveryFailure, as before). A target with a RoleArn (another
account's queue, through an assumed role) still goes as LocalStack sends it.

Applied when LocalStack imports the target senders (``on_import``), so that an instance that never uses
EventBridge does not import them at start.

Pinned to LocalStack's version: on another one ``deliver_in_process`` patches nothing and says so, and
tests/unit/test_performance_parts.py fails, so that whoever upgrades LocalStack reads this again.
"""

import importlib
import re

from embedded_localstack.patches.after_import import patch_after_import
from embedded_localstack.patches.localstack_pin import is_pinned, still_does

MODULE = "localstack.services.events.target"
# A queue that the path form of its URL names exactly (SQS's own naming rules); any other ARN goes by
# request, whose GetQueueUrl refuses it as LocalStack does.
QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}(\.fifo)?")
ACCOUNT = re.compile(r"[0-9]{12}")
REGION = re.compile(r"[a-z0-9-]{1,32}")
# What SqsTargetSender.send_event must still do for the patch to do the same (4.14.0's lines, verbatim).
ORIGINAL_STEPS = (
    'queue_url = sqs_queue_url_for_arn(self.target["Arn"])',
    'msg_group_id = self.target.get("SqsParameters", {}).get("MessageGroupId", None)',
    'kwargs = {"MessageGroupId": msg_group_id} if msg_group_id else {}',
    "MessageBody=to_json_str(event),",
)


def on_import() -> None:
    """Patches once LocalStack's events service imports its target senders (at once if it has)."""
    patch_after_import(
        MODULE, deliver_in_process, "EventBridge sends to SQS by request: patches/events_to_sqs.py did not apply"
    )


def deliver_in_process() -> bool:
    """Makes EventBridge's SQS targets call the SQS provider in process. True if it patched."""
    if not is_pinned("embedded_localstack/patches/events_to_sqs.py", "EventBridge sends to SQS by request"):
        return False
    from localstack.services.events.utils import to_json_str
    from localstack.utils.aws.arns import InvalidArnException, parse_arn

    from embedded_localstack.patches.in_process import call_as_internal_client, request_context, service_provider

    sender = importlib.import_module(MODULE).SqsTargetSender  # (in sys.modules once on_import's loader ran it)
    if getattr(sender, "_delivers_in_process", False):
        return True
    still_does(sender.send_event, ORIGINAL_STEPS, "SqsTargetSender.send_event")
    by_request = sender.send_event

    def send_event(self, event, trace_header):
        try:
            queue = parse_arn(self.target["Arn"])
        except InvalidArnException:
            queue = None
        if self.target.get("RoleArn") or not _plain(queue):
            return by_request(self, event, trace_header)
        provider = service_provider("sqs")
        if provider is None:
            return by_request(self, event, trace_header)
        # As the internal client's request would arrive: signed with the rule's account as access key, and
        # without an X-Ray header (LocalStack's SqsTargetSender passes none, so messages get no AWSTraceHeader).
        context = request_context("sqs", "SendMessage", self.account_id, queue["region"], queue["partition"])
        group = self.target.get("SqsParameters", {}).get("MessageGroupId", None) or None  # "" as none
        call_as_internal_client(
            lambda: provider.send_message(
                context,
                # The path form of a queue URL names its region too (localstack/services/sqs/utils.py, parse_queue_url).
                queue_url=f"http://sqs.internal/queue/{queue['region']}/{queue['account']}/{queue['resource']}",
                message_body=to_json_str(event),
                message_group_id=group,
            ),
            "SendMessage",
        )

    sender.send_event = send_event
    sender._delivers_in_process = True
    return True


def _plain(queue) -> bool:
    return (
        queue is not None
        and queue["service"] == "sqs"
        and bool(ACCOUNT.fullmatch(queue["account"]))
        and bool(REGION.fullmatch(queue["region"]))
        and bool(QUEUE_NAME.fullmatch(queue["resource"]))
    )
