"""Asynchronous paths: checkout 202 latency, retries to the on-failure destination, S3 to product."""

import json
import time
import uuid

from bench.measure import Row, latency_row, timed_ms
from client import deadlines
from client.images import png, upload_image
from client.queues import Queues
from client.shop import Shop
from client.waiting import eventually
from infra import settings
from infra.aws import client
from infra.stack import IMAGE_METADATA_FUNCTION, IMAGE_UPDATER_FUNCTION, INVOICE_FAILURES, INVOICE_FUNCTION

SAMPLES = settings.BENCH_CHECKOUTS or 100
ITEM = {"productId": "p-1", "productName": "Pen", "price": 2, "quantity": 1}


def checkout_latencies(shop: Shop) -> list[float]:
    samples = []
    for _ in range(SAMPLES):
        user = f"bench-{uuid.uuid4().hex[:10]}"
        shop.fill_basket(user, [ITEM])
        samples.append(timed_ms(lambda user=user: shop.checkout(user)))
    return samples


def failure_destination_seconds(queues: Queues) -> float:
    key = uuid.uuid4().hex
    payload = {"userName": "bench", "request": {"orderDate": "x", "faultInjection": {"key": key, "failFirst": 99}}}
    started = time.perf_counter()
    client("lambda").invoke(FunctionName=INVOICE_FUNCTION.name, InvocationType="Event", Payload=json.dumps(payload))
    queues.take(
        INVOICE_FAILURES.name,
        lambda r: r["requestPayload"]["request"]["faultInjection"]["key"] == key,
        timeout=deadlines.async_invoke(INVOICE_FUNCTION.timeout),
    )
    return time.perf_counter() - started


def s3_to_product_seconds(shop: Shop) -> float:
    product = shop.create_product(name="Bench", category="bench", price=1)
    started = time.perf_counter()
    upload_image(product["id"], "a.png", png(2, 2))
    timeout = deadlines.async_invoke(IMAGE_METADATA_FUNCTION.timeout, attempts=1) + deadlines.queue_delivery(
        IMAGE_UPDATER_FUNCTION.timeout
    )
    eventually(
        lambda: "image" in shop.product(product["id"]),
        timeout=timeout,
        interval=0.05,
        what="the product's image fields",
    )
    elapsed = time.perf_counter() - started
    shop.delete_product(product["id"])
    return elapsed


def rows() -> list[Row]:
    shop, queues = Shop(), Queues()
    failures = [failure_destination_seconds(queues) * 1000 for _ in range(3)]
    s3 = [s3_to_product_seconds(shop) * 1000 for _ in range(5)]
    return [
        latency_row("async", "checkout -> 202 (publishes to EventBridge)", checkout_latencies(shop), "p50 <= 30"),
        latency_row(
            "async",
            "always-failing async invoke -> on-failure record (retry base 1 s)",
            failures,
            "<= 5000 (1 + 2 s delays + 2 s)",
        ),
        latency_row("S3", "upload -> product has image fields (async + SQS mapping)", s3, "reported"),
    ]
