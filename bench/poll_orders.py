"""Poll-based path: checkout -> order visible; a burst of checkouts, and a larger load with injected
failures, each drained with nothing lost or doubled."""

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from bench.measure import Row, latency_row, localstack_cpu_seconds
from shop import settings
from shop.aws import client
from shop.resources import BASKET_API, ORDER_API, ORDER_QUEUE, ORDER_QUEUE_DLQ, ORDER_TABLE, api_url
from tests.integration.conftest import checkout_request

SEQUENTIAL = int(os.environ.get("BENCH_CHECKOUTS", "50"))
BURST = int(os.environ.get("BENCH_BURST", "500"))
FAULT_LOAD = int(os.environ.get("BENCH_FAULT_LOAD", "1000"))
ITEM = {"productId": "p-1", "productName": "Pen", "price": 2, "quantity": 1}
BASKETS, ORDERS = api_url(settings.ENDPOINT_URL, BASKET_API), api_url(settings.ENDPOINT_URL, ORDER_API)
# The queue's counts that are not yet done with: waiting, being processed, delayed.
IN_QUEUE = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]


def checkout(http: requests.Session, user: str, **extra) -> float:
    """Returns the checkout's own latency (to its 202), in ms."""
    http.post(f"{BASKETS}/basket", json={"userName": user, "items": [ITEM]}).raise_for_status()
    started = time.perf_counter()
    response = http.post(f"{BASKETS}/basket/checkout", json=checkout_request(user, **extra))
    assert response.status_code == 202, response.text
    return (time.perf_counter() - started) * 1000


def has_order(user: str) -> bool:
    # The table itself, one request a poll: GET /order/{user} costs LocalStack about seven (API
    # Gateway, the function's invoke, its DynamoDB query), which the probe would add to what it measures.
    orders = client("dynamodb").query(
        TableName=ORDER_TABLE.name, KeyConditionExpression="userName = :u", ExpressionAttributeValues={":u": {"S": user}}, Limit=1
    )
    return orders["Count"] > 0


def checkout_to_order_ms(http: requests.Session) -> float:
    user = f"bench-{uuid.uuid4().hex[:10]}"
    http.post(f"{BASKETS}/basket", json={"userName": user, "items": [ITEM]}).raise_for_status()
    started = time.perf_counter()
    http.post(f"{BASKETS}/basket/checkout", json=checkout_request(user)).raise_for_status()
    while not has_order(user):
        if time.perf_counter() - started > 60:
            raise TimeoutError(f"no order for {user}")
        time.sleep(0.02)
    elapsed = (time.perf_counter() - started) * 1000
    assert http.get(f"{ORDERS}/order/{user}").json(), "the order API does not show the order the table has"
    return elapsed


def orders_with_prefix(prefix: str) -> list[dict]:
    table = client("dynamodb")
    items, kwargs = [], {"TableName": ORDER_TABLE.name, "FilterExpression": "begins_with(userName, :p)", "ExpressionAttributeValues": {":p": {"S": prefix}}}
    while True:
        page = table.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@dataclass
class Load:
    seconds: float  # from the first checkout until the order queue was done with every message
    lost: int
    duplicated: int
    checkout_ms: list[float]  # each checkout's latency to its 202, under this load
    cpu_ms_per_checkout: float  # LocalStack's CPU time, basket to order (function processes not included)


def drive(count: int, fault=lambda index: None, threads: int = 8) -> Load:
    """Checks out `count` baskets from `threads` client threads, `fault(i)` giving the i-th one's
    faultInjection, then waits until the order queue is done with them and counts the orders."""
    prefix = f"load-{uuid.uuid4().hex[:6]}-"
    users = [f"{prefix}{i}" for i in range(count)]
    sessions = [requests.Session() for _ in range(threads)]

    def one(index: int) -> float:
        spec = fault(index)
        return checkout(sessions[index % threads], users[index], **({"faultInjection": spec} if spec else {}))

    cpu_before = localstack_cpu_seconds()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        started = time.perf_counter()
        latencies = list(pool.map(one, range(count)))
    # EventBridge puts each checkout's event on the queue before the checkout answers, and a message
    # leaves the queue once its order is written (or it went to the dead-letter queue): one request
    # per poll instead of reading the order table.
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=ORDER_QUEUE.name)["QueueUrl"]
    deadline = time.perf_counter() + 600
    while sum(map(int, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=IN_QUEUE)["Attributes"].values())):
        if time.perf_counter() > deadline:
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    cpu = localstack_cpu_seconds() - cpu_before
    per_user: dict[str, int] = {}
    for order in orders_with_prefix(prefix):
        per_user[order["userName"]["S"]] = per_user.get(order["userName"]["S"], 0) + 1
    return Load(elapsed, count - len(per_user), sum(n - 1 for n in per_user.values()), latencies, cpu * 1000 / count)


def dead_letters() -> int:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=ORDER_QUEUE_DLQ.name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def faults(index: int) -> dict | None:
    """2% fail their first two attempts, another 10% their first: all recover within maxReceiveCount 3."""
    if index % 50 == 0:
        return {"failFirst": 2}
    if index % 10 == 5:
        return {"failFirst": 1}
    return None


def rows() -> list[Row]:
    http = requests.Session()
    latencies = [checkout_to_order_ms(http) for _ in range(SEQUENTIAL)]
    burst = drive(BURST)
    dead_before = dead_letters()
    faulty = drive(FAULT_LOAD, faults)
    new_dead = dead_letters() - dead_before
    rate = BURST / burst.seconds
    return [
        latency_row("poll-based", "checkout -> order visible (order in the table)", latencies, "p50 <= 150, p99 <= 500"),
        Row("poll-based", f"burst of {BURST} from 8 client threads: sustained orders/s", rate, rate, BURST, "orders/s", ">= 20 (stretch 25)"),
        Row("poll-based", f"burst of {BURST}: lost / duplicated orders", burst.lost, burst.duplicated, BURST, "orders", "0 / 0"),
        Row("poll-based", f"burst of {BURST}: checkout to last order", burst.seconds * 1000, burst.seconds * 1000, BURST, "ms", "reported"),
        Row("poll-based", f"burst of {BURST}: LocalStack CPU per checkout -> order", burst.cpu_ms_per_checkout, burst.cpu_ms_per_checkout, BURST, "ms", "reported (was 127-142)"),
        latency_row("poll-based", f"burst of {BURST}: checkout -> 202 under load", burst.checkout_ms, "reported"),
        Row("poll-based", f"{FAULT_LOAD} checkouts, 12% failing 1-2 attempts: lost / duplicated", faulty.lost, faulty.duplicated, FAULT_LOAD, "orders", "0 / 0"),
        Row("poll-based", f"{FAULT_LOAD} checkouts with faults: new dead letters", new_dead, new_dead, FAULT_LOAD, "messages", "0"),
        Row("poll-based", f"{FAULT_LOAD} checkouts with faults: checkout to last order ({FAULT_LOAD / faulty.seconds:.1f} orders/s)", faulty.seconds * 1000, faulty.seconds * 1000, FAULT_LOAD, "ms", "reported"),
    ]
