"""What sits in the dead-letter queues, and moving it back. `make dlq`, `make redrive [QUEUE=name]`.

python -m shop.dead_letters list [--show N] [QUEUE]
python -m shop.dead_letters redrive [QUEUE]

QUEUE is one of the shop's dead-letter queues, or any other queue that some queue's RedrivePolicy
names (its source is then found with ListDeadLetterSourceQueues): tests use their own pairs.
"""

import argparse
import json
import sys
import time

from shop.aws import client
from shop.resources import DEAD_LETTER_QUEUES, Queue

PEEK_VISIBILITY = 0  # peeking leaves messages where they are, visible to the next reader


def queue_url(sqs, queue: Queue) -> str:
    return sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]


def queue_arn(sqs, queue: Queue) -> str:
    return sqs.get_queue_attributes(QueueUrl=queue_url(sqs, queue), AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def depth(sqs, queue: Queue) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url(sqs, queue), AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


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


def peek(sqs, queue: Queue, count: int) -> list[dict]:
    if count <= 0:
        return []
    return sqs.receive_message(
        QueueUrl=queue_url(sqs, queue),
        MaxNumberOfMessages=min(count, 10),
        VisibilityTimeout=PEEK_VISIBILITY,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])


def dead_letter_queues(sqs, only: str | None) -> dict[Queue, Queue | None]:
    """The shop's dead-letter queues with their sources, or just the one named (which need not be
    the shop's); empty when there is no such dead-letter queue."""
    if only is None:
        return dict(DEAD_LETTER_QUEUES)
    chosen = {q: s for q, s in DEAD_LETTER_QUEUES.items() if q.name == only}
    if chosen:
        return chosen
    try:
        url = sqs.get_queue_url(QueueName=only)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        return {}
    sources = sqs.list_dead_letter_source_queues(QueueUrl=url).get("queueUrls", [])
    if len(sources) != 1:  # not a dead-letter queue, or one shared by several sources: no single way back
        return {}
    return {Queue(only): Queue(sources[0].rsplit("/", 1)[-1])}


def list_dead_letters(show: int, only: str | None = None) -> int:
    sqs = client("sqs")
    total = 0
    chosen = dead_letter_queues(sqs, only)
    if not chosen:
        print(f"no dead-letter queue named {only!r}", file=sys.stderr)
        return 2
    for queue, source in chosen.items():
        count = depth(sqs, queue)
        total += count
        target = f" (redrive to {source.name})" if source else ""
        print(f"{queue.name}: {count} message(s){target}")
        for message in peek(sqs, queue, min(count, show)):
            body = message["Body"]
            print(f"  - {message['MessageId']}: {error_context(message)}")
            print(f"    {body[:200]}{'...' if len(body) > 200 else ''}")
    print(f"total: {total}")
    return 0


def redrive(sqs, dead_letter: Queue, source: Queue, timeout: float = 60) -> int:
    """Moves every message back with SQS's own move task, and waits until it is done."""
    before = depth(sqs, dead_letter)
    if before == 0:
        return 0
    handle = sqs.start_message_move_task(SourceArn=queue_arn(sqs, dead_letter), DestinationArn=queue_arn(sqs, source))["TaskHandle"]
    deadline = time.monotonic() + timeout
    while True:
        # The most recent task comes first; only a running one still carries its handle.
        task = sqs.list_message_move_tasks(SourceArn=queue_arn(sqs, dead_letter), MaxResults=1)["Results"][0]
        if task.get("TaskHandle") not in (None, handle):
            raise RuntimeError(f"another move task is running on {dead_letter.name}")
        if task.get("Status") in ("COMPLETED", "FAILED", "CANCELLED"):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"moving {dead_letter.name} to {source.name} did not finish in {timeout} s: {task}")
        time.sleep(0.2)
    if task["Status"] != "COMPLETED":
        raise RuntimeError(f"moving {dead_letter.name} to {source.name} ended {task['Status']}: {task.get('FailureReason')}")
    return int(task.get("ApproximateNumberOfMessagesMoved", before))


def move_matching(sqs, dead_letter: Queue, source: Queue, match, timeout: float = 30) -> int:
    """Moves back only the messages whose body satisfies match (send, then delete: never lost).
    The others are left where they are."""
    dead_url, source_url = queue_url(sqs, dead_letter), queue_url(sqs, source)
    moved, deadline = 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=dead_url, MaxNumberOfMessages=10, VisibilityTimeout=5, WaitTimeSeconds=1).get("Messages", [])
        for message in messages:
            if match(message["Body"]):
                sqs.send_message(QueueUrl=source_url, MessageBody=message["Body"])
                sqs.delete_message(QueueUrl=dead_url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        if moved or not messages:
            return moved
    return moved


def redrive_all(only: str | None) -> int:
    sqs = client("sqs")
    chosen = dead_letter_queues(sqs, only)
    if not chosen:
        names = ", ".join(q.name for q in DEAD_LETTER_QUEUES)
        print(f"no dead-letter queue named {only!r}; choose one of: {names}", file=sys.stderr)
        return 2
    for dead_letter, source in chosen.items():
        if source is None:
            if only:
                print(f"{dead_letter.name} holds records of failed invocations; read them with `make dlq`", file=sys.stderr)
                return 2
            continue
        moved = redrive(sqs, dead_letter, source)
        print(f"{dead_letter.name}: moved {moved} message(s) back to {source.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shop.dead_letters", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="count per dead-letter queue, with the first messages and why they failed")
    listing.add_argument("--show", type=int, default=3, help="messages to show per queue")
    listing.add_argument("queue", nargs="?", help="one dead-letter queue (default: the shop's)")
    move = commands.add_parser("redrive", help="move messages back to their source queue")
    move.add_argument("queue", nargs="?", help="one dead-letter queue (default: every one that has a source)")
    args = parser.parse_args(argv)
    return list_dead_letters(args.show, args.queue or None) if args.command == "list" else redrive_all(args.queue or None)


if __name__ == "__main__":
    sys.exit(main())
