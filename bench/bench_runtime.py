"""Embedded runtime benchmarks (issue: Embedded LocalStack). Run with `make bench`, not as a test.

Measures, against the running LocalStack (AWS_ENDPOINT_URL / LOCALSTACK_PORT):
- ready time: `python -m embedded_localstack up` of a private instance until its init hooks completed;
- cold start: the first invoke of a new function, as the client sees it;
- warm direct invoke and warm API Gateway proxy invoke, p50 and p99.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from shop import settings  # noqa: E402
from shop.aws import client  # noqa: E402
from tests.integration.conftest import FUNCTIONS, zip_folder  # noqa: E402

WARM_SAMPLES = int(os.environ.get("BENCH_SAMPLES", "300"))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def print_table(rows: list[tuple]) -> None:
    print(f"\n| measure (ms, {os.cpu_count()} cores) | p50 | p99 / max | n | target |")
    print("|---|---:|---:|---:|---|")
    for label, p50, p99, n, target in rows:
        print(f"| {label} | {p50:.1f} | {p99:.1f} | {n} | {target} |")


def ready_times(runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        port = free_port()
        with tempfile.TemporaryDirectory() as state, tempfile.TemporaryDirectory() as init:
            Path(init, "ready.d").mkdir()
            env = os.environ | {"LOCALSTACK_PORT": str(port), "EMBEDDED_STATE_DIR": state, "LOCALSTACK_INIT_DIR": init}
            cli = [sys.executable, "-m", "embedded_localstack"]
            started = time.perf_counter()
            subprocess.run([*cli, "up"], env=env, check=True, capture_output=True)
            times.append((time.perf_counter() - started) * 1000)
            subprocess.run([*cli, "down"], env=env, check=True, capture_output=True)
    return times


def create_probe(lambda_client, role_arn: str) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Handler="app.handler",
        Role=role_arn,
        Code={"ZipFile": zip_folder(FUNCTIONS / "runtime_probe")},
    )
    lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def proxy_api(apigateway, function_arn: str) -> str:
    api_id = apigateway.create_rest_api(name=f"bench-{uuid.uuid4().hex[:6]}")["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    resource = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigateway.put_method(restApiId=api_id, resourceId=resource, httpMethod="ANY", authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="ANY",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{settings.REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


def main() -> None:
    lambda_client = client("lambda")
    iam = client("iam")
    role = iam.create_role(
        RoleName=f"bench-{uuid.uuid4().hex[:6]}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]

    rows = []
    ready = ready_times()
    rows.append(("make up -> ready (embedded, no installs)", statistics.median(ready), max(ready), len(ready), "<= 5000"))

    colds = []
    for _ in range(5):
        name = create_probe(lambda_client, role)
        colds.append(timed(lambda: lambda_client.invoke(FunctionName=name)["Payload"].read()))
    rows.append(("cold start, first invoke", statistics.median(colds), max(colds), len(colds), "<= 250"))

    for _ in range(20):  # warm up
        lambda_client.invoke(FunctionName=name)["Payload"].read()
    warm = [timed(lambda: lambda_client.invoke(FunctionName=name)["Payload"].read()) for _ in range(WARM_SAMPLES)]
    rows.append(("warm direct invoke", percentile(warm, 50), percentile(warm, 99), len(warm), "p50 <= 10"))

    function_arn = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    api_id = proxy_api(client("apigateway"), function_arn)
    url = f"{settings.ENDPOINT_URL}/_aws/execute-api/{api_id}/prod/bench"
    http = requests.Session()
    for _ in range(20):
        http.get(url).raise_for_status()
    proxied = [timed(lambda: http.get(url).raise_for_status()) for _ in range(WARM_SAMPLES)]
    rows.append(("warm API Gateway proxy invoke", percentile(proxied, 50), percentile(proxied, 99), len(proxied), "p50 <= 20"))

    print_table(rows)


if __name__ == "__main__":
    main()
