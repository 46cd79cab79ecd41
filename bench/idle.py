"""LocalStack's own CPU while nobody uses it (provisioned, functions warm, mappings polling)."""

import os
import time

from bench.measure import Row, localstack_cpu_seconds

SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "30"))


def rows() -> list[Row]:
    time.sleep(2)  # let whatever ran just before settle
    cpu, started = localstack_cpu_seconds(), time.monotonic()
    time.sleep(SECONDS)
    share = (localstack_cpu_seconds() - cpu) / (time.monotonic() - started) * 100
    return [Row("idle", f"LocalStack CPU while idle, over {SECONDS:.0f} s", share, share, 1, "% of a core", "<= 2")]
