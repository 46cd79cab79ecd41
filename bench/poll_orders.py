"""Poll-based path: checkout -> order visible; a burst of checkouts, and a larger load with injected
failures, each drained with nothing lost or doubled."""

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from bench.measure import Row, latency_row
from client import deadlines
from client.queues import Queues
from client.shop import Shop
from client.waiting import eventually
from infra.aws import client
from infra.stack import ORDER_QUEUE_DLQ, ORDER_TABLE

SEQUENTIAL = int(os.environ.get("BENCH_CHECKOUTS", "50"))
BURST = int(os.environ.get("BENCH_BURST", "500"))
FAULT_LOAD = int(os.environ.get("BENCH_FAULT_LOAD", "1000"))
ITEM = {"productId": "p-1", "productName": "Pen", "price": 2, "quantity": 1}
# Draining a load: every order, each failed attempt retried after OrderQueue's visibility timeout.
DRAIN_DEADLINE = 600


def checkout_to_order_ms(shop: Shop) -> float:
    user = f"bench-{uuid.uuid4().hex[:10]}"
    shop.fill_basket(user, [ITEM])
    started = time.perf_counter()
    shop.checkout(user)
    eventually(lambda: shop.orders(user), timeout=deadlines.ORDER, interval=0.02, what=f"an order for {user}")
    return (time.perf_counter() - started) * 1000


def orders_with_prefix(prefix: str) -> list[dict]:
    pages = client("dynamodb").get_paginator("scan").paginate(
        TableName=ORDER_TABLE.name, FilterExpression="begins_with(userName, :p)", ExpressionAttributeValues={":p": {"S": prefix}}
    )
    return [item for page in pages for item in page["Items"]]


def drive(count: int, fault=lambda index: None) -> tuple[float, int, int]:
    """Checks out `count` baskets from 8 threads, `fault(i)` giving the i-th one's faultInjection.
    Returns (seconds from the first checkout until every order exists, lost, duplicated)."""
    prefix = f"load-{uuid.uuid4().hex[:6]}-"
    users = [f"{prefix}{i}" for i in range(count)]
    shops = [Shop() for _ in range(8)]

    def one(index: int) -> None:
        spec = fault(index)
        shops[index % 8].shop(users[index], [ITEM], **({"faultInjection": spec} if spec else {}))

    with ThreadPoolExecutor(max_workers=8) as pool:
        started = time.perf_counter()
        list(pool.map(one, range(count)))
    orders = []

    def all_stored() -> bool:
        orders[:] = orders_with_prefix(prefix)
        return len({o["userName"]["S"] for o in orders}) == count

    try:
        eventually(all_stored, timeout=DRAIN_DEADLINE, interval=0.25, what=f"{count} orders")
    except TimeoutError:
        pass  # counted below as lost
    elapsed = time.perf_counter() - started
    per_user: dict[str, int] = {}
    for order in orders:
        per_user[order["userName"]["S"]] = per_user.get(order["userName"]["S"], 0) + 1
    return elapsed, count - len(per_user), sum(n - 1 for n in per_user.values())


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
    elapsed, lost, duplicated = drive(BURST)
    dead_before = dead_letters()
    fault_elapsed, fault_lost, fault_duplicated = drive(FAULT_LOAD, faults)
    new_dead = dead_letters() - dead_before
    return [
        latency_row("poll-based", "checkout -> order visible via GET /order/{user}", latencies, "p50 <= 1500, p99 <= 3000"),
        Row("poll-based", f"burst of {BURST} checkouts: lost / duplicated orders", lost, duplicated, BURST, "orders", "0 / 0"),
        Row("poll-based", f"burst of {BURST}: checkout to last order (sustained {BURST / elapsed:.1f} orders/s)", elapsed * 1000, elapsed * 1000, BURST, "ms", "reported"),
        Row("poll-based", f"{FAULT_LOAD} checkouts, 12% failing 1-2 attempts: lost / duplicated", fault_lost, fault_duplicated, FAULT_LOAD, "orders", "0 / 0"),
        Row("poll-based", f"{FAULT_LOAD} checkouts with faults: new dead letters", new_dead, new_dead, FAULT_LOAD, "messages", "0"),
        Row("poll-based", f"{FAULT_LOAD} checkouts with faults: checkout to last order ({FAULT_LOAD / fault_elapsed:.1f} orders/s)", fault_elapsed * 1000, fault_elapsed * 1000, FAULT_LOAD, "ms", "reported"),
    ]
