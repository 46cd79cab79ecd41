"""The batching window an SQS event source mapping gets when deployed to LocalStack.

LocalStack 4.14.0's SQS poller (services/lambda_/event_source_mapping/pollers/sqs_poller.py) receives
with WaitTimeSeconds = min(MaximumBatchingWindowInSeconds, 20). At the declared window of 0 every
receive is a short poll, so the mapping only learns of a message at its next poll, up to
LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC (or the empty-poll back-off) later. With a window of
exactly 20 the receive is an ordinary SQS long poll: it blocks in LocalStack until the first message
arrives, then returns at once with whatever else is already there (services/sqs/models.py,
StandardQueue.receive stops blocking after the first message). A window above 20 would be worse: the
poller then adds LocalStack's wait-time override header and the receive waits until the batch is
full or the window has passed.

On AWS a window of 20 s would hold each batch back up to 20 s, so the stack declares 0 and only a
deployment to a local endpoint substitutes this.
"""

from infra import settings

LOCALSTACK_LONG_POLL_SECONDS = 20


def batching_window(declared: int, endpoint_url: str | None = settings.ENDPOINT_URL) -> int:
    """The window to deploy: the declared one, unless it is 0 and the endpoint is LocalStack."""
    if declared or not settings.is_local(endpoint_url):
        return declared
    return LOCALSTACK_LONG_POLL_SECONDS
