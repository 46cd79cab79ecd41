"""EventBridge rules with SQS targets, as a user's app declares them: every event arrives once, whole,
on every matching queue (embedded mode hands it to the SQS provider in process: patches/events_to_sqs.py)."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

from infra.aws import client
from tests.integration.event_rules import HOSTILE, put, receive_all, rule


def test_an_event_arrives_once_and_whole_on_every_matching_queue(bus, new_queue):
    # Given a rule with two queue targets
    (first, first_arn), (second, second_arn) = new_queue(), new_queue()
    source = f"test.{uuid.uuid4().hex[:8]}"
    rule(bus, [{"Id": "a", "Arn": first_arn}, {"Id": "b", "Arn": second_arn}], source)

    # When an event with a hostile detail is put
    event_id = put(bus, source, {"text": HOSTILE, "n": 1})

    # Then each queue holds exactly that event, as EventBridge formats it, sent by the bus's account
    for url in (first, second):
        (message,) = receive_all(url, 1)
        event = json.loads(message["Body"])
        assert event["id"] == event_id and event["source"] == source and event["detail-type"] == "test"
        assert event["detail"] == {"text": HOSTILE, "n": 1}
        assert event["account"] == "000000000000" and event["region"] == client("sqs").meta.region_name
        assert message["Attributes"]["SenderId"] == "000000000000"


def test_concurrent_events_each_arrive_once(bus, new_queue):
    url, arn = new_queue()
    source = f"test.{uuid.uuid4().hex[:8]}"
    rule(bus, [{"Id": "q", "Arn": arn}], source)

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: put(bus, source, {"i": i}), range(60)))

    received = [json.loads(m["Body"]) for m in receive_all(url, len(ids))]
    assert sorted(event["id"] for event in received) == sorted(ids), "none lost, none twice"
    assert sorted(event["detail"]["i"] for event in received) == list(range(60))


def test_a_fifo_target_gets_its_message_group_and_an_input_path_target_its_part(bus, new_queue):
    (fifo, fifo_arn), (part, part_arn) = new_queue(fifo=True), new_queue()
    source = f"test.{uuid.uuid4().hex[:8]}"
    targets = [
        {"Id": "fifo", "Arn": fifo_arn, "SqsParameters": {"MessageGroupId": "group-1"}},
        {"Id": "part", "Arn": part_arn, "InputPath": "$.detail.inner"},
    ]
    rule(bus, targets, source)

    put(bus, source, {"inner": {"k": HOSTILE}, "seq": 1})
    put(bus, source, {"inner": {"k": "second"}, "seq": 2})

    in_order = receive_all(fifo, 2)
    assert [json.loads(m["Body"])["detail"]["seq"] for m in in_order] == [1, 2]
    assert {m["Attributes"]["MessageGroupId"] for m in in_order} == {"group-1"}
    assert sorted(json.loads(m["Body"])["k"] for m in receive_all(part, 2)) == sorted([HOSTILE, "second"])


def test_an_empty_message_group_is_none_and_an_arn_that_is_not_the_queues_delivers_nowhere(bus, new_queue):
    # Given a standard queue targeted with an empty MessageGroupId, and a queue named like a prefix of
    # another target's ARN (the ARN is not that queue's: "q#x", "q/" and "q?x" name no queue)
    (plain, plain_arn), (near, near_arn) = new_queue(), new_queue()
    source = f"test.{uuid.uuid4().hex[:8]}"
    odd = [{"Id": f"odd{i}", "Arn": near_arn + suffix} for i, suffix in enumerate(("#x", "/", "?x=1", ";p"))]
    rule(bus, [{"Id": "plain", "Arn": plain_arn, "SqsParameters": {"MessageGroupId": ""}}, *odd], source)

    put(bus, source, {"seq": 1})

    assert [json.loads(m["Body"])["detail"]["seq"] for m in receive_all(plain, 1)] == [1]
    assert receive_all(near, 0) == []


def test_a_deleted_target_queue_does_not_stop_the_others_or_fail_the_put(bus, new_queue):
    # Given a rule whose first target's queue is gone, and a FIFO target without a message group
    (gone, gone_arn), (fifo, fifo_arn), (kept, kept_arn) = new_queue(), new_queue(fifo=True), new_queue()
    client("sqs").delete_queue(QueueUrl=gone)
    source = f"test.{uuid.uuid4().hex[:8]}"
    rule(
        bus, [{"Id": "gone", "Arn": gone_arn}, {"Id": "fifo", "Arn": fifo_arn}, {"Id": "kept", "Arn": kept_arn}], source
    )

    # When events are put, the put succeeds (AWS answers before delivery) and the third target gets each
    put(bus, source, {"seq": 1})
    put(bus, source, {"seq": 2})
    assert sorted(json.loads(m["Body"])["detail"]["seq"] for m in receive_all(kept, 2)) == [1, 2]
    # A FIFO queue refuses a message without a group, as it would from any sender
    assert receive_all(fifo, 0) == []
