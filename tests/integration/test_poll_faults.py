"""Faults in the poll-based path, with real invocations: whatever happens to the ordering function,
every message ends stored exactly once or sitting in its dead-letter queue. Nothing vanishes."""

import json
import uuid

from client.waiting import eventually
from infra.stack import ORDER_BATCH_SIZE, ORDERING_FUNCTION
from tests.integration.order_queues import DEAD_LETTER_DEADLINE, MAX_RECEIVE_COUNT, RETRY_DEADLINE, own_order_queue  # noqa: F401 (fixture)
from tests.integration.orders import checkout_event, exactly_one_order, orders_of


def with_fault(envelope: dict, **fault) -> dict:
    envelope["detail"]["faultInjection"] = {"key": envelope["detail"]["checkoutId"]} | fault
    return envelope


SLOW_POSITIONS = {"first": 0, "middle": 2, "last": 4}


def test_a_slow_record_first_in_the_middle_or_last_is_dead_lettered_alone_and_its_batch_mates_are_stored_once(
    http, order_api, own_order_queue
):
    # Given three batches of five, one per position of a record that runs past the function's timeout
    batches = {}
    for position, index in SLOW_POSITIONS.items():
        mates = [checkout_event(f"mate-{uuid.uuid4().hex[:8]}") for _ in range(4)]
        slow = with_fault(checkout_event(f"slow-{uuid.uuid4().hex[:8]}"), delaySeconds=ORDERING_FUNCTION.timeout + 2)
        queue = own_order_queue()
        queue.send_batch([*mates[:index], slow, *mates[index:]])
        batches[position] = (queue, mates, slow)

    # When the ordering function polls them (mapped after sending: the first receive takes the whole batch, in order)
    for queue, _, _ in batches.values():
        own_order_queue.subscribe(queue)

    # Then every healthy record becomes exactly one order, and only the slow one is dead-lettered,
    # after maxReceiveCount receives
    for position, (queue, mates, slow) in batches.items():
        for mate in mates:
            exactly_one_order(http, order_api, mate["detail"]["userName"], timeout=DEAD_LETTER_DEADLINE)
        dead = eventually(
            queue.dead_letters, timeout=DEAD_LETTER_DEADLINE, what=f"the slow record ({position}) in {queue.dlq_name}"
        )
        assert [json.loads(m["Body"])["detail"]["checkoutId"] for m in dead] == [slow["detail"]["checkoutId"]], position
        assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= MAX_RECEIVE_COUNT
        assert orders_of(http, order_api, slow["detail"]["userName"]) == [], "cut off every time, so never stored"
    for position, (queue, mates, _) in batches.items():
        assert queue.depth(queue.name) == 0, f"{position}: nothing left behind in {queue.name}"
        for mate in mates:
            assert len(orders_of(http, order_api, mate["detail"]["userName"])) == 1


def test_three_slow_records_in_one_full_batch_leave_every_healthy_batch_mate_stored_once_and_none_dead_lettered(
    http, order_api, own_order_queue
):
    # Given one full batch whose first three records run past the function's timeout: together they used
    # to take the time of the records behind them, which then failed untried on every receive and were
    # dead-lettered with them
    slow_positions = (0, 1, 2)
    envelopes = []
    for index in range(ORDER_BATCH_SIZE):
        if index in slow_positions:
            envelopes.append(
                with_fault(checkout_event(f"slow-{uuid.uuid4().hex[:8]}"), delaySeconds=ORDERING_FUNCTION.timeout + 2)
            )
        else:
            envelopes.append(checkout_event(f"mate-{uuid.uuid4().hex[:8]}"))
    slow = [envelopes[i] for i in slow_positions]
    mates = [e for i, e in enumerate(envelopes) if i not in slow_positions]
    queue = own_order_queue()
    queue.send_batch(envelopes)

    # When the ordering function polls them (mapped after sending: the first receive takes the whole batch)
    own_order_queue.subscribe(queue)

    # Then every healthy record becomes exactly one order, and only the three slow ones are dead-lettered,
    # after maxReceiveCount receives each
    for mate in mates:
        exactly_one_order(http, order_api, mate["detail"]["userName"], timeout=DEAD_LETTER_DEADLINE)

    def all_slow_dead_lettered():
        dead = queue.dead_letters()
        return dead if len(dead) >= len(slow) else None

    dead = eventually(
        all_slow_dead_lettered, timeout=DEAD_LETTER_DEADLINE, what=f"the three slow records in {queue.dlq_name}"
    )
    assert sorted(json.loads(m["Body"])["detail"]["checkoutId"] for m in dead) == sorted(
        e["detail"]["checkoutId"] for e in slow
    )
    assert all(int(m["Attributes"]["ApproximateReceiveCount"]) >= MAX_RECEIVE_COUNT for m in dead)
    for envelope in slow:
        assert orders_of(http, order_api, envelope["detail"]["userName"]) == [], "cut off every time, so never stored"
    assert queue.depth(queue.name) == 0, f"nothing left behind in {queue.name}"
    for mate in mates:
        assert len(orders_of(http, order_api, mate["detail"]["userName"])) == 1


def test_function_process_dying_mid_batch_stores_every_order_once(http, order_api, own_order_queue):
    queue = own_order_queue()
    mates = [checkout_event(f"mate-{uuid.uuid4().hex[:8]}") for _ in range(2)]
    dying = with_fault(checkout_event(f"dying-{uuid.uuid4().hex[:8]}"), failFirst=1, crash=True)
    queue.send_batch([mates[0], dying, mates[1]])

    own_order_queue.subscribe(queue)

    for envelope in [*mates, dying]:
        exactly_one_order(http, order_api, envelope["detail"]["userName"], timeout=RETRY_DEADLINE)
    eventually(lambda: queue.depth(queue.name) == 0, timeout=RETRY_DEADLINE, what=f"{queue.name} to drain")
    assert queue.dead_letters() == [], "the crash hit one attempt only; the retry stores it"


def test_load_with_injected_failures_ends_with_every_order_once_and_nothing_dead_lettered(
    http, order_api, own_order_queue
):
    # A reduced `make bench` load on a queue of the test's own: 12% of the checkouts fail their first
    # one or two attempts, which maxReceiveCount 3 absorbs.
    queue = own_order_queue()
    faults = {0: 2, 5: 1, 15: 1, 25: 1, 35: 1, 45: 1}
    envelopes = [checkout_event(f"load-{uuid.uuid4().hex[:8]}") for _ in range(50)]
    for index, failures in faults.items():
        with_fault(envelopes[index], failFirst=failures)
    for start in range(0, len(envelopes), 10):
        queue.send_batch(envelopes[start : start + 10])

    own_order_queue.subscribe(queue)

    users = [envelope["detail"]["userName"] for envelope in envelopes]
    counts = eventually(
        lambda: (lambda c: c if all(c.values()) else None)({u: len(orders_of(http, order_api, u)) for u in users}),
        timeout=DEAD_LETTER_DEADLINE + (len(envelopes) // 10) * ORDERING_FUNCTION.timeout,
        interval=1,
        what="an order for each checkout",
    )
    assert set(counts.values()) == {1}
    eventually(lambda: queue.depth(queue.name) == 0, timeout=RETRY_DEADLINE, what=f"{queue.name} to drain")
    assert queue.dead_letters() == []
