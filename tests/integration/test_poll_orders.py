"""Poll-based path: OrderQueue -> event source mapping (batches of 10, partial batch failures) ->
ordering function -> order table; redrive to OrderQueue-dlq after 3 receives; idempotent per checkoutId."""

import json
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal

from basket.logic import checkout_event
from shared.event_contract import check_checkout
from shop.aws import client
from shop.resources import CHECKOUT_DETAIL_TYPE, CHECKOUT_SOURCE, FAULT_TABLE, ORDER_BATCHING_WINDOW, ORDER_QUEUE, ORDERING_FUNCTION, PROJECT_DIR
from tests.integration.conftest import checkout_request
from tests import deadlines
from tests.integration.order_queues import DEAD_LETTER_DEADLINE, MAX_RECEIVE_COUNT, RETRY_DEADLINE, own_order_queue  # noqa: F401 (fixture)
from tests.waiting import eventually

def orders_of(http, order_api, user_name: str) -> list[dict]:
    response = http.get(f"{order_api}/order/{user_name}")
    assert response.status_code == 200, response.text
    return response.json()


# A checkout on the shop's OrderQueue until its order is stored, and the same for a burst of n
# (batches of 10 follow one another).
ORDER_DEADLINE = deadlines.queue_delivery(ORDERING_FUNCTION.timeout, ORDER_BATCHING_WINDOW)


def burst_deadline(n: int, receives: int = 1) -> float:
    visibility = ORDER_QUEUE.visibility_timeout
    return deadlines.queue_delivery(ORDERING_FUNCTION.timeout, ORDER_BATCHING_WINDOW, receives, visibility) + (n // 10) * ORDERING_FUNCTION.timeout


def exactly_one_order(http, order_api, user_name: str, timeout: float = ORDER_DEADLINE) -> dict:
    orders = eventually(lambda: orders_of(http, order_api, user_name), timeout=timeout, what=f"an order of {user_name}")
    assert len(orders) == 1, orders
    return orders[0]


def checkout_envelope(user_name: str) -> dict:
    """A CheckoutBasket event as EventBridge puts it on OrderQueue: the basket's own detail, checked
    against the event contract."""
    basket = {"userName": user_name, "items": [{"productId": "p-1", "productName": "Pen", "price": Decimal("1.25"), "quantity": 2}]}
    checked_out_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    detail = checkout_event(basket, checkout_request(user_name), str(uuid.uuid4()), None, checked_out_at)
    check_checkout(detail)
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": CHECKOUT_DETAIL_TYPE, "source": CHECKOUT_SOURCE, "detail": detail}


def test_checkout_becomes_an_order(http, basket_api, order_api, filled_basket, user_name):
    checkout_id = http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name)).json()["checkoutId"]

    order = exactly_one_order(http, order_api, user_name)

    assert order["checkoutId"] == checkout_id
    assert order["status"] == "PLACED"
    assert order["totalPrice"] == 8.5
    assert order["cardLast4"] == "1111" and "cardInfo" not in order
    assert order["orderDate"].endswith("Z")


def test_fifty_concurrent_checkouts_make_exactly_fifty_orders(http, basket_api, order_api):
    users = [f"burst-{uuid.uuid4().hex[:10]}" for _ in range(50)]
    item = {"productId": "p-1", "productName": "Pen", "price": 2, "quantity": 1}
    for user in users:
        assert http.post(f"{basket_api}/basket", json={"userName": user, "items": [item]}).status_code == 201

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda u: http.post(f"{basket_api}/basket/checkout", json=checkout_request(u)).status_code, users))

    assert statuses == [202] * 50
    counts = eventually(
        lambda: (lambda c: c if all(n >= 1 for n in c.values()) else None)({u: len(orders_of(http, order_api, u)) for u in users}),
        timeout=burst_deadline(50),
        what="an order for each of the 50 checkouts",
    )
    assert sum(counts.values()) == 50 and set(counts.values()) == {1}


def test_the_same_event_delivered_twice_makes_one_order(http, order_api, own_order_queue, user_name):
    queue = own_order_queue()
    own_order_queue.subscribe(queue)
    envelope = checkout_envelope(user_name)

    queue.send_batch([envelope])
    queue.send_batch([envelope])

    exactly_one_order(http, order_api, user_name)
    # The duplicate may have been in flight alongside the first; once the queue is empty both were handled.
    eventually(lambda: queue.depth(queue.url) == 0, timeout=DEAD_LETTER_DEADLINE, what=f"{queue.name} to drain")
    assert len(orders_of(http, order_api, user_name)) == 1
    assert queue.dead_letters() == []


def test_poison_message_goes_to_the_dlq_after_three_receives_while_its_batch_mates_are_stored(http, order_api, own_order_queue):
    queue = own_order_queue()
    users = [f"mate-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    marker = uuid.uuid4().hex
    queue.send_batch([{"poison": marker}, *(checkout_envelope(u) for u in users)])

    own_order_queue.subscribe(queue)  # after sending: the first receive takes the whole batch

    for user in users:
        exactly_one_order(http, order_api, user)
    dead = eventually(queue.dead_letters, timeout=DEAD_LETTER_DEADLINE, what=f"the poison message in {queue.dlq_name}")
    assert [json.loads(m["Body"]) for m in dead] == [{"poison": marker}], "the poison message, and nothing else"
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= MAX_RECEIVE_COUNT


def test_a_message_that_fails_once_then_succeeds_is_stored_once(http, order_api, own_order_queue, user_name):
    # On a queue of the test's own: its redelivery comes after 5 s, not the shop queue's 24 s
    # (6 x the ordering function's timeout). The checkout-to-queue path is test_checkout_becomes_an_order's.
    envelope = checkout_envelope(user_name)
    checkout_id = envelope["detail"]["checkoutId"]
    envelope["detail"]["faultInjection"] = {"key": checkout_id, "failFirst": 1}
    queue = own_order_queue()
    queue.send_batch([envelope])
    own_order_queue.subscribe(queue)

    order = exactly_one_order(http, order_api, user_name, timeout=RETRY_DEADLINE)

    assert order["checkoutId"] == checkout_id
    attempts = client("dynamodb").get_item(TableName=FAULT_TABLE.name, Key={"key": {"S": f"{checkout_id}#ordering"}})
    assert attempts["Item"]["attempts"]["N"] == "2", "the first attempt failed, the second stored the order"


def test_redrive_moves_dead_letters_back_and_they_are_processed(http, order_api, own_order_queue, user_name):
    # Given a checkout sitting in a dead-letter queue of this test's own, whose source feeds the ordering function
    queue = own_order_queue()
    own_order_queue.subscribe(queue)
    client("sqs").send_message(QueueUrl=queue.dlq_url, MessageBody=json.dumps(checkout_envelope(user_name)))
    eventually(lambda: queue.depth(queue.dlq_url) == 1, timeout=10, what=f"the checkout in {queue.dlq_name}")

    # When `make dlq` and `make redrive` run for that queue
    listing = subprocess.run([sys.executable, "-m", "shop.dead_letters", "list", queue.dlq_name], cwd=PROJECT_DIR, capture_output=True, text=True)
    moved = subprocess.run([sys.executable, "-m", "shop.dead_letters", "redrive", queue.dlq_name], cwd=PROJECT_DIR, capture_output=True, text=True)

    # Then it is listed, moved back to its source, and becomes exactly one order
    assert listing.returncode == 0, listing.stderr
    assert f"{queue.dlq_name}: 1 message(s) (redrive to {queue.name})" in listing.stdout
    assert moved.returncode == 0, moved.stderr
    assert f"{queue.dlq_name}: moved 1 message(s) back to {queue.name}" in moved.stdout
    exactly_one_order(http, order_api, user_name, timeout=RETRY_DEADLINE)
    assert queue.depth(queue.dlq_url) == 0
