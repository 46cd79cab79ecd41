"""Poll-based path: checkout -> order visible; a burst of checkouts, and a larger load with injected
failures, each drained with nothing lost or doubled."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.measure import Row, latency_row, localstack_cpu_seconds
from client import deadlines
from client.queues import Queues
from client.shop import Shop
from client.waiting import eventually
from infra import settings
from infra.aws import client
from infra.stack import ORDER_QUEUE, ORDER_QUEUE_DLQ, ORDER_TABLE

SEQUENTIAL = settings.BENCH_CHECKOUTS or 50
BURST = settings.BENCH_BURST
FAULT_LOAD = settings.BENCH_FAULT_LOAD
ITEM = {"productId": "p-1", "productName": "Pen", "price": 2, "quantity": 1}
# Draining a load: every order, each failed attempt retried after OrderQueue's visibility timeout.
DRAIN_DEADLINE = 600
# The queue's counts that are not yet done with: waiting, being processed, delayed.
IN_QUEUE = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


def checkout(shop: Shop, user: str, **extra) -> float:
    """Fills the user's basket and checks it out; returns the checkout's own latency (to its 202), in ms."""
    shop.fill_basket(user, [ITEM])
    started = time.perf_counter()
    shop.checkout(user, **extra)
    return (time.perf_counter() - started) * 1000


def has_order(user: str) -> bool:
    # The table itself, one request a poll: GET /order/{user} costs LocalStack about seven (API
    # Gateway, the function's invoke, its DynamoDB query), which the probe would add to what it measures.
    orders = client("dynamodb").query(
        TableName=ORDER_TABLE.name,
        KeyConditionExpression="userName = :u",
        ExpressionAttributeValues={":u": {"S": user}},
        Limit=1,
    )
    return orders["Count"] > 0


def checkout_to_order_ms(shop: Shop) -> float:
    user = f"bench-{uuid.uuid4().hex[:10]}"
    shop.fill_basket(user, [ITEM])
    started = time.perf_counter()
    shop.checkout(user)
    eventually(lambda: has_order(user), timeout=deadlines.ORDER, interval=0.02, what=f"an order for {user}")
    elapsed = (time.perf_counter() - started) * 1000
    assert shop.orders(user), "the order API does not show the order the table has"
    return elapsed


def orders_with_prefix(prefix: str) -> list[dict]:
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=ORDER_TABLE.name,
            FilterExpression="begins_with(userName, :p)",
            ExpressionAttributeValues={":p": {"S": prefix}},
        )
    )
    return [item for page in pages for item in page["Items"]]


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
    shops = [Shop() for _ in range(threads)]

    def one(index: int) -> float:
        spec = fault(index)
        return checkout(shops[index % threads], users[index], **({"faultInjection": spec} if spec else {}))

    cpu_before = localstack_cpu_seconds()
    dead_before = dead_letters()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        started = time.perf_counter()
        latencies = list(pool.map(one, range(count)))
    # A message leaves the order queue once its order is written (or it went to the dead-letter queue):
    # one request per poll instead of reading the order table. EventBridge delivers an event once its
    # PutEvents was answered, as on AWS, so the last checkouts' events may reach the queue after their
    # 202: then the orders are counted (off the CPU figure) until each checkout has its order or its
    # dead letter, or the deadline.
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=ORDER_QUEUE.name)["QueueUrl"]
    deadline = time.monotonic() + DRAIN_DEADLINE

    def drained() -> bool:
        return not sum(map(int, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=IN_QUEUE)["Attributes"].values()))

    def accounted() -> bool:
        ordered = {order["userName"]["S"] for order in orders_with_prefix(prefix)}
        return drained() and len(ordered) + dead_letters() - dead_before >= count

    def wait(done, what: str, interval: float) -> bool:
        try:
            eventually(done, timeout=max(0.0, deadline - time.monotonic()), interval=interval, what=what)
            return True
        except TimeoutError:
            return False  # what did not arrive is counted below as lost

    drained_in_time = wait(drained, f"OrderQueue done with {count} checkouts", 0.1)
    cpu = localstack_cpu_seconds() - cpu_before  # before the order table is read
    if drained_in_time:
        wait(accounted, f"an order or a dead letter for each of {count} checkouts", 0.5)
    elapsed = time.perf_counter() - started
    per_user: dict[str, int] = {}
    for order in orders_with_prefix(prefix):
        per_user[order["userName"]["S"]] = per_user.get(order["userName"]["S"], 0) + 1
    return Load(elapsed, count - len(per_user), sum(n - 1 for n in per_user.values()), latencies, cpu * 1000 / count)


def dead_letters() -> int:
    return Queues().depth(ORDER_QUEUE_DLQ.name)


def faults(index: int) -> dict | None:
    """2% fail their first two attempts, another 10% their first: all recover within maxReceiveCount 3."""
    if index % 50 == 0:
        return {"failFirst": 2}
    if index % 10 == 5:
        return {"failFirst": 1}
    return None


def rows() -> list[Row]:
    shop = Shop()
    latencies = [checkout_to_order_ms(shop) for _ in range(SEQUENTIAL)]
    burst = drive(BURST)
    dead_before = dead_letters()
    faulty = drive(FAULT_LOAD, faults)
    new_dead = dead_letters() - dead_before
    rate = BURST / burst.seconds
    return [
        latency_row(
            "poll-based", "checkout -> order visible (order in the table)", latencies, "p50 <= 150, p99 <= 500"
        ),
        Row(
            "poll-based",
            f"burst of {BURST} from 8 client threads: sustained orders/s",
            rate,
            rate,
            BURST,
            "orders/s",
            ">= 20 (stretch 25)",
        ),
        Row(
            "poll-based",
            f"burst of {BURST}: lost / duplicated orders",
            burst.lost,
            burst.duplicated,
            BURST,
            "orders",
            "0 / 0",
        ),
        Row(
            "poll-based",
            f"burst of {BURST}: checkout to last order",
            burst.seconds * 1000,
            burst.seconds * 1000,
            BURST,
            "ms",
            "reported",
        ),
        Row(
            "poll-based",
            f"burst of {BURST}: LocalStack CPU per checkout -> order",
            burst.cpu_ms_per_checkout,
            burst.cpu_ms_per_checkout,
            BURST,
            "ms",
            "reported (was 127-142)",
        ),
        latency_row("poll-based", f"burst of {BURST}: checkout -> 202 under load", burst.checkout_ms, "reported"),
        Row(
            "poll-based",
            f"{FAULT_LOAD} checkouts, 12% failing 1-2 attempts: lost / duplicated",
            faulty.lost,
            faulty.duplicated,
            FAULT_LOAD,
            "orders",
            "0 / 0",
        ),
        Row(
            "poll-based",
            f"{FAULT_LOAD} checkouts with faults: new dead letters",
            new_dead,
            new_dead,
            FAULT_LOAD,
            "messages",
            "0",
        ),
        Row(
            "poll-based",
            f"{FAULT_LOAD} checkouts with faults: checkout to last order ({FAULT_LOAD / faulty.seconds:.1f} orders/s)",
            faulty.seconds * 1000,
            faulty.seconds * 1000,
            FAULT_LOAD,
            "ms",
            "reported",
        ),
    ]
