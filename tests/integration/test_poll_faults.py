"""Faults in the poll-based path, with real invocations: whatever happens to the ordering function,
every message ends stored exactly once or sitting in OrderQueue-dlq. Nothing vanishes."""

import json
import uuid

from shop.aws import client
from shop.resources import ORDER_QUEUE, ORDER_QUEUE_DLQ
from tests.integration.conftest import checkout_request
from tests.integration.test_poll_orders import POISON_DEADLINE, checkout_envelope, orders_of
from tests.waiting import eventually


def send_batch(queues, envelopes: list[dict]) -> None:
    entries = [{"Id": str(i), "MessageBody": json.dumps(e)} for i, e in enumerate(envelopes)]
    client("sqs").send_message_batch(QueueUrl=queues.url(ORDER_QUEUE.name), Entries=entries)


def dead_lettered(queues, checkout_ids: set[str]) -> set[str]:
    """Checkout ids found in OrderQueue-dlq (read through, left in place)."""
    sqs, url, seen = client("sqs"), queues.url(ORDER_QUEUE_DLQ.name), set()
    for _ in range(5):
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1).get("Messages", []):
            detail = json.loads(message["Body"]).get("detail", {})
            if detail.get("checkoutId") in checkout_ids:
                seen.add(detail["checkoutId"])
    return seen


def outcome(http, order_api, queues, envelopes: list[dict]) -> dict[str, str]:
    """Per checkout: 'stored' (exactly one order), 'dead-lettered', or missing from the dict."""
    result = {}
    for envelope in envelopes:
        detail = envelope["detail"]
        orders = [o for o in orders_of(http, order_api, detail["userName"]) if o["checkoutId"] == detail["checkoutId"]]
        assert len(orders) <= 1, f"checkout {detail['checkoutId']} was stored {len(orders)} times"
        if orders:
            result[detail["checkoutId"]] = "stored"
    for checkout_id in dead_lettered(queues, {e["detail"]["checkoutId"] for e in envelopes} - set(result)):
        result[checkout_id] = "dead-lettered"
    return result


def with_fault(envelope: dict, **fault) -> dict:
    envelope["detail"]["faultInjection"] = {"key": envelope["detail"]["checkoutId"]} | fault
    return envelope


def test_function_timing_out_mid_batch_loses_nothing(http, order_api, queues):
    mates = [checkout_envelope(f"mate-{uuid.uuid4().hex[:8]}") for _ in range(3)]
    slow = with_fault(checkout_envelope(f"slow-{uuid.uuid4().hex[:8]}"), delaySeconds=5, failFirst=0)

    send_batch(queues, [*mates, slow])

    everything = [*mates, slow]
    final = eventually(
        lambda: (lambda r: r if len(r) == len(everything) else None)(outcome(http, order_api, queues, everything)),
        timeout=POISON_DEADLINE + 20,
        interval=1,
        what="every message stored or dead-lettered",
    )
    assert final[slow["detail"]["checkoutId"]] == "dead-lettered", "it times out on every attempt"
    # Out of the way: redriving it with others would time out their batches again.
    for envelope in everything:
        if final[envelope["detail"]["checkoutId"]] == "dead-lettered":
            queues.take(ORDER_QUEUE_DLQ.name, lambda body, e=envelope: body.get("detail", {}).get("checkoutId") == e["detail"]["checkoutId"])


def test_function_process_dying_mid_batch_stores_every_order_once(http, order_api, queues):
    mates = [checkout_envelope(f"mate-{uuid.uuid4().hex[:8]}") for _ in range(2)]
    dying = with_fault(checkout_envelope(f"dying-{uuid.uuid4().hex[:8]}"), failFirst=1, crash=True)

    send_batch(queues, [mates[0], dying, mates[1]])

    everything = [*mates, dying]
    final = eventually(
        lambda: (lambda r: r if len(r) == len(everything) else None)(outcome(http, order_api, queues, everything)),
        timeout=ORDER_QUEUE.visibility_timeout * 2 + 20,
        interval=1,
        what="every message stored",
    )
    assert set(final.values()) == {"stored"}, "the crash hit one attempt only; the retry stores it"


def test_load_with_injected_failures_ends_with_every_order_once_and_nothing_dead_lettered(http, basket_api, order_api, queues):
    # A reduced `make bench` load: 12% of the checkouts fail their first one or two attempts, which
    # maxReceiveCount 3 absorbs.
    users = [f"load-{uuid.uuid4().hex[:8]}" for _ in range(50)]
    faults = {0: 2, 5: 1, 15: 1, 25: 1, 35: 1, 45: 1}
    checkout_ids = set()
    for index, user in enumerate(users):
        basket = {"userName": user, "items": [{"productId": "p-1", "price": 2, "quantity": 1}]}
        assert http.post(f"{basket_api}/basket", json=basket).status_code == 201
        request = checkout_request(user) | ({"faultInjection": {"failFirst": faults[index]}} if index in faults else {})
        response = http.post(f"{basket_api}/basket/checkout", json=request)
        assert response.status_code == 202
        checkout_ids.add(response.json()["checkoutId"])

    counts = eventually(
        lambda: (lambda c: c if all(c.values()) else None)({u: len(orders_of(http, order_api, u)) for u in users}),
        timeout=ORDER_QUEUE.visibility_timeout * 3 + 30,
        interval=1,
        what="an order for each checkout",
    )
    assert set(counts.values()) == {1}
    assert dead_lettered(queues, checkout_ids) == set()
