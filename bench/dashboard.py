"""`make dashboard` under load: first paint with 50 functions and 1,000 queued messages, its own CPU while
a page is open and idle, and the requests per second it sends LocalStack meanwhile.

The dashboard runs as its own process (`python -m dashboard`), so its CPU is its own; the page is
Debian's headless Chromium driven by Playwright. Needs /usr/bin/chromium (apt-get install chromium)."""

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psutil

from bench.measure import Row, free_port, latency_row
from bench.runtime import create_probe
from client.waiting import eventually
from infra import settings
from infra.aws import client

FUNCTIONS = 50
QUEUED = 1000
LOADS = settings.BENCH_DASHBOARD_LOADS
IDLE_SECONDS = settings.BENCH_IDLE_SECONDS
CHROMIUM = Path("/usr/bin/chromium")
# Milliseconds from navigation start to the first paint with content (waits for it: load may come first).
FIRST_PAINT = """new Promise((resolve) => new PerformanceObserver((list) => {
  const entry = list.getEntries().find((e) => e.name === 'first-contentful-paint');
  if (entry) resolve(entry.startTime);
}).observe({ type: 'paint', buffered: true }))"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def _json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _environment() -> tuple[list[str], list[str], str]:
    """Functions up to FUNCTIONS in all, and a queue holding QUEUED messages."""
    lambda_client, iam, sqs = client("lambda"), client("iam"), client("sqs")
    role = iam.create_role(
        RoleName=f"bench-dashboard-{uuid.uuid4().hex[:6]}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]
    existing = sum(len(page["Functions"]) for page in lambda_client.get_paginator("list_functions").paginate())
    names = [create_probe(lambda_client, role["Arn"]) for _ in range(max(0, FUNCTIONS - existing))]
    # A dead-letter queue (of a source queue), so the page shows its first messages too, not just counts.
    name = f"bench-dashboard-{uuid.uuid4().hex[:6]}"
    queue = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})
    source = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    for start in range(0, QUEUED, 10):
        entries = [{"Id": str(i), "MessageBody": json.dumps({"n": start + i})} for i in range(10)]
        sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    return names, [source, queue], role["RoleName"]


def _clean(names: list[str], queues: list[str], role: str) -> None:
    lambda_client = client("lambda")
    for name in names:
        lambda_client.delete_function(FunctionName=name)
    for queue in queues:
        client("sqs").delete_queue(QueueUrl=queue)
    client("iam").delete_role(RoleName=role)


def rows() -> list[Row]:
    if not CHROMIUM.exists():
        print("    skipped: no /usr/bin/chromium (apt-get install chromium)", flush=True)
        return []
    from playwright.sync_api import sync_playwright

    names, queues, role = _environment()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "dashboard"], env=os.environ | {"DASHBOARD_PORT": str(port)}, stdout=subprocess.DEVNULL
    )
    try:
        # The first snapshot (started with the server) has every function before a page is timed.
        eventually(lambda: _json(f"{url}/stats.json")["functions"] >= FUNCTIONS, timeout=120, what="50 functions read")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            paints = []
            for _ in range(LOADS):
                page = browser.new_page()
                page.goto(url)
                paint = page.evaluate(FIRST_PAINT)
                paints.append(float(paint))
                page.close()
            # One page stays open, refreshing itself; the dashboard's CPU and requests over IDLE_SECONDS.
            page = browser.new_page()
            page.goto(url)
            process = psutil.Process(server.pid)
            cpu, sent, started = (
                sum(process.cpu_times()[:2]),
                _json(f"{url}/stats.json")["requests_sent"],
                time.monotonic(),
            )
            time.sleep(IDLE_SECONDS)
            elapsed = time.monotonic() - started
            share = (sum(process.cpu_times()[:2]) - cpu) / elapsed * 100
            rate = (_json(f"{url}/stats.json")["requests_sent"] - sent) / elapsed
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        _clean(names, queues, role)
    return [
        latency_row("dashboard", f"first paint, {FUNCTIONS} functions, {QUEUED:,} queued messages", paints, "<= 500"),
        Row(
            "dashboard", f"its own CPU, a page open, over {IDLE_SECONDS:.0f} s", share, share, 1, "% of a core", "<= 2"
        ),
        Row("dashboard", "requests to LocalStack, a page open", rate, rate, 1, "requests/s", "<= 5"),
    ]
