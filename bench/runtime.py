"""The embedded runtime: ready time, cold start, warm direct and API Gateway proxy invokes."""

import json
import uuid

import requests

from bench.measure import Row, latency_row, private_instance, timed_ms
from client.proxy_api import create_proxy_api, stage_url
from infra import settings
from infra.archives import zip_folder
from infra.aws import client
from infra.paths import PROJECT_DIR

# The functions the runtime tests probe the embedded runtime with (read as files, not imported).
PROBES = PROJECT_DIR / "tests" / "integration" / "functions"

SAMPLES = settings.BENCH_SAMPLES


def create_probe(lambda_client, role_arn: str, runtime: str = "python3.12", probe: str = "runtime_probe") -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    lambda_client.create_function(
        FunctionName=name,
        Runtime=runtime,
        Handler="app.handler",
        Role=role_arn,
        Code={"ZipFile": zip_folder(PROBES / probe)},
    )
    lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def rows() -> list[Row]:
    ready = []
    for _ in range(3):
        with private_instance() as (_, seconds):
            ready.append(seconds * 1000)

    lambda_client = client("lambda")
    role = client("iam").create_role(
        RoleName=f"bench-{uuid.uuid4().hex[:6]}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    colds = []
    names = [create_probe(lambda_client, role) for _ in range(5)]
    for name in names:
        colds.append(timed_ms(lambda name=name: lambda_client.invoke(FunctionName=name)["Payload"].read()))
    name = names[-1]
    for _ in range(20):
        lambda_client.invoke(FunctionName=name)["Payload"].read()
    warm = [timed_ms(lambda: lambda_client.invoke(FunctionName=name)["Payload"].read()) for _ in range(SAMPLES)]

    arn = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    url = stage_url(create_proxy_api(arn, "prod", prefix="bench"), "prod") + "/bench"
    http = requests.Session()
    for _ in range(20):
        http.get(url).raise_for_status()
    proxied = [timed_ms(lambda: http.get(url).raise_for_status()) for _ in range(SAMPLES)]
    node_colds, node_warm = node_rows(lambda_client, role)
    for created in names:
        lambda_client.delete_function(FunctionName=created)

    return [
        latency_row("ready", "`make up` -> ready, embedded, no installs, no hooks", ready, "<= 5000"),
        latency_row("cold start", "first invoke of a new function (client side)", colds, "<= 250"),
        latency_row("sync", "warm direct invoke (boto3)", warm, "p50 <= 8"),
        latency_row("sync", "warm API Gateway proxy invoke", proxied, "p50 <= 20"),
        latency_row("cold start", "first invoke of a new Node.js 20 function (client side)", node_colds, "<= 250"),
        latency_row("sync", "warm direct invoke of a Node.js 20 function (boto3)", node_warm, "p50 <= 8"),
    ]


def node_rows(lambda_client, role: str) -> tuple[list[float], list[float]]:
    """Cold starts and warm invokes of the Node.js probe, measured as the Python ones are."""
    names = [create_probe(lambda_client, role, "nodejs20.x", "runtime_probe_node") for _ in range(5)]
    colds = [timed_ms(lambda name=name: lambda_client.invoke(FunctionName=name)["Payload"].read()) for name in names]
    for _ in range(20):
        lambda_client.invoke(FunctionName=names[-1])["Payload"].read()
    warm = [timed_ms(lambda: lambda_client.invoke(FunctionName=names[-1])["Payload"].read()) for _ in range(SAMPLES)]
    for name in names:
        lambda_client.delete_function(FunctionName=name)
    return colds, warm
