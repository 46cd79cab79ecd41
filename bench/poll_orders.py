"""Poll-based path: checkout -> order visible; a burst of checkouts drained with nothing lost or doubled."""

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from boto3.dynamodb.conditions import Attr

from bench.measure import Row, latency_row
from shop import settings
from shop.aws import client
from shop.resources import BASKET_API, ORDER_API, ORDER_TABLE, api_url
from tests.integration.conftest import checkout_request

SEQUENTIAL = int(os.environ.get("BENCH_CHECKOUTS", "50"))
BURST = int(os.environ.get("BENCH_BURST", "500"))
ITEM = {"productId": "p-1", "productName": "Pen", "price": 2, "quantity": 1}
BASKETS, ORDERS = api_url(settings.ENDPOINT_URL, BASKET_API), api_url(settings.ENDPOINT_URL, ORDER_API)


def checkout(http: requests.Session, user: str) -> None:
    http.post(f"{BASKETS}/basket", json={"userName": user, "items": [ITEM]}).raise_for_status()
    response = http.post(f"{BASKETS}/basket/checkout", json=checkout_request(user))
    assert response.status_code == 202, response.text


def checkout_to_order_ms(http: requests.Session) -> float:
    user = f"bench-{uuid.uuid4().hex[:10]}"
    http.post(f"{BASKETS}/basket", json={"userName": user, "items": [ITEM]}).raise_for_status()
    started = time.perf_counter()
    http.post(f"{BASKETS}/basket/checkout", json=checkout_request(user)).raise_for_status()
    while not http.get(f"{ORDERS}/order/{user}").json():
        if time.perf_counter() - started > 60:
            raise TimeoutError(f"no order for {user}")
        time.sleep(0.02)
    return (time.perf_counter() - started) * 1000


def orders_with_prefix(prefix: str) -> list[dict]:
    table = client("dynamodb")
    items, kwargs = [], {"TableName": ORDER_TABLE.name, "FilterExpression": "begins_with(userName, :p)", "ExpressionAttributeValues": {":p": {"S": prefix}}}
    while True:
        page = table.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def burst() -> tuple[float, int, int]:
    """(seconds from the first checkout until every order exists, lost, duplicated)."""
    prefix = f"burst-{uuid.uuid4().hex[:6]}-"
    users = [f"{prefix}{i}" for i in range(BURST)]
    sessions = [requests.Session() for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        started = time.perf_counter()
        list(pool.map(lambda pair: checkout(sessions[pair[0] % 8], pair[1]), enumerate(users)))
    deadline = time.perf_counter() + 300
    while True:
        orders = orders_with_prefix(prefix)
        if len({o["userName"]["S"] for o in orders}) == BURST or time.perf_counter() > deadline:
            break
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    per_user: dict[str, int] = {}
    for order in orders:
        per_user[order["userName"]["S"]] = per_user.get(order["userName"]["S"], 0) + 1
    lost = BURST - len(per_user)
    duplicated = sum(count - 1 for count in per_user.values())
    return elapsed, lost, duplicated


def rows() -> list[Row]:
    http = requests.Session()
    latencies = [checkout_to_order_ms(http) for _ in range(SEQUENTIAL)]
    elapsed, lost, duplicated = burst()
    return [
        latency_row("poll-based", "checkout -> order visible via GET /order/{user}", latencies, "p50 <= 1500, p99 <= 3000"),
        Row("poll-based", f"burst of {BURST} checkouts: lost orders", lost, lost, BURST, "orders", "0"),
        Row("poll-based", f"burst of {BURST} checkouts: duplicated orders", duplicated, duplicated, BURST, "orders", "0"),
        Row("poll-based", f"burst of {BURST}: checkout to last order (sustained {BURST / elapsed:.1f} orders/s)", elapsed * 1000, elapsed * 1000, BURST, "ms", "reported"),
    ]
