"""Shared pieces of the benchmarks: timing, percentiles, private LocalStack instances, the table."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Row:
    path: str  # sync, async, poll-based, S3, cold start, ready
    measure: str
    p50: float
    p99: float
    n: int
    unit: str
    target: str
    latency: bool = False  # a client-side latency, shown as a multiple of the floor too


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed_ms(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def latency_row(path: str, measure: str, samples_ms: list[float], target: str) -> Row:
    return Row(
        path,
        measure,
        percentile(samples_ms, 50),
        percentile(samples_ms, 99),
        len(samples_ms),
        "ms",
        target,
        latency=True,
    )


def localstack_cpu_seconds() -> float:
    """CPU time (user + system, all threads) the running embedded LocalStack has used so far. Unlike
    wall-clock time, what a piece of work costs in it hardly depends on what else the machine runs."""
    from embedded_localstack import Instance

    process = Instance.from_env().running(remove_stale=False)
    if process is None:
        raise RuntimeError("no embedded LocalStack runs for this LOCALSTACK_PORT / EMBEDDED_STATE_DIR")
    times = process.cpu_times()
    return times.user + times.system


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def private_instance(init_dir: Path | None = None):
    """An embedded LocalStack of its own in a fresh state directory, for measures that need a fresh
    one: empty (no init hooks), or with the hooks of init_dir. Yields (environment for the CLI,
    seconds `up` took)."""
    with tempfile.TemporaryDirectory() as state, tempfile.TemporaryDirectory() as empty:
        Path(empty, "ready.d").mkdir()
        init = str(init_dir or empty)
        env = os.environ | {
            "LOCALSTACK_PORT": str(free_port()),
            "EMBEDDED_STATE_DIR": state,
            "LOCALSTACK_INIT_DIR": init,
        }
        cli = [sys.executable, "-m", "embedded_localstack"]
        started = time.perf_counter()
        subprocess.run([*cli, "up"], env=env, check=True, capture_output=True)
        try:
            yield env, time.perf_counter() - started
        finally:
            subprocess.run([*cli, "down"], env=env, check=True, capture_output=True)


def markdown(rows: list[Row], floor_ms: float | None = None) -> str:
    """The table; with the floor, each latency row's p50 and p99 as multiples of it."""
    lines = [
        "| path | measure | p50 | p99 / max | n | unit | p50 / p99 in floors | target |",
        "|---|---|---:|---:|---:|---|---:|---|",
    ]
    for r in rows:
        ratio = f"{r.p50 / floor_ms:.1f}x / {r.p99 / floor_ms:.1f}x" if r.latency and floor_ms else ""
        lines.append(
            f"| {r.path} | {r.measure} | {r.p50:.1f} | {r.p99:.1f} | {r.n} | {r.unit} | {ratio} | {r.target} |"
        )
    return "\n".join(lines)
