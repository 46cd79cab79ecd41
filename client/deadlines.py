"""How long to wait for LocalStack to do something, derived from the settings that govern it.

A deadline only matters when something fails, so each one is the worst case the configuration allows
(a cold environment, every retry, every poll) rather than a typical time. When a setting changes
(config/localstack.env, a function's timeout in infra/stack.py), the deadlines follow.
"""

from infra import settings
from infra.stack import NOTIFICATION_FUNCTION, ORDER_BATCH_SIZE, ORDER_BATCHING_WINDOW, ORDER_QUEUE, ORDERING_FUNCTION

# Starting an execution environment, first or replacement, is bounded by this.
ENVIRONMENT_START = settings.ENVIRONMENT_START.read()
# An event source mapping polls again after this, and backs off to at most the second when idle.
POLL_INTERVAL = settings.POLL_INTERVAL.read()
EMPTY_POLL_BACKOFF = settings.EMPTY_POLL_BACKOFF.read()
# Asynchronous invocations are retried twice, after 1x and 2x this delay.
RETRY_BASE_DELAY = settings.RETRY_BASE_DELAY.read()
ASYNC_RETRIES = 2
# EventBridge delivers to an SQS target while PutEvents runs (LocalStack does so synchronously), so a
# second event would be on the queue as soon as the first; this allows for the receives around it.
EVENT_TO_QUEUE = 2
# Logs reach CloudWatch Logs when the invocation ends; this covers LocalStack's log shipping thread.
LOG_SHIPPING = 5


def invoke(function_timeout: float) -> float:
    """One invocation, environment start included."""
    return ENVIRONMENT_START + function_timeout


def async_invoke(function_timeout: float, attempts: int = 1 + ASYNC_RETRIES) -> float:
    """An event invocation with its retries, until its last outcome (or destination record) exists."""
    delays = sum(RETRY_BASE_DELAY * n for n in range(1, attempts))
    return attempts * invoke(function_timeout) + delays + LOG_SHIPPING


def queue_delivery(
    function_timeout: float, batching_window: float = 0, receives: int = 1, visibility_timeout: float = 0
) -> float:
    """A message on a mapped queue until the function has processed it: the mapping's next poll
    (after an idle back-off), its batching window and the invocation; with receives > 1, each
    further receive waits out the visibility timeout first."""
    one = max(POLL_INTERVAL, EMPTY_POLL_BACKOFF) + batching_window + invoke(function_timeout)
    return receives * one + (receives - 1) * visibility_timeout


def logs(function_timeout: float) -> float:
    """An invocation's lines in CloudWatch Logs."""
    return invoke(function_timeout) + LOG_SHIPPING


# A checkout on the shop's OrderQueue until its order is stored.
ORDER = queue_delivery(ORDERING_FUNCTION.timeout, ORDER_BATCHING_WINDOW)
# A checkout until its confirmation email is sent (EventBridge invokes the notification function, with retries).
EMAIL = async_invoke(NOTIFICATION_FUNCTION.timeout)


def order_burst(n: int, receives: int = 1) -> float:
    """n checkouts on the shop's OrderQueue until every order is stored (batches follow one another)."""
    visibility = ORDER_QUEUE.visibility_timeout
    return (
        queue_delivery(ORDERING_FUNCTION.timeout, ORDER_BATCHING_WINDOW, receives, visibility)
        + -(-n // ORDER_BATCH_SIZE) * ORDERING_FUNCTION.timeout
    )
