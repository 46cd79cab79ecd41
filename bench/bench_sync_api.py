"""Synchronous path benchmarks (issue: synchronous path). Run with `make bench`.

- warm GET /product/{id} through API Gateway, p50 and p99;
- provisioning everything (tables, roles, functions, APIs) into an empty LocalStack.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_runtime import free_port, percentile, print_table, timed  # noqa: E402
from shop import settings  # noqa: E402
from shop.resources import PRODUCT_API, api_url  # noqa: E402

SAMPLES = int(os.environ.get("BENCH_SAMPLES", "300"))


def provisioning_seconds() -> float:
    """Provision a private, empty embedded instance (no hooks) from the outside, timed."""
    port = free_port()
    with tempfile.TemporaryDirectory() as state, tempfile.TemporaryDirectory() as init:
        Path(init, "ready.d").mkdir()
        env = os.environ | {"LOCALSTACK_PORT": str(port), "EMBEDDED_STATE_DIR": state, "LOCALSTACK_INIT_DIR": init}
        cli = [sys.executable, "-m", "embedded_localstack"]
        subprocess.run([*cli, "up"], env=env, check=True, capture_output=True)
        try:
            provision_env = env | {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "shop.provision"], env=provision_env, check=True, capture_output=True)
            return time.perf_counter() - started
        finally:
            subprocess.run([*cli, "down"], env=env, check=True, capture_output=True)


def main() -> None:
    base = api_url(settings.ENDPOINT_URL, PRODUCT_API)
    http = requests.Session()
    created = http.post(f"{base}/product", json={"name": "Bench", "category": "bench", "price": 1.5})
    created.raise_for_status()
    url = f"{base}/product/{created.json()['id']}"
    for _ in range(20):
        http.get(url).raise_for_status()
    samples = [timed(lambda: http.get(url).raise_for_status()) for _ in range(SAMPLES)]
    http.delete(url)

    provisioning = provisioning_seconds() * 1000
    print_table(
        [
            ("warm GET /product/{id} via API Gateway", percentile(samples, 50), percentile(samples, 99), len(samples), "p50 <= 25, p99 <= 60"),
            ("provision everything into an empty LocalStack", provisioning, provisioning, 1, "reported"),
        ]
    )


if __name__ == "__main__":
    main()
