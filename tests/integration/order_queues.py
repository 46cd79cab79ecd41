"""Queue pairs of a test's own, feeding the shop's ordering function through a mapping of their own,
so that dead-letter and redrive tests neither see nor spoil other tests' messages, and wait seconds
rather than the shop's visibility timeout."""

import json
import uuid
from dataclasses import dataclass

import pytest

from client import deadlines
from client.queues import Queues
from client.waiting import eventually
from infra.aws import client
from infra.stack import ORDER_BATCH_SIZE, ORDERING_FUNCTION

# Just above the function's timeout (the mapping refuses less); failed records come back this soon.
VISIBILITY_TIMEOUT = ORDERING_FUNCTION.timeout + 1
MAX_RECEIVE_COUNT = 3
# Receives until a record that always fails is dead-lettered: maxReceiveCount deliveries, each after
# the previous one's visibility timeout.
DEAD_LETTER_DEADLINE = deadlines.queue_delivery(
    ORDERING_FUNCTION.timeout, receives=MAX_RECEIVE_COUNT, visibility_timeout=VISIBILITY_TIMEOUT
)
# A record that fails once (a crash, a redrive): its second delivery.
RETRY_DEADLINE = deadlines.queue_delivery(ORDERING_FUNCTION.timeout, receives=2, visibility_timeout=VISIBILITY_TIMEOUT)


@dataclass
class OwnQueue:
    name: str
    url: str
    arn: str
    dlq_name: str
    dlq_url: str
    mapping: str | None = None

    def send_batch(self, bodies: list[dict]) -> None:
        Queues().send(self.name, *bodies)

    def dead_letters(self) -> list[dict]:
        """What sits in the dead-letter queue (read, left in place), with SQS's attributes."""
        return Queues().peek(self.dlq_name, receives=3)

    def depth(self, name: str) -> int:
        return Queues().depth(name)


@pytest.fixture
def own_order_queue():
    """Factory: a queue and its dead-letter queue (short visibility timeout, maxReceiveCount 3).
    subscribe(queue) maps it to the ordering function. Everything is deleted after the test."""
    sqs, lambda_client = client("sqs"), client("lambda")
    created: list[OwnQueue] = []

    def create() -> OwnQueue:
        name = f"test-orders-{uuid.uuid4().hex[:8]}"
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT})
        url = sqs.create_queue(
            QueueName=name, Attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT), "RedrivePolicy": policy}
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue = OwnQueue(name, url, arn, f"{name}-dlq", dlq_url)
        created.append(queue)
        return queue

    def subscribe(queue: OwnQueue) -> None:
        mapping = lambda_client.create_event_source_mapping(
            EventSourceArn=queue.arn,
            FunctionName=ORDERING_FUNCTION.name,
            BatchSize=ORDER_BATCH_SIZE,
            MaximumBatchingWindowInSeconds=0,
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )
        queue.mapping = mapping["UUID"]
        eventually(
            lambda: lambda_client.get_event_source_mapping(UUID=queue.mapping)["State"] == "Enabled",
            timeout=30,
            what=f"mapping of {queue.name} Enabled",
        )

    create.subscribe = subscribe
    yield create
    for queue in created:
        if queue.mapping:
            lambda_client.delete_event_source_mapping(UUID=queue.mapping)
        sqs.delete_queue(QueueUrl=queue.url)
        sqs.delete_queue(QueueUrl=queue.dlq_url)
