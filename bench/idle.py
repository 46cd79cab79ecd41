"""LocalStack's own CPU while nobody uses it (provisioned, functions warm, mappings polling)."""

import time

from bench.measure import Row, localstack_cpu_seconds
from infra import settings

SECONDS = settings.BENCH_IDLE_SECONDS


def rows() -> list[Row]:
    time.sleep(2)  # let whatever ran just before settle
    cpu, started = localstack_cpu_seconds(), time.monotonic()
    time.sleep(SECONDS)
    share = (localstack_cpu_seconds() - cpu) / (time.monotonic() - started) * 100
    return [Row("idle", f"LocalStack CPU while idle, over {SECONDS:.0f} s", share, share, 1, "% of a core", "<= 2")]
