"""Time-budgeted batch processing (lambdas/shared/batches.py), in-process with a fake Lambda context:
a slow record is cut off and reported alone, wherever it sits in the batch; records that cannot be
started before the deadline are reported untouched."""

import time

import pytest
from aws_lambda_powertools.utilities.batch import process_partial_response

from shared.batches import TimeBudgetedBatchProcessor


class FakeContext:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self.deadline - time.monotonic()) * 1000)


def sqs_event(bodies: list[str]) -> dict:
    return {
        "Records": [
            {"messageId": body, "receiptHandle": body, "body": body, "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs"}
            for body in bodies
        ]
    }


def run(bodies: list[str], seconds: float, record_timeout: float, handler) -> tuple[list[str], float]:
    started = time.monotonic()
    processor = TimeBudgetedBatchProcessor(record_timeout=record_timeout)
    response = process_partial_response(event=sqs_event(bodies), record_handler=handler, processor=processor, context=FakeContext(seconds))
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]], time.monotonic() - started


@pytest.mark.parametrize("position", [0, 2, 4], ids=["first", "middle", "last"])
def test_a_slow_record_is_cut_off_and_reported_alone_wherever_it_sits(position):
    bodies = [f"healthy-{i}" for i in range(4)]
    bodies.insert(position, "slow")
    done = []

    def handler(record):
        if record.body == "slow":
            time.sleep(30)  # far past the function's timeout
        done.append(record.body)

    failed, elapsed = run(bodies, seconds=4, record_timeout=0.5, handler=handler)

    assert failed == ["slow"]
    assert sorted(done) == sorted(b for b in bodies if b != "slow")
    assert elapsed < 2, "the slow record was cut off at its limit, long before the invocation's deadline"


def test_records_that_cannot_start_before_the_deadline_are_reported_untouched():
    started = []

    def handler(record):
        started.append(record.body)
        time.sleep(0.25)

    failed, elapsed = run([f"r{i}" for i in range(10)], seconds=1.0, record_timeout=5, handler=handler)

    unstarted = [f"r{i}" for i in range(len(started), 10)]
    assert started and unstarted
    # The last one started may have been cut off at the deadline; none before it failed.
    assert failed in (unstarted, [started[-1], *unstarted])
    assert elapsed < 1.0, "the function answers before its deadline"


def test_a_record_is_never_given_more_than_what_is_left_of_the_invocation():
    def handler(record):
        time.sleep(30)

    failed, elapsed = run(["a", "b"], seconds=0.8, record_timeout=10, handler=handler)

    assert failed == ["a", "b"]
    assert elapsed < 0.8


def test_a_batch_where_every_record_fails_is_answered_not_raised():
    def handler(record):
        raise ValueError("poison")

    failed, _ = run(["a", "b"], seconds=4, record_timeout=1, handler=handler)

    assert failed == ["a", "b"]
