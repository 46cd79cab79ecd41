"""Poll-based path: OrderQueue -> event source mapping (batches of ORDER_BATCH_SIZE, partial batch failures) ->
ordering function -> order table; redrive to OrderQueue-dlq after 3 receives; idempotent per checkoutId."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

from client import deadlines
from client.shop import checkout_request
from client.waiting import eventually
from infra.aws import client
from infra.stack import FAULT_TABLE
from tests.integration.order_queues import DEAD_LETTER_DEADLINE, MAX_RECEIVE_COUNT, RETRY_DEADLINE, own_order_queue  # noqa: F401 (fixture)
from tests.integration.orders import checkout_event, exactly_one_order, orders_of
from tools import dead_letters


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
        statuses = list(
            pool.map(lambda u: http.post(f"{basket_api}/basket/checkout", json=checkout_request(u)).status_code, users)
        )

    assert statuses == [202] * 50
    counts = eventually(
        lambda: (lambda c: c if all(n >= 1 for n in c.values()) else None)(
            {u: len(orders_of(http, order_api, u)) for u in users}
        ),
        timeout=deadlines.order_burst(50),
        what="an order for each of the 50 checkouts",
    )
    assert sum(counts.values()) == 50 and set(counts.values()) == {1}


def test_the_same_event_delivered_twice_makes_one_order(http, order_api, own_order_queue, user_name):
    queue = own_order_queue()
    own_order_queue.subscribe(queue)
    envelope = checkout_event(user_name)

    queue.send_batch([envelope])
    queue.send_batch([envelope])

    exactly_one_order(http, order_api, user_name)
    # The duplicate may have been in flight alongside the first; once the queue is empty both were handled.
    eventually(lambda: queue.depth(queue.name) == 0, timeout=DEAD_LETTER_DEADLINE, what=f"{queue.name} to drain")
    assert len(orders_of(http, order_api, user_name)) == 1
    assert queue.dead_letters() == []


def test_poison_message_goes_to_the_dlq_after_three_receives_while_its_batch_mates_are_stored(
    http, order_api, own_order_queue
):
    queue = own_order_queue()
    users = [f"mate-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    marker = uuid.uuid4().hex
    queue.send_batch([{"poison": marker}, *(checkout_event(u) for u in users)])

    own_order_queue.subscribe(queue)  # after sending: the first receive takes the whole batch

    for user in users:
        exactly_one_order(http, order_api, user)
    dead = eventually(queue.dead_letters, timeout=DEAD_LETTER_DEADLINE, what=f"the poison message in {queue.dlq_name}")
    assert [json.loads(m["Body"]) for m in dead] == [{"poison": marker}], "the poison message, and nothing else"
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= MAX_RECEIVE_COUNT


def test_a_message_that_fails_once_then_succeeds_is_stored_once(http, order_api, own_order_queue, user_name):
    # On a queue of the test's own: its redelivery comes after 5 s, not the shop queue's 24 s
    # (6 x the ordering function's timeout). The checkout-to-queue path is test_checkout_becomes_an_order's.
    envelope = checkout_event(user_name)
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
    client("sqs").send_message(QueueUrl=queue.dlq_url, MessageBody=json.dumps(checkout_event(user_name)))
    eventually(lambda: queue.depth(queue.dlq_name) == 1, timeout=10, what=f"the checkout in {queue.dlq_name}")

    # When `make dlq` and `make redrive` run for that queue
    [listed] = dead_letters.listing(queue.dlq_name)
    moves = dead_letters.redrive_all(queue.dlq_name)

    # Then it is listed, moved back to its source, and becomes exactly one order
    assert (listed.name, listed.source, listed.count) == (queue.dlq_name, queue.name, 1)
    assert [json.loads(letter.body)["detail"]["userName"] for letter in listed.first] == [user_name]
    assert moves == [dead_letters.Moved(queue.dlq_name, queue.name, 1)]
    exactly_one_order(http, order_api, user_name, timeout=RETRY_DEADLINE)
    assert queue.depth(queue.dlq_name) == 0
