"""`make demo` is a newcomer's first five minutes, so it must keep working; `make trace` follows one
checkout through every hop from the functions' logs."""

import fcntl
import json
import os
import re
import subprocess
import sys

import pytest

from shop.resources import ORDER_QUEUE, PROJECT_DIR

# The demo's own waits (shop/demo.py): a checkout dead-lettered from OrderQueue (maxReceiveCount + 1
# visibility timeouts), its redrive (2 more), and up to 2 minutes for everything else.
DEMO_DEADLINE = ORDER_QUEUE.visibility_timeout * (ORDER_QUEUE.max_receive_count + 3) + 120

# The demo runs in the setup of the first test that reads it, so the tests' time limit is the demo's.
pytestmark = pytest.mark.timeout(DEMO_DEADLINE + 60)


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> subprocess.CompletedProcess:
    """One run of the demo for every test that reads it, even when they run in different test
    workers: the first to ask runs it under a lock; the others wait for the lock and read its output.
    (pytest-xdist's xdist_group would keep them on one worker, but with pytest 9 it does not.)"""
    shared = tmp_path_factory.getbasetemp()  # this run's own; under xdist, each worker has one below it
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    output = shared / "demo.json"
    with open(shared / "demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not output.exists():
            run = subprocess.run([sys.executable, "-m", "shop.demo"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=DEMO_DEADLINE)
            output.write_text(json.dumps({"returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr}))
    return subprocess.CompletedProcess(["shop.demo"], **json.loads(output.read_text()))


def trace(checkout_id: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shop.trace", checkout_id], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)


def test_demo_walks_through_every_path_and_succeeds(demo):
    assert demo.returncode == 0, demo.stdout + demo.stderr
    for step in ("1. Create products", "3. Watch the order appear", "4. See the confirmation email", "6. Redrive"):
        assert step in demo.stdout
    assert "RetriesExhausted" in demo.stdout


def test_trace_shows_each_hop_of_a_checkout_in_order(demo):
    checkout_id = re.search(r"make trace ID=(\S+)\n", demo.stdout).group(1)

    result = trace(checkout_id)

    assert result.returncode == 0, result.stderr
    hops = [line.split(None, 4)[4] for line in result.stdout.splitlines()[2:]]
    order = ["event on the bus", "API call answered (202)", "confirmation email sent"]
    assert [h for h in hops if h in order] == order
    assert any(h.startswith("order row written") for h in hops)
    assert any(h.startswith("message in the queue") for h in hops)


def test_trace_of_the_failed_checkout_shows_its_retries(demo):
    checkout_id = re.search(r"redriven: make trace ID=(\S+)", demo.stdout).group(1)

    lines = trace(checkout_id).stdout

    assert lines.count("ordering attempt failed") == 3
    assert lines.count("notification attempt failed") == 3
    assert "order row written" in lines


def test_trace_of_an_unknown_checkout_says_so():
    result = trace("no-such-checkout")

    assert result.returncode == 1
    assert "no log entries" in result.stderr
