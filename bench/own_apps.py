"""One's own app (docs/your-own-app.md): the test SAM app's deploy and destroy with its tool chain cached,
its first request after a deploy, and `SHOP=0 make up` to ready on a private instance."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from bench.measure import Row, percentile
from embedded_localstack import apps
from infra import settings
from infra.paths import PROJECT_DIR

SAM_APP = PROJECT_DIR / "tests" / "fixtures" / "apps" / "sam_app"
RUNS = settings.BENCH_APP_RUNS


def _row(measure: str, samples: list[float], unit: str, target: str) -> Row:
    return Row("own app", measure, percentile(samples, 50), max(samples), len(samples), unit, target)


def _bare_up_seconds(work: Path) -> float:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {
        "LOCALSTACK_MODE": "embedded",
        "LOCALSTACK_PORT": str(port),
        "EMBEDDED_STATE_DIR": str(work / "state"),
        "SHOP": "0",
    }
    started = time.monotonic()
    try:
        subprocess.run(["make", "up"], cwd=PROJECT_DIR, env=env, check=True, capture_output=True, timeout=300)
        return time.monotonic() - started
    finally:
        subprocess.run(["make", "down"], cwd=PROJECT_DIR, env=env, capture_output=True, timeout=120)


def rows() -> list[Row]:
    apps.sam_bin()  # installed once, outside the measurement
    deploys, destroys, first_requests = [], [], []
    with tempfile.TemporaryDirectory() as work:
        for run in range(RUNS):
            folder = Path(work) / f"bench-sam-app-{run}"
            shutil.copytree(SAM_APP, folder)
            started = time.monotonic()
            deployment = apps.deploy(folder)
            deploys.append(time.monotonic() - started)
            [api] = [url for _, url in deployment.urls if url.endswith("/Prod/")]
            started = time.monotonic()
            answer = requests.get(f"{api}items/none", timeout=30)
            first_requests.append((time.monotonic() - started) * 1000)
            if answer.status_code != 404:  # the function's own answer for an unknown item
                raise RuntimeError(f"the SAM app answered {answer.status_code}: {answer.text}")
            started = time.monotonic()
            apps.destroy(folder)
            destroys.append(time.monotonic() - started)
        bare = _bare_up_seconds(Path(work))
    return [
        _row("deploy of the test SAM app (tool chain cached)", deploys, "s", "<= 15"),
        _row("first request after a deploy (REST API -> new function)", first_requests, "ms", "<= 1000"),
        _row("destroy of the test SAM app", destroys, "s", "<= 10"),
        Row("own app", "SHOP=0 make up -> ready (venv present)", bare, bare, 1, "s", "<= 3"),
    ]
