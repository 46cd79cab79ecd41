"""What the EventBridge rule tests share: a rule on a bus of the test's own, an event put on it, and
every message a queue received (the fixtures `bus` and `new_queue` are in conftest.py)."""

import json
import uuid

from client import deadlines
from infra.aws import client

HOSTILE = "é\u202e\u0000'\"<script>{}\\\n\t🙂" + "x" * 2000


def rule(bus, targets: list[dict], source: str) -> None:
    name, rules = bus
    events, rule_name = client("events"), f"test-rule-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule_name, EventBusName=name, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule_name, EventBusName=name, Targets=targets)
    rules.append((rule_name, [target["Id"] for target in targets]))


def put(bus, source: str, detail: dict) -> str:
    answer = client("events").put_events(
        Entries=[{"EventBusName": bus[0], "Source": source, "DetailType": "test", "Detail": json.dumps(detail)}]
    )
    assert answer["FailedEntryCount"] == 0, answer
    return answer["Entries"][0]["EventId"]


def receive_all(url: str, expected: int) -> list[dict]:
    """Every message on the queue once `expected` arrived, plus any that would follow within the deadline."""
    sqs, messages = client("sqs"), []
    while True:
        wait = deadlines.EVENT_TO_QUEUE if len(messages) < expected else 1
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait,
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            return messages
        messages += batch
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )
