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


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed_ms(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def latency_row(path: str, measure: str, samples_ms: list[float], target: str) -> Row:
    return Row(path, measure, percentile(samples_ms, 50), percentile(samples_ms, 99), len(samples_ms), "ms", target)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def private_instance():
    """An empty embedded LocalStack of its own (no init hooks), for measures that need a fresh one.
    Yields (environment for the CLI, seconds `up` took)."""
    with tempfile.TemporaryDirectory() as state, tempfile.TemporaryDirectory() as init:
        Path(init, "ready.d").mkdir()
        env = os.environ | {"LOCALSTACK_PORT": str(free_port()), "EMBEDDED_STATE_DIR": state, "LOCALSTACK_INIT_DIR": init}
        cli = [sys.executable, "-m", "embedded_localstack"]
        started = time.perf_counter()
        subprocess.run([*cli, "up"], env=env, check=True, capture_output=True)
        try:
            yield env, time.perf_counter() - started
        finally:
            subprocess.run([*cli, "down"], env=env, check=True, capture_output=True)


def markdown(rows: list[Row]) -> str:
    lines = ["| path | measure | p50 | p99 / max | n | unit | target |", "|---|---|---:|---:|---:|---|---|"]
    lines += [f"| {r.path} | {r.measure} | {r.p50:.1f} | {r.p99:.1f} | {r.n} | {r.unit} | {r.target} |" for r in rows]
    return "\n".join(lines)
