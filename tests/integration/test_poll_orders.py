"""Poll-based path: OrderQueue -> event source mapping (batches of 10, partial batch failures) ->
ordering function -> order table; redrive to OrderQueue-dlq after 3 receives; idempotent per checkoutId."""

import json
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from shop.aws import client
from shop.resources import CHECKOUT_DETAIL_TYPE, CHECKOUT_SOURCE, FAULT_TABLE, ORDER_QUEUE, ORDER_QUEUE_DLQ, PROJECT_DIR
from tests.integration.conftest import checkout_request
from tests.waiting import eventually

POISON_DEADLINE = ORDER_QUEUE.visibility_timeout * (ORDER_QUEUE.max_receive_count + 1) + 15


def orders_of(http, order_api, user_name: str) -> list[dict]:
    response = http.get(f"{order_api}/order/{user_name}")
    assert response.status_code == 200, response.text
    return response.json()


def exactly_one_order(http, order_api, user_name: str, timeout: float = 20) -> dict:
    orders = eventually(lambda: orders_of(http, order_api, user_name), timeout=timeout, what=f"an order of {user_name}")
    assert len(orders) == 1, orders
    return orders[0]


def checkout_envelope(user_name: str) -> dict:
    """A CheckoutBasket event as EventBridge puts it on OrderQueue."""
    request = checkout_request(user_name)
    detail = {key: value for key, value in request.items() if key != "cardInfo"} | {
        "checkoutId": str(uuid.uuid4()),
        "cardLast4": request["cardInfo"][-4:],
        "items": [{"productId": "p-1", "productName": "Pen", "price": 1.25, "quantity": 2}],
        "totalPrice": 2.5,
        "checkedOutAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": CHECKOUT_DETAIL_TYPE, "source": CHECKOUT_SOURCE, "detail": detail}


def queue_is_drained(sqs, url: str) -> bool:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(attributes[name] == "0" for name in names)


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
        timeout=60,
        what="an order for each of the 50 checkouts",
    )
    assert sum(counts.values()) == 50 and set(counts.values()) == {1}


def test_the_same_event_delivered_twice_makes_one_order(http, order_api, queues, user_name):
    sqs, url = client("sqs"), queues.url(ORDER_QUEUE.name)
    envelope = json.dumps(checkout_envelope(user_name))

    sqs.send_message(QueueUrl=url, MessageBody=envelope)
    sqs.send_message(QueueUrl=url, MessageBody=envelope)

    exactly_one_order(http, order_api, user_name)
    # The duplicate may have been in flight alongside the first; once the queue is empty both were handled.
    eventually(lambda: queue_is_drained(sqs, url), timeout=POISON_DEADLINE, what="OrderQueue to drain")
    assert len(orders_of(http, order_api, user_name)) == 1


def test_poison_message_goes_to_the_dlq_after_three_receives_while_its_batch_mates_are_stored(http, order_api, queues):
    sqs, url = client("sqs"), queues.url(ORDER_QUEUE.name)
    users = [f"mate-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    marker = uuid.uuid4().hex
    entries = [{"Id": str(i), "MessageBody": json.dumps(checkout_envelope(u))} for i, u in enumerate(users)]
    entries.append({"Id": "poison", "MessageBody": json.dumps({"poison": marker})})

    sqs.send_message_batch(QueueUrl=url, Entries=entries)

    for user in users:
        exactly_one_order(http, order_api, user)
    queues.take(ORDER_QUEUE_DLQ.name, lambda body: body.get("poison") == marker, timeout=POISON_DEADLINE)


def test_a_message_that_fails_once_then_succeeds_is_stored_once(http, basket_api, order_api, filled_basket, user_name):
    request = checkout_request(user_name, faultInjection={"failFirst": 1})

    checkout_id = http.post(f"{basket_api}/basket/checkout", json=request).json()["checkoutId"]

    order = exactly_one_order(http, order_api, user_name, timeout=ORDER_QUEUE.visibility_timeout + 20)
    assert order["checkoutId"] == checkout_id
    attempts = client("dynamodb").get_item(TableName=FAULT_TABLE.name, Key={"key": {"S": f"{checkout_id}#ordering"}})
    assert attempts["Item"]["attempts"]["N"] == "2", "the first attempt failed, the second stored the order"


def test_redrive_moves_dead_letters_back_and_they_are_processed(http, order_api, queues, user_name):
    sqs = client("sqs")
    sqs.send_message(QueueUrl=queues.url(ORDER_QUEUE_DLQ.name), MessageBody=json.dumps(checkout_envelope(user_name)))

    listing = subprocess.run([sys.executable, "-m", "shop.dead_letters", "list"], cwd=PROJECT_DIR, capture_output=True, text=True)
    moved = subprocess.run([sys.executable, "-m", "shop.dead_letters", "redrive", ORDER_QUEUE_DLQ.name], cwd=PROJECT_DIR, capture_output=True, text=True)

    assert listing.returncode == 0
    assert int(listing.stdout.split(f"{ORDER_QUEUE_DLQ.name}: ")[1].split()[0]) >= 1
    assert moved.returncode == 0, moved.stderr
    assert f"{ORDER_QUEUE_DLQ.name}: moved" in moved.stdout
    # Redrive moves whatever else sat there too; a slow poison message among it times out the batch
    # it shares with ours once, and the batch comes back after the visibility timeout.
    exactly_one_order(http, order_api, user_name, timeout=ORDER_QUEUE.visibility_timeout * 2 + 20)
