"""What sits in the dead-letter queues, and moving it back: `make dlq` and `make redrive` (tools/dead_letters.py)
and the dashboard's dead letters use this module.

A queue named here is one of the shop's dead-letter queues (infra/stack.py: queues' redrive policies, rule
targets' dead-letter queues, on-failure destinations), or any other queue that some queue's
RedrivePolicy names (its source is then found with ListDeadLetterSourceQueues): tests use their own pairs.
"""

import json
from dataclasses import dataclass

from client.queues import Queues
from client.waiting import eventually
from infra.stack import STACK

# The shop's dead-letter queues and where each sends back to (None: records to read, not to redrive).
SHOP_DEAD_LETTERS = {dead.name: (source.name if source else None) for dead, source in STACK.dead_letter_queues.items()}


class UnknownQueue(LookupError):
    """No dead-letter queue by that name, or none that can be redriven."""


def _unknown(name: str) -> UnknownQueue:
    return UnknownQueue(f"no dead-letter queue named {name!r}; choose one of: {', '.join(SHOP_DEAD_LETTERS)}")


class MoveTaskConflict(RuntimeError):
    pass


@dataclass
class DeadLetter:
    message_id: str
    why: str
    body: str


@dataclass
class DeadLetterQueue:
    name: str
    source: str | None  # where a redrive sends its messages; None: records of failed work, to read
    count: int
    first: list[DeadLetter]


@dataclass
class Moved:
    dead_letter: str
    source: str
    count: int


def error_context(message: dict) -> str:
    """Why the message is here, from whatever the sender recorded: an async invocation record,
    EventBridge's error attributes, or SQS's receive count."""
    attributes = message.get("MessageAttributes", {})
    if "ERROR_MESSAGE" in attributes:  # EventBridge target dead-letter queue
        code = attributes.get("ERROR_CODE", {}).get("StringValue", "")
        return f"EventBridge could not deliver: {code} {attributes['ERROR_MESSAGE']['StringValue']}".strip()
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = None
    if isinstance(body, dict) and "requestContext" in body:  # Lambda on-failure destination record
        context, response = body["requestContext"], body.get("responsePayload") or {}
        return (
            f"{context.get('condition')} after {context.get('approximateInvokeCount')} attempts: "
            f"{response.get('errorType', '')} {response.get('errorMessage', '')}".strip()
        )
    source = message.get("Attributes", {}).get("DeadLetterQueueSourceArn", "its source queue")
    return f"failed {message.get('Attributes', {}).get('ApproximateReceiveCount', '?')} receives on {source}"


def dead_letter_queues(queues: Queues, only: str | None) -> dict[str, str | None]:
    """The shop's dead-letter queues with their sources, or just the one named (which need not be
    the shop's). Raises UnknownQueue when there is no such dead-letter queue."""
    if only is None:
        return dict(SHOP_DEAD_LETTERS)
    if only in SHOP_DEAD_LETTERS:
        return {only: SHOP_DEAD_LETTERS[only]}
    try:
        url = queues.url(only)
    except queues.sqs.exceptions.QueueDoesNotExist:
        raise _unknown(only) from None
    sources = queues.sqs.list_dead_letter_source_queues(QueueUrl=url).get("queueUrls", [])
    if len(sources) != 1:  # not a dead-letter queue, or one shared by several sources: no single way back
        raise _unknown(only)
    return {only: sources[0].rsplit("/", 1)[-1]}


def listing(only: str | None = None, show: int = 3, queues: Queues | None = None) -> list[DeadLetterQueue]:
    queues = queues or Queues()
    found = []
    for name, source in dead_letter_queues(queues, only).items():
        count = queues.depth(name)
        first = [DeadLetter(m["MessageId"], error_context(m), m["Body"]) for m in queues.peek(name, min(count, show))]
        found.append(DeadLetterQueue(name, source, count, first))
    return found


def redrive(queues: Queues, dead_letter: str, source: str, timeout: float = 60) -> int:
    """Moves every message back with SQS's own move task, and waits until it is done."""
    before = queues.depth(dead_letter)
    if before == 0:
        return 0
    source_arn = queues.arn(dead_letter)
    handle = queues.sqs.start_message_move_task(SourceArn=source_arn, DestinationArn=queues.arn(source))["TaskHandle"]

    def finished():
        # The most recent task comes first; only a running one still carries its handle.
        task = queues.sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=1)["Results"][0]
        if task.get("TaskHandle") not in (None, handle):
            raise MoveTaskConflict(f"another move task is running on {dead_letter}")
        return task if task.get("Status") in ("COMPLETED", "FAILED", "CANCELLED") else None

    task = eventually(
        finished, timeout=timeout, interval=0.2, what=f"moving {dead_letter} to {source}", fatal=(MoveTaskConflict,)
    )
    if task["Status"] != "COMPLETED":
        raise RuntimeError(f"moving {dead_letter} to {source} ended {task['Status']}: {task.get('FailureReason')}")
    return int(task.get("ApproximateNumberOfMessagesMoved", before))


def move_matching(queues: Queues, dead_letter: str, source: str, match, timeout: float = 30) -> int:
    """Moves back only the messages whose body satisfies match (send, then delete: never lost).
    The others are left where they are. Returns once it moved some, or the queue had nothing."""
    dead_url, source_url = queues.url(dead_letter), queues.url(source)
    moved = 0

    def move_some():
        nonlocal moved
        messages = queues.sqs.receive_message(
            QueueUrl=dead_url, MaxNumberOfMessages=10, VisibilityTimeout=5, WaitTimeSeconds=1
        ).get("Messages", [])
        for message in messages:
            if match(message["Body"]):
                queues.sqs.send_message(QueueUrl=source_url, MessageBody=message["Body"])
                queues.sqs.delete_message(QueueUrl=dead_url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        return moved or not messages

    eventually(move_some, timeout=timeout, interval=0, what=f"matching messages moved from {dead_letter}")
    return moved


def redrive_all(only: str | None = None, queues: Queues | None = None) -> list[Moved]:
    """Every dead-letter queue that has a source (or the one named) moved back to it."""
    queues = queues or Queues()
    chosen = dead_letter_queues(queues, only)
    if only and chosen[only] is None:
        raise UnknownQueue(f"{only} holds records of failed invocations; read them with `make dlq`")
    return [Moved(dead, source, redrive(queues, dead, source)) for dead, source in chosen.items() if source]


def move_one(queues: Queues, dead_letter: str, source: str, message_id: str, timeout: float = 30) -> bool:
    """Moves back the one message with this MessageId (send, then delete: never lost); the others stay.
    False if it is not (or no longer) there."""
    dead_url, source_url = queues.url(dead_letter), queues.url(source)
    seen: set[str] = set()

    def look():
        messages = queues.sqs.receive_message(
            QueueUrl=dead_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=5,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        ).get("Messages", [])
        for message in messages:
            if message["MessageId"] == message_id:
                attributes = {
                    name: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
                    for name, value in message.get("MessageAttributes", {}).items()
                }
                extra = {"MessageAttributes": attributes} if attributes else {}
                queues.sqs.send_message(QueueUrl=source_url, MessageBody=message["Body"], **extra)
                queues.sqs.delete_message(QueueUrl=dead_url, ReceiptHandle=message["ReceiptHandle"])
                return "moved"
            seen.add(message["MessageId"])
        # Every message seen once and ours not among them (or an empty queue): it is gone.
        return "absent" if not messages or len(seen) >= queues.depth(dead_letter) else None

    return eventually(look, timeout=timeout, interval=0, what=f"message {message_id} in {dead_letter}") == "moved"
