"""Asynchronous paths: checkout 202 latency, retries to the on-failure destination, S3 to product."""

import json
import os
import time
import uuid

import requests

from bench.measure import Row, latency_row, timed_ms
from shop import settings
from shop.aws import client
from shop.resources import BASKET_API, IMAGE_BUCKET, INVOICE_FAILURES, INVOICE_FUNCTION, PRODUCT_API, api_url
from tests.integration.conftest import Queues, checkout_request
from tests.integration.test_async_s3_images import png

SAMPLES = int(os.environ.get("BENCH_CHECKOUTS", "100"))
ITEM = {"productId": "p-1", "productName": "Pen", "price": 2, "quantity": 1}


def checkout_latencies(http: requests.Session) -> list[float]:
    base = api_url(settings.ENDPOINT_URL, BASKET_API)
    samples = []
    for _ in range(SAMPLES):
        user = f"bench-{uuid.uuid4().hex[:10]}"
        http.post(f"{base}/basket", json={"userName": user, "items": [ITEM]}).raise_for_status()
        samples.append(timed_ms(lambda: http.post(f"{base}/basket/checkout", json=checkout_request(user)).raise_for_status()))
    return samples


def failure_destination_seconds(queues: Queues) -> float:
    key = uuid.uuid4().hex
    payload = {"userName": "bench", "request": {"orderDate": "x", "faultInjection": {"key": key, "failFirst": 99}}}
    started = time.perf_counter()
    client("lambda").invoke(FunctionName=INVOICE_FUNCTION.name, InvocationType="Event", Payload=json.dumps(payload))
    queues.take(INVOICE_FAILURES.name, lambda r: r["requestPayload"]["request"]["faultInjection"]["key"] == key, timeout=60)
    return time.perf_counter() - started


def s3_to_product_seconds(http: requests.Session) -> float:
    base = api_url(settings.ENDPOINT_URL, PRODUCT_API)
    product = http.post(f"{base}/product", json={"name": "Bench", "category": "bench", "price": 1}).json()
    started = time.perf_counter()
    client("s3").put_object(Bucket=IMAGE_BUCKET.name, Key=f"products/{product['id']}/a.png", Body=png(2, 2), ContentType="image/png")
    while "image" not in http.get(f"{base}/product/{product['id']}").json():
        if time.perf_counter() - started > 60:
            raise TimeoutError("the product never got its image fields")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    http.delete(f"{base}/product/{product['id']}")
    return elapsed


def rows() -> list[Row]:
    http = requests.Session()
    queues = Queues()
    failures = [failure_destination_seconds(queues) * 1000 for _ in range(3)]
    s3 = [s3_to_product_seconds(http) * 1000 for _ in range(5)]
    return [
        latency_row("async", "checkout -> 202 (publishes to EventBridge)", checkout_latencies(http), "p50 <= 30"),
        latency_row("async", "always-failing async invoke -> on-failure record (retry base 1 s)", failures, "<= 5000 (1 + 2 s delays + 2 s)"),
        latency_row("S3", "upload -> product has image fields (async + SQS mapping)", s3, "reported"),
    ]
