"""The shop's synchronous path: warm GET /product/{id}, and provisioning from empty."""

import subprocess
import sys
import time

import requests

from bench.measure import Row, latency_row, private_instance, timed_ms
from infra import settings
from infra.paths import PROJECT_DIR
from infra.stack import PRODUCT_API, api_url

SAMPLES = settings.BENCH_SAMPLES


def provisioning_ms() -> float:
    with private_instance() as (env, _):
        env = env | {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{env['LOCALSTACK_PORT']}"}
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "infra.deploy"], env=env, cwd=PROJECT_DIR, check=True, capture_output=True
        )
        return (time.perf_counter() - started) * 1000


def up_with_hooks_ms() -> float:
    """`make up` into a fresh state directory with the project's init hooks (which provision
    everything), the virtual environment present."""
    with private_instance(init_dir=PROJECT_DIR / "init") as (_, seconds):
        return seconds * 1000


def rows() -> list[Row]:
    base = api_url(settings.ENDPOINT_URL, PRODUCT_API)
    http = requests.Session()
    created = http.post(f"{base}/product", json={"name": "Bench", "category": "bench", "price": 1.5})
    created.raise_for_status()
    url = f"{base}/product/{created.json()['id']}"
    for _ in range(20):
        http.get(url).raise_for_status()
    samples = [timed_ms(lambda: http.get(url).raise_for_status()) for _ in range(SAMPLES)]
    http.delete(url)
    provisioning = provisioning_ms()
    ready = [up_with_hooks_ms() for _ in range(2)]
    return [
        latency_row("sync", "warm GET /product/{id} via API Gateway", samples, "p50 <= 15, p99 <= 30"),
        Row("ready", "provision everything into an empty LocalStack", provisioning, provisioning, 1, "ms", "reported"),
        Row(
            "ready",
            "`make up` -> ready, fresh state directory, init hooks provision everything, venv present",
            min(ready),
            max(ready),
            len(ready),
            "ms",
            "<= 4000 (p50 column: best)",
        ),
    ]
