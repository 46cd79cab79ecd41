"""`make demo` is a newcomer's first five minutes, so it must keep working; `make trace` follows one
checkout through every hop from the functions' logs."""

import re
import subprocess
import sys

import pytest

from shop.resources import ORDER_QUEUE, PROJECT_DIR

# The demo's own waits (shop/demo.py): a checkout dead-lettered from OrderQueue (maxReceiveCount + 1
# visibility timeouts), its redrive (2 more), and up to 2 minutes for everything else.
DEMO_DEADLINE = ORDER_QUEUE.visibility_timeout * (ORDER_QUEUE.max_receive_count + 3) + 120

# Both tests read one run of the demo: kept on one test worker, where the fixture lives for the
# worker's whole session (a module fixture would run again whenever other modules' tests came between).
# The demo runs in the first test's setup, so the tests' time limit is the demo's, not the suite's.
pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.timeout(DEMO_DEADLINE + 60)]


@pytest.fixture(scope="session")
def demo() -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shop.demo"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=DEMO_DEADLINE)


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
