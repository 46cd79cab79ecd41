"""`make bench`: every benchmark against the running LocalStack, one table, written to BENCHMARKS.md
with the scaling section. BENCH=runtime,poll_orders runs a subset and only prints it (BENCHMARKS.md
keeps whole runs). Benchmarks are measured, not asserted.

Every latency is also shown as a multiple of the floor, measured in the same run: boto3's
sqs.GetQueueUrl to the same LocalStack, the cheapest request it answers, so the ratios stay
comparable between machines and between a quiet and a busy one."""

import importlib
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version

from bench import history
from bench.measure import Row, latency_row, markdown, timed_ms
from infra import settings
from infra.aws import client
from infra.paths import PROJECT_DIR
from infra.stack import ORDER_QUEUE

# idle first, while nothing else has run yet; scaling after the shop's, as it changes a mapping for a
# while; the peer comparison (fresh servers of its own, MiniStack's included) last.
SUITES = ("idle", "runtime", "sync_api", "async_paths", "poll_orders", "own_apps", "dashboard", "scaling", "peer")
FLOOR_SAMPLES = settings.BENCH_SAMPLES


def floor() -> Row:
    sqs = client("sqs")
    for _ in range(20):
        sqs.get_queue_url(QueueName=ORDER_QUEUE.name)
    samples = [timed_ms(lambda: sqs.get_queue_url(QueueName=ORDER_QUEUE.name)) for _ in range(FLOOR_SAMPLES)]
    return latency_row("floor", "boto3 sqs.GetQueueUrl to the same LocalStack", samples, "the unit of the ratios")


def main() -> int:
    chosen = list(settings.BENCH or SUITES)
    unknown = set(chosen) - set(SUITES)
    if unknown:
        print(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    rows, sections = [floor()], []
    for name in chosen:
        started = time.monotonic()
        print(f"==> bench {name}", flush=True)
        suite = importlib.import_module(f"bench.{name}")
        rows += suite.rows() if hasattr(suite, "rows") else []
        sections += suite.sections() if hasattr(suite, "sections") else []
        print(f"    took {time.monotonic() - started:.0f} s", flush=True)
    table = markdown(rows, floor_ms=rows[0].p50)
    print("\n" + table + "".join("\n\n" + section for section in sections))
    history.append(rows, chosen)  # every run, a subset too: the dashboard charts them
    if set(chosen) != set(SUITES):
        print("(a subset: BENCHMARKS.md left as it was)")
        return 0
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_DIR)
    header = (
        "# Benchmarks\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {commit.stdout.strip() or 'unknown'} by `make bench`, embedded mode, "
        f"LocalStack {version('localstack-core')}, {os.cpu_count()} cores, Python {platform.python_version()} on {platform.machine()}.\n"
        "p99 / max: the 99th percentile for latency samples, the value itself for single figures.\n\n"
    )
    (PROJECT_DIR / "BENCHMARKS.md").write_text(header + table + "\n" + "".join("\n" + section for section in sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
