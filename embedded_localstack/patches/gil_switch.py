"""LocalStack's threads hand the interpreter lock over after 1 ms instead of CPython's 5 ms.

A thread that wakes from waiting (a request whose function has answered, an SQS long poll that got
its message) needs the GIL back, and while another thread runs Python it waits for it up to the switch
interval, at each wake-up. In LocalStack that other thread is the fan-out of the last request: the
rules, targets and invocations one checkout's event starts run while its own answer travels back
through API Gateway and Lambda. Four interleaved comparisons in one instance (the interval switched
between batches of checkouts): checkout -> 202 p50 46.5 -> 44.6 ms (0.5 ms), 41.1 -> 39.1 and
45.7 -> 42.2 ms (1 ms), p99 83 -> 72 ms; the burst of 200 from 8 threads, three pairs, 15.6, 18.6,
22.9 -> 18.6, 22.1, 21.2 orders/s (no cost in throughput), none lost or doubled.

A process-wide setting of the interpreter, not a change to LocalStack's code: Docker mode keeps 5 ms.
"""

import sys

SWITCH_INTERVAL_SECONDS = 0.001


def hand_over_sooner() -> None:
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
