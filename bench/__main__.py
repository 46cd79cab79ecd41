"""`make bench`: every benchmark against the running LocalStack, one table, also written to
BENCHMARKS.md. BENCH=runtime,poll_orders runs a subset. Benchmarks are measured, not asserted."""

import importlib
import os
import platform
import sys
import time
from datetime import datetime, timezone
from importlib.metadata import version

from bench.measure import markdown
from infra.paths import PROJECT_DIR

SUITES = ("runtime", "sync_api", "async_paths", "poll_orders")


def main() -> int:
    chosen = [name for name in os.environ.get("BENCH", ",".join(SUITES)).split(",") if name]
    unknown = set(chosen) - set(SUITES)
    if unknown:
        print(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    rows = []
    for name in chosen:
        started = time.monotonic()
        print(f"==> bench {name}", flush=True)
        rows += importlib.import_module(f"bench.{name}").rows()
        print(f"    took {time.monotonic() - started:.0f} s", flush=True)
    table = markdown(rows)
    print("\n" + table)
    header = (
        "# Benchmarks\n\n"
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `make bench`, embedded mode, "
        f"LocalStack {version('localstack-core')}, {os.cpu_count()} cores, Python {platform.python_version()} on {platform.machine()}.\n"
        "p99 / max: the 99th percentile for latency samples, the value itself for single figures.\n\n"
    )
    (PROJECT_DIR / "BENCHMARKS.md").write_text(header + table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
