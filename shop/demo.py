"""A scripted shopping session that shows each invocation path: `make demo` (python -m shop.demo).

Every step prints what it called and what came back. It exits non-zero if any step does not end
as described, so it doubles as a test (tests/integration/test_demo.py)."""

import json
import sys
import time
import urllib.request
import uuid

import requests

from shop import settings
from shop.aws import client
from shop.dead_letters import move_matching
from shop.resources import (
    BASKET_API, EMAIL_SENDER, NOTIFICATION_FAILURES, ORDER_API, ORDER_QUEUE, ORDER_QUEUE_DLQ, PRODUCT_API, api_url,
)

ENDPOINT = settings.require_local_endpoint()
PRODUCTS, BASKETS, ORDERS = (api_url(ENDPOINT, api) for api in (PRODUCT_API, BASKET_API, ORDER_API))
http = requests.Session()


class DemoFailed(Exception):
    pass


def step(number: int, title: str) -> None:
    print(f"\n\033[1m{number}. {title}\033[0m", flush=True)


def call(method: str, url: str, body: dict | None = None, expect: int = 200, show: bool = True):
    response = http.request(method, url, json=body)
    if show:
        shown = json.dumps(body) if body is not None else ""
        print(f"   {method} {url.removeprefix(ENDPOINT)} {shown}".rstrip())
        print(f"   -> {response.status_code} {response.text[:300]}")
    if response.status_code != expect:
        raise DemoFailed(f"expected {expect} from {method} {url}, got {response.status_code}")
    return response.json() if response.text else None


def wait_for(what: str, probe, timeout: float):
    """Polls quietly; prints what it waits for and, once there, what it found."""
    print(f"   waiting up to {timeout:.0f} s for {what} ...", flush=True)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        found = probe()
        if found:
            print(f"   -> after {time.monotonic() - started:.1f} s: {json.dumps(found, default=str)[:300]}")
            return found
        time.sleep(0.25)
    raise DemoFailed(f"{what} did not happen within {timeout:.0f} s")


def emails_about(checkout_id: str) -> list[dict]:
    with urllib.request.urlopen(f"{ENDPOINT}/_aws/ses?email={EMAIL_SENDER.address}", timeout=5) as response:
        return [m for m in json.load(response)["messages"] if checkout_id in m["Subject"]]


def failure_record(checkout_id: str):
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=NOTIFICATION_FAILURES.name)["QueueUrl"]
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=2).get("Messages", []):
        record = json.loads(message["Body"])
        if record["requestPayload"]["detail"]["checkoutId"] == checkout_id:
            return record["requestContext"] | {"error": record["responsePayload"].get("errorMessage")}
    return None


def in_dead_letter_queue(checkout_id: str) -> bool:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=ORDER_QUEUE_DLQ.name)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return any(checkout_id in m["Body"] for m in messages)


def shop(user: str, items: list[dict], **checkout_extra) -> str:
    call("POST", f"{BASKETS}/basket", {"userName": user, "items": items}, expect=201)
    checkout = {
        "userName": user, "firstName": "Ann", "lastName": "Lee", "email": f"{user}@example.com",
        "address": "1 Market Street", "paymentMethod": 1, "cardInfo": "4111111111111111",
    } | checkout_extra
    return call("POST", f"{BASKETS}/basket/checkout", checkout, expect=202)["checkoutId"]


def main() -> int:
    user = f"demo-{uuid.uuid4().hex[:6]}"
    print(f"Demo against {ENDPOINT} as user {user}")
    try:
        step(1, "Create products (synchronous: API Gateway -> product function -> DynamoDB)")
        pen = call("POST", f"{PRODUCTS}/product", {"name": "Fountain pen", "category": "office", "price": 129.95}, expect=201)
        ink = call("POST", f"{PRODUCTS}/product", {"name": "Ink", "category": "office", "price": 7.5}, expect=201)

        step(2, "Fill a basket and check out (the checkout answers 202: the order is made asynchronously)")
        items = [
            {"productId": pen["id"], "productName": pen["name"], "price": pen["price"], "quantity": 1},
            {"productId": ink["id"], "productName": ink["name"], "price": ink["price"], "quantity": 2},
        ]
        checkout_id = shop(user, items)

        step(3, "Watch the order appear (poll-based: EventBridge -> OrderQueue -> ordering function)")
        print(f"   polling GET {ORDERS.removeprefix(ENDPOINT)}/order/{user}")
        wait_for("the order", lambda: call("GET", f"{ORDERS}/order/{user}", show=False), timeout=20)

        step(4, "See the confirmation email (asynchronous: EventBridge invokes the notification function)")
        wait_for("the email", lambda: emails_about(checkout_id), timeout=20)

        step(5, "Force a failure: every function handling the next checkout fails its first 3 attempts")
        failing = shop(user, items, faultInjection={"failFirst": 3})
        print("   notification: 1 attempt + 2 retries, 1 s and 2 s apart, then the on-failure destination")
        wait_for(f"a record on {NOTIFICATION_FAILURES.name}", lambda: failure_record(failing), timeout=30)
        deadline = ORDER_QUEUE.visibility_timeout * (ORDER_QUEUE.max_receive_count + 1) + 15
        print(f"   ordering: 3 receives, {ORDER_QUEUE.visibility_timeout} s apart (the visibility timeout), then {ORDER_QUEUE_DLQ.name}")
        wait_for(f"the checkout on {ORDER_QUEUE_DLQ.name}", lambda: in_dead_letter_queue(failing), timeout=deadline)

        step(6, f"Redrive this checkout from {ORDER_QUEUE_DLQ.name} to {ORDER_QUEUE.name}: the 4th attempt succeeds")
        print("   (make redrive moves every dead letter back; the demo moves only its own, so that other")
        print("   poison in the queue cannot spoil its batch)")
        moved = move_matching(client("sqs"), ORDER_QUEUE_DLQ, ORDER_QUEUE, lambda body: failing in body)
        print(f"   moved {moved} message(s)")
        wait_for(
            "the second order",
            lambda: [o for o in call("GET", f"{ORDERS}/order/{user}", show=False) if o["checkoutId"] == failing],
            timeout=ORDER_QUEUE.visibility_timeout * 2 + 15,
        )
    except (DemoFailed, requests.RequestException) as e:
        print(f"\nDEMO FAILED: {e}", file=sys.stderr)
        return 1
    print(f"\nDone. Follow a checkout through every hop: make trace ID={checkout_id}")
    print(f"and the one that failed, was retried, dead-lettered and redriven: make trace ID={failing}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
