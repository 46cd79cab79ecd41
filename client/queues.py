"""Reading and writing the shop's queues by name: depth, peeking (messages stay where they are),
taking (the first match is deleted) and sending."""

import json

from client.waiting import eventually
from infra.aws import client

PEEK_VISIBILITY = 0  # peeking leaves messages where they are, visible to the next reader
# Messages a take() looked at but did not want stay hidden this long, so one receive after another
# reads through a queue that holds more than ten.
PASSED_OVER_VISIBILITY = 3


class Queues:
    def __init__(self, sqs=None):
        self.sqs = sqs or client("sqs")

    def url(self, name: str) -> str:
        return self.sqs.get_queue_url(QueueName=name)["QueueUrl"]

    def arn(self, name: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=self.url(name), AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def depth(self, name: str) -> int:
        """Messages in the queue, visible or in flight."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url(name), AttributeNames=names)["Attributes"]
        return sum(int(attributes[n]) for n in names)

    def peek(self, name: str, count: int = 10, receives: int = 1) -> list[dict]:
        """Up to count messages, with SQS's attributes, left in place (the same message read twice counts once)."""
        found: dict[str, dict] = {}
        for _ in range(receives if count > 0 else 0):
            for message in self.sqs.receive_message(
                QueueUrl=self.url(name),
                MaxNumberOfMessages=min(count, 10),
                VisibilityTimeout=PEEK_VISIBILITY,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", []):
                found[message["MessageId"]] = message
        return list(found.values())[:count]

    def send(self, name: str, *bodies: dict) -> None:
        url = self.url(name)
        for start in range(0, len(bodies), 10):
            entries = [
                {"Id": str(i), "MessageBody": json.dumps(body)} for i, body in enumerate(bodies[start : start + 10])
            ]
            response = self.sqs.send_message_batch(QueueUrl=url, Entries=entries)
            if response.get("Failed"):
                raise RuntimeError(f"SQS refused messages for {name}: {response['Failed']}")

    def take(self, name: str, match, timeout: float = 20) -> dict:
        """Waits for the first message whose parsed body satisfies match, deletes it, returns the body."""
        url = self.url(name)

        def poll():
            messages = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            found = None
            for message in messages:
                body = json.loads(message["Body"])
                if found is None and match(body):
                    found = body
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                else:
                    self.sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=PASSED_OVER_VISIBILITY
                    )
            return found

        return eventually(poll, timeout=timeout, interval=0, what=f"a matching message on {name}")
