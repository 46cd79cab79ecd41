"""`make demo` is a newcomer's first five minutes, so it must keep working; `make trace` follows one
checkout through every hop from the functions' logs. Both tools return data, which these tests read."""

import dataclasses
import fcntl
import json
import os

import pytest

from client import deadlines
from client.waiting import eventually
from infra.stack import NOTIFICATION_FUNCTION, ORDER_QUEUE
from tools import demo, trace

# The demo runs in the setup of the first test that reads it, so the tests' time limit is the demo's.
pytestmark = pytest.mark.timeout(demo.DEADLINE + 60)


@pytest.fixture(scope="session")
def report(tmp_path_factory) -> dict:
    """One run of the demo for every test that reads it, even when they run in different test
    workers: the first to ask runs it under a lock; the others wait for the lock and read its report.
    (pytest-xdist's xdist_group would keep them on one worker, but with pytest 9 it does not.)"""
    shared = tmp_path_factory.getbasetemp()  # this run's own; under xdist, each worker has one below it
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    output = shared / "demo.json"
    with open(shared / "demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not output.exists():
            try:
                outcome = {"report": dataclasses.asdict(demo.run())}
            except demo.DemoFailed as e:
                outcome = {"failed": str(e)}
            output.write_text(json.dumps(outcome))
    outcome = json.loads(output.read_text())
    assert "failed" not in outcome, f"the demo failed: {outcome.get('failed')}"
    return outcome["report"]


def hops_of(checkout_id: str, until) -> list[str]:
    """The trace's hops, once the last function's lines have reached CloudWatch Logs."""
    found = eventually(
        lambda: (lambda hops: hops if until(hops) else None)([hop.what for hop in trace.hops(checkout_id)]),
        timeout=deadlines.logs(NOTIFICATION_FUNCTION.timeout),
        what=f"the trace of {checkout_id}",
    )
    return found


def test_demo_walks_through_every_path_and_succeeds(report):
    assert len(report["steps"]) == 6
    assert report["order"]["checkoutId"] == report["checkout_id"]
    assert report["checkout_id"] in report["email_subject"]
    assert report["failure"]["condition"] == "RetriesExhausted"
    assert report["moved"] == 1
    assert report["redriven_order"]["checkoutId"] == report["failed_checkout_id"]


def test_trace_shows_each_hop_of_a_checkout_in_order(report):
    expected = {
        "event on the bus",
        "API call answered (202)",
        "confirmation email sent",
        "message in the queue",
        "order row written",
        "audit row written",
    }

    hops = hops_of(report["checkout_id"], lambda hops: expected <= set(hops))

    # The basket logs "published" once PutEvents has returned, and EventBridge hands the event to its
    # targets before that: the consumers' hops may come before the basket's own last two, so only the
    # order within each function (and the queue before its consumer) is fixed.
    def before(first: str, then: str) -> bool:
        return hops.index(first) < hops.index(then)

    assert before("event on the bus", "API call answered (202)")
    assert before("message in the queue", "order row written")


def test_trace_of_the_failed_checkout_shows_its_retries(report):
    hops = hops_of(report["failed_checkout_id"], lambda hops: "order row written" in hops)

    # Its fault fails every receive before the dead-letter queue; the redriven attempt may fail once
    # more on a loaded machine (a record's time limit, shared/batches.py) and is then retried.
    assert hops.count("ordering attempt failed") >= ORDER_QUEUE.max_receive_count
    assert len(hops) - 1 - hops[::-1].index("ordering attempt failed") < hops.index("order row written")
    assert hops.count("notification attempt failed") == 1 + NOTIFICATION_FUNCTION.async_invoke.max_retries
    assert "order row written" in hops


def test_trace_of_an_unknown_checkout_says_so(capsys):
    assert trace.hops("no-such-checkout") == []
    assert trace.main(["no-such-checkout"]) == 1
    assert "no log entries" in capsys.readouterr().err
