"""SQS batches processed within the invocation's time: Powertools' BatchProcessor, plus a budget.

Without a budget, one record that runs past the function's timeout kills the invocation: no
batchItemFailures come back, every record of the batch is received again, and after
maxReceiveCount receives its healthy batch-mates end in the dead-letter queue with it. So:

- each record runs under its own time limit, and a record that runs over is cut off and reported
  alone. The limit is RECORD_TIMEOUT seconds, or the record's fair share of what is left of the
  invocation (the time left less a reserve, divided by the records not yet processed), whichever
  is less;
- provisioning guarantees the full limit to every record: infra/stack.py derives the function's
  timeout from its subscription, batch size x RECORD_TIMEOUT + BATCH_RESERVE_SECONDS at least. So however
  many slow records share a batch, and wherever they sit, every healthy record is tried on every
  receive, with RECORD_TIMEOUT to finish. The fair share only bites when the invocation starts with
  less than that (time lost before the handler ran, an overloaded host): then the records share
  the shortfall evenly, and slow records early in the batch cannot take the later ones' time;
- a record is not started when less than MIN_START_SECONDS of the whole budget is left (it would be
  cut off at once); it is reported as a batch item failure untouched and comes back after the
  visibility timeout. With the guarantee above this cannot happen to a batch whose records keep to
  their limit; it takes an invocation that started with almost none of its time left.

The cut-off is SIGALRM raising RecordTimedOut inside the record's code (sleeps, socket reads and
Python code are interrupted; a worker thread could not be stopped and would finish the work later,
behind the caller's back). Lambda runs handlers on the main thread, where signals are delivered;
elsewhere only the between-records budget applies."""

import signal
import sys
import threading
from contextlib import contextmanager

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

from shared import config

# Not worth starting a record with less than this left of the whole budget; it would be cut off.
MIN_START_SECONDS = 0.1


class RecordTimedOut(Exception):
    """A record ran past its time limit and was cut off."""


class DeadlineReached(Exception):
    """Too little of the invocation was left to start this record."""


@contextmanager
def time_limit(seconds: float):
    """Raises RecordTimedOut in the block once `seconds` have passed (main thread only)."""
    # Under the debugger (embedded mode's LAMBDA_DEBUG puts debugpy in the process) a breakpoint must
    # not cut the record off, as the function's own timeout is lifted then too.
    debugged = "debugpy" in sys.modules
    if threading.current_thread() is not threading.main_thread() or seconds <= 0 or debugged:
        yield
        return

    def expire(signum, frame):
        raise RecordTimedOut(f"record cut off after {seconds:.2f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def budget_from_env() -> tuple[float, float]:
    """A record's time limit (RECORD_TIMEOUT) and what is kept back from the deadline to report the batch's
    outcome after the last record (BATCH_RESERVE_SECONDS), as provisioning sets them (infra/stack.py,
    which sizes the function's timeout with the same two values)."""
    return float(config.require_env("RECORD_TIMEOUT")), float(config.require_env("BATCH_RESERVE_SECONDS"))


class TimeBudgetedBatchProcessor(BatchProcessor):
    def __init__(self, record_timeout: float, reserve_seconds: float, event_type: EventType = EventType.SQS):
        # A batch whose every record failed is still answered with batchItemFailures, not an error:
        # the outcome is the same, and the invocation is not counted as a function error.
        super().__init__(event_type=event_type, raise_on_entire_batch_failure=False)
        self.record_timeout = record_timeout
        self.reserve_seconds = reserve_seconds

    def _remaining_seconds(self) -> float:
        context = getattr(self, "lambda_context", None)
        if context is None:
            return float("inf")
        return context.get_remaining_time_in_millis() / 1000 - self.reserve_seconds

    def process(self) -> list[tuple]:
        # As Powertools' own, in order, but each record knows how many (itself included) still share the budget.
        results = []
        for index, record in enumerate(self.records):
            self._records_left = len(self.records) - index
            results.append(self._process_record(record))
        return results

    def record_limit(self, remaining: float, records_left: int) -> float:
        """A record's time limit: RECORD_TIMEOUT, or its fair share of what is left if that is less."""
        return min(self.record_timeout, remaining / max(records_left, 1))

    def _process_record(self, record: dict):
        remaining = self._remaining_seconds()
        if remaining < MIN_START_SECONDS:
            return self._fail(
                record, DeadlineReached(f"{remaining + self.reserve_seconds:.2f} s left in the invocation; not started")
            )
        try:
            with time_limit(self.record_limit(remaining, getattr(self, "_records_left", 1))):
                return super()._process_record(record)
        except RecordTimedOut as e:  # fired outside the handler's own try (after it returned): report it anyway
            return self._fail(record, e)

    def _fail(self, record: dict, exception: Exception):
        data = self._to_batch_type(record=record, event_type=self.event_type)
        return self.failure_handler(record=data, exception=(type(exception), exception, exception.__traceback__))
