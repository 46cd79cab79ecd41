"""Time-budgeted batch processing (lambdas/shared/batches.py), in-process with a fake Lambda context:
a slow record is cut off and reported alone, wherever it sits in the batch; slow records cannot take
their batch-mates' time; records that cannot be started before the deadline are reported untouched."""

import time
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from aws_lambda_powertools.utilities.batch import process_partial_response

from infra.model import BATCH_RESERVE_SECONDS as RESERVE_SECONDS
from infra.model import batch_function_timeout
from infra.stack import SUBSCRIPTIONS
from shared import batches
from shared.batches import MIN_START_SECONDS, RecordTimedOut, TimeBudgetedBatchProcessor
from tests.unit.lambda_events import FakeLambdaContext, sqs_event


@pytest.fixture
def armed(monkeypatch) -> list[float]:
    """The time limit each record is armed with, in order; the real cut-off (SIGALRM) still applies."""
    limits = []
    real = batches.time_limit

    @contextmanager
    def recording(seconds):
        limits.append(seconds)
        with real(seconds):
            yield

    monkeypatch.setattr(batches, "time_limit", recording)
    return limits


def run(bodies: list[str], seconds: float, record_timeout: float, handler) -> list[str]:
    processor = TimeBudgetedBatchProcessor(record_timeout=record_timeout, reserve_seconds=RESERVE_SECONDS)
    response = process_partial_response(
        event=sqs_event(*bodies, message_ids=bodies),
        record_handler=handler,
        processor=processor,
        context=FakeLambdaContext(timeout_seconds=seconds),
    )
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


@pytest.fixture
def on_a_manual_clock(monkeypatch):
    """Runs a batch on a clock that moves only as its records say (ManualClockContext), each record armed
    with a limit that is recorded, not enforced: what a record is given is then a function of the budget
    alone, not of how busy the machine is (the real cut-off is tested above). `runs_for(body)` is how long
    a record runs, None for one that runs until it is cut off. Returns (started, failed, armed limits)."""
    armed = []

    @contextmanager
    def time_limit(seconds):
        armed.append(seconds)
        yield

    monkeypatch.setattr(batches, "time_limit", time_limit)

    def run_batch(bodies: list[str], seconds: float, record_timeout: float, runs_for):
        context = ManualClockContext(timeout_seconds=seconds)
        started = []

        def handler(record):
            started.append(record.body)
            took = runs_for(record.body)
            if took is None or took >= armed[-1]:
                context.now += armed[-1]
                raise RecordTimedOut("cut off")
            context.now += took

        response = process_partial_response(
            event=sqs_event(*bodies, message_ids=bodies),
            record_handler=handler,
            processor=TimeBudgetedBatchProcessor(record_timeout=record_timeout, reserve_seconds=RESERVE_SECONDS),
            context=context,
        )
        return started, [failure["itemIdentifier"] for failure in response["batchItemFailures"]], armed

    return run_batch


@pytest.mark.parametrize("position", [0, 2, 4], ids=["first", "middle", "last"])
def test_a_slow_record_is_cut_off_and_reported_alone_wherever_it_sits(position, armed):
    bodies = [f"healthy-{i}" for i in range(4)]
    bodies.insert(position, "slow")
    done = []

    def handler(record):
        if record.body == "slow":
            time.sleep(30)  # far past the function's timeout
        done.append(record.body)

    failed = run(bodies, seconds=4, record_timeout=0.5, handler=handler)

    assert failed == ["slow"]
    assert sorted(done) == sorted(b for b in bodies if b != "slow")
    assert armed == [0.5] * 5, "each record, the slow one too, is cut off at its own limit, not the invocation's"


def test_records_that_cannot_start_before_the_deadline_are_reported_untouched():
    # Only an invocation that starts with almost none of its time left (provisioning gives it a full
    # batch's worth): every record comes back untried, as it would had the invocation never run.

    started = []

    failed = run(
        [f"r{i}" for i in range(10)],
        seconds=RESERVE_SECONDS + MIN_START_SECONDS / 2,
        record_timeout=5,
        handler=lambda record: started.append(record.body),
    )

    assert started == []
    assert failed == [f"r{i}" for i in range(10)]


def test_an_invocation_short_of_time_shares_it_evenly_so_quick_records_all_finish(on_a_manual_clock):
    # 2.7 s (after the reserve) for ten records whose limit is 5 s: each may use a tenth of what is
    # left, and what a quick record leaves goes to those after it, so no record can take the others' time.
    bodies = [f"r{i}" for i in range(10)]

    started, failed, armed = on_a_manual_clock(bodies, seconds=3.0, record_timeout=5, runs_for=lambda body: 0.02)

    assert started == bodies
    assert failed == []
    assert armed[0] <= (3.0 - RESERVE_SECONDS) / 10, "the first record may take a tenth, not its 5 s limit"


def test_a_record_is_never_given_more_than_what_is_left_of_the_invocation(monkeypatch, on_a_manual_clock):
    given = []  # (what was left when the record started, the limit it got)
    record_limit = TimeBudgetedBatchProcessor.record_limit

    def spy(self, remaining, records_left):
        limit = record_limit(self, remaining, records_left)
        given.append((remaining, limit))
        return limit

    monkeypatch.setattr(TimeBudgetedBatchProcessor, "record_limit", spy)

    _, failed, _ = on_a_manual_clock(["a", "b"], seconds=0.8, record_timeout=10, runs_for=lambda body: None)

    assert failed == ["a", "b"]
    assert len(given) == 2
    assert all(0 < limit <= remaining for remaining, limit in given)
    assert sum(limit for _, limit in given) <= 0.8 - RESERVE_SECONDS


def test_a_batch_where_every_record_fails_is_answered_not_raised():
    def handler(record):
        raise ValueError("poison")

    failed = run(["a", "b"], seconds=4, record_timeout=1, handler=handler)

    assert failed == ["a", "b"]


@pytest.mark.parametrize("slow_positions", [(0, 1, 2), (3, 5, 9), (7, 8, 9)], ids=["first", "spread", "last"])
def test_slow_records_cannot_starve_their_batch_mates_even_when_the_invocation_is_short_of_time(
    slow_positions, on_a_manual_clock
):
    # Three slow records in a batch of 10 whose invocation has less time than 10 x record_timeout
    # (2.1 s after the reserve against 6 s). Were each slow record to take its whole limit, the later
    # records would go unstarted and fail with it on every receive until they were dead-lettered: the
    # records share what is left instead, so all are tried.
    bodies = [f"slow-{i}" if i in slow_positions else f"healthy-{i}" for i in range(10)]

    started, failed, armed = on_a_manual_clock(
        bodies, seconds=2.4, record_timeout=0.6, runs_for=lambda body: None if body.startswith("slow") else 0.005
    )

    assert started == bodies, "every record is tried"
    assert failed == [body for body in bodies if body.startswith("slow")], "only the slow ones fail"
    assert max(armed) <= 0.6, "no record is given more than its own limit"


@dataclass
class ManualClockContext:
    """A Lambda context on a clock that moves only when a record runs: what each record is given is then
    a function of the budget alone, not of how busy the machine is."""

    timeout_seconds: float
    now: float = 0.0

    def get_remaining_time_in_millis(self) -> int:
        return int((self.timeout_seconds - self.now) * 1000)


@pytest.mark.parametrize(
    ("batch_size", "record_timeout"),
    [(10, 0.1), (10, 0.25), (1, 0.7)]
    + [(s.batch_size, float(s.function.environment["RECORD_TIMEOUT"])) for s in SUBSCRIPTIONS],
)
def test_with_the_budget_provisioning_guarantees_every_record_gets_its_full_limit(
    monkeypatch, batch_size, record_timeout
):
    # Given a function timeout sized as infra/stack.py sizes it, and a full batch whose every record runs
    # until it is cut off. (The limit each record is armed with is checked, not how long its handler
    # measured itself: SIGALRM and the scheduler run on the wall clock, and a loaded machine can hold the
    # process between arming the timer and entering the handler. The cut-off itself is tested above.)
    context = ManualClockContext(timeout_seconds=batch_function_timeout(batch_size, record_timeout))
    armed = []

    @contextmanager
    def time_limit(seconds):
        armed.append(seconds)
        yield

    def runs_to_its_limit(record):
        context.now += armed[-1]
        raise RecordTimedOut("cut off")

    monkeypatch.setattr(batches, "time_limit", time_limit)
    bodies = [f"r{i}" for i in range(batch_size)]

    # When the batch runs
    response = process_partial_response(
        event=sqs_event(*bodies, message_ids=bodies),
        record_handler=runs_to_its_limit,
        processor=TimeBudgetedBatchProcessor(record_timeout=record_timeout, reserve_seconds=RESERVE_SECONDS),
        context=context,
    )

    # Then every record, the last behind all the slow ones too, was armed with its whole limit
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == bodies
    assert armed == [pytest.approx(record_timeout, abs=0.001)] * batch_size
