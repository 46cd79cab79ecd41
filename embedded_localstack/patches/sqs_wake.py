"""SQS event source mappings learn of a message when it is sent, whatever their batching window.

AWS's Lambda pollers long-poll SQS: a mapping with MaximumBatchingWindowInSeconds 0 gets a message
as soon as it is on the queue. LocalStack 4.14.0's SQS poller (services/lambda_/event_source_mapping/
pollers/sqs_poller.py, ``poll_events``) receives with WaitTimeSeconds = min(window, 20), so at the
default window of 0 every receive is a short poll: the mapping sees a message only at its next poll,
LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC later, or after the empty-poll back-off (up to
LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC) on an idle queue. Here a poller whose
window is 0 receives with a 20 s wait instead, which LocalStack's SQS answers as soon as the first
message arrives (its queue's ``receive`` blocks on the queue itself, not on an interval), with
whatever else is there by then: what AWS does. A window above 0 is left as it is, so a batch is still
held for its window. The mapping's configuration (GetEventSourceMapping) still reads the window the
user set: only the poller's own copy changes.

Pinned to LocalStack's version: on another one ``wake_on_send`` patches nothing and says so, and
tests/unit/test_performance_parts.py fails, so that whoever upgrades LocalStack reads this again.
"""

import inspect
import logging

from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK, is_pinned

LOG = logging.getLogger(__name__)

# What poll_events must still read for the patch to mean what it says (4.14.0's line, verbatim).
RECEIVE_WAIT = "WaitTimeSeconds=min(self.maximum_batching_window, DEFAULT_MAX_WAIT_TIME_SECONDS)"


def wake_on_send() -> bool:
    """Makes every SQS poller with a batching window of 0 long-poll. True if it patched."""
    if not is_pinned("embedded_localstack/patches/sqs_wake.py", "SQS event source mappings short-poll"):
        return False
    from localstack.services.lambda_.event_source_mapping.pollers import sqs_poller

    poller = sqs_poller.SqsPoller
    if getattr(poller, "_wakes_on_send", False):
        return True
    if RECEIVE_WAIT not in inspect.getsource(poller.poll_events):
        raise RuntimeError(
            f"LocalStack {PINNED_LOCALSTACK}'s SqsPoller.poll_events no longer receives with {RECEIVE_WAIT}"
        )
    constructor = poller.__init__

    def __init__(self, *args, **kwargs):
        constructor(self, *args, **kwargs)
        if not self.maximum_batching_window:
            self.maximum_batching_window = sqs_poller.DEFAULT_MAX_WAIT_TIME_SECONDS

    poller.__init__ = __init__
    poller._wakes_on_send = True
    return True
