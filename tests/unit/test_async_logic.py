"""Domain rules of the asynchronous paths, without AWS."""

import struct
from decimal import Decimal

import pytest

from basket import logic as basket
from client.shop import checkout_request
from invoice.logic import invoice_for
from notification.email import confirmation
from ordering.logic import order_from_checkout
from product_images.image_headers import dimensions
from product_images.object_keys import product_id_of
from shared.errors import Conflict, InvalidInput, KeyReused, NotFound, ServiceUnavailable
from tests.unit.in_memory_table import InMemoryTable

REQUEST = checkout_request("ann")  # the one valid checkout body (client/shop.py)
ITEMS = [{"productId": "p1", "productName": "Pen", "price": Decimal("1.25"), "quantity": Decimal(4)}]


def test_checkout_publishes_one_event_without_the_card_number_and_deletes_the_basket():
    baskets, published = InMemoryTable("userName"), []
    baskets.put({"userName": "ann", "items": ITEMS})

    accepted, replayed = basket.checkout(
        baskets, InMemoryTable("id"), published.append, REQUEST, correlation_id="req-1"
    )

    assert len(published) == 1
    detail = published[0]
    assert detail["checkoutId"] == accepted["checkoutId"]
    assert detail["totalPrice"] == "5.00", "money travels as decimal text"
    assert detail["cardLast4"] == "1111" and "cardInfo" not in detail
    assert "4111111111111111" not in repr(detail)
    assert detail["correlationId"] == "req-1"
    assert baskets.get("ann") is None and not replayed


def test_failed_publish_keeps_the_basket():
    baskets = InMemoryTable("userName")
    baskets.put({"userName": "ann", "items": ITEMS})

    def unavailable(detail):
        raise RuntimeError("EventBridge is down")

    with pytest.raises(RuntimeError):
        basket.checkout(baskets, InMemoryTable("id"), unavailable, REQUEST)
    assert basket.get_basket(baskets, "ann") == {"userName": "ann", "items": ITEMS}, "kept"
    assert "until" not in baskets.get("ann")[basket.CLAIM], "no longer claimed (its checkoutId stays for a retry)"


def test_checkout_of_an_empty_basket_is_invalid_and_of_none_not_found():
    baskets = InMemoryTable("userName")
    with pytest.raises(NotFound):
        basket.checkout(baskets, InMemoryTable("id"), print, REQUEST)
    baskets.put({"userName": "ann", "items": []})
    with pytest.raises(InvalidInput):
        basket.checkout(baskets, InMemoryTable("id"), print, REQUEST)
    assert basket.get_basket(baskets, "ann") == {"userName": "ann", "items": []}


def test_fault_injection_key_defaults_to_the_checkout_id():
    baskets, published = InMemoryTable("userName"), []
    baskets.put({"userName": "ann", "items": ITEMS})

    accepted, _ = basket.checkout(
        baskets, InMemoryTable("id"), published.append, REQUEST | {"faultInjection": {"failFirst": 1}}
    )

    assert published[0]["faultInjection"] == {"key": accepted["checkoutId"], "failFirst": 1}


def test_a_repeated_checkout_is_a_conflict_unless_it_carries_the_winners_idempotency_key():
    baskets, checkouts, published = InMemoryTable("userName"), InMemoryTable("id"), []
    baskets.put({"userName": "ann", "items": ITEMS})

    first, replayed_first = basket.checkout(baskets, checkouts, published.append, REQUEST, idempotency_key="k1")
    again, replayed_again = basket.checkout(baskets, checkouts, published.append, REQUEST, idempotency_key="k1")
    with pytest.raises(Conflict, match=first["checkoutId"]):
        basket.checkout(baskets, checkouts, published.append, REQUEST, idempotency_key="k2")
    with pytest.raises(Conflict):
        basket.checkout(baskets, checkouts, published.append, REQUEST)

    assert (again, replayed_first, replayed_again) == (first, False, True)
    assert len(published) == 1


def test_a_checkout_in_flight_holds_the_basket_against_others_and_its_claim_expires():
    baskets, checkouts = InMemoryTable("userName"), InMemoryTable("id")
    baskets.put({"userName": "ann", "items": ITEMS})
    now = [1000.0]
    claim = {
        "id": "crashed",
        "until": 1000 + basket.CLAIM_SECONDS,
        "idempotencyKey": "k1",
        "checkedOutAt": "2026-01-01T00:00:00.000Z",
    }
    baskets.claim("ann", basket.CLAIM, claim, {}, 1000)

    with pytest.raises(Conflict):
        basket.checkout(baskets, checkouts, print, REQUEST, clock=lambda: now[0])
    # The same key waits for the request in flight, then gives up with a conflict.
    with pytest.raises(Conflict):
        basket.checkout(
            baskets,
            checkouts,
            print,
            REQUEST,
            idempotency_key="k1",
            clock=lambda: now[0],
            sleep=lambda s: now.__setitem__(0, now[0] + 1),
        )
    now[0] = 1000 + basket.CLAIM_SECONDS + 1
    published = []
    accepted, _ = basket.checkout(baskets, checkouts, published.append, REQUEST, clock=lambda: now[0])
    assert published[0]["checkoutId"] == accepted["checkoutId"] == "crashed", (
        "the crashed attempt's checkoutId, published again"
    )
    assert published[0]["checkedOutAt"] == "2026-01-01T00:00:00.000Z"


def test_a_basket_cannot_be_saved_while_a_checkout_holds_it():
    # Given a checkout in flight, when the basket is saved during its publish
    baskets, checkouts, published = InMemoryTable("userName"), InMemoryTable("id"), []
    baskets.put({"userName": "ann", "items": ITEMS})
    refused = []

    def publish_while_saving(detail):
        try:
            basket.save_basket(baskets, {"userName": "ann", "items": ITEMS * 2})
        except Conflict as e:
            refused.append(e)
        published.append(detail)

    basket.checkout(baskets, checkouts, publish_while_saving, REQUEST)

    # Then the save is a conflict, and no second checkout finds a basket to publish
    assert len(refused) == 1
    assert baskets.get("ann") is None
    with pytest.raises(Conflict):
        basket.checkout(baskets, checkouts, published.append, REQUEST)
    assert len(published) == 1


def test_a_basket_can_be_saved_once_its_checkout_claim_expired_or_was_released():
    baskets = InMemoryTable("userName")
    baskets.put({"userName": "ann", "items": ITEMS})
    baskets.claim("ann", basket.CLAIM, {"id": "c1", "until": 1030, "checkedOutAt": "t"}, {}, 1000)

    with pytest.raises(Conflict):
        basket.save_basket(baskets, {"userName": "ann", "items": ITEMS * 2}, clock=lambda: 1030)
    assert basket.save_basket(baskets, {"userName": "ann", "items": ITEMS * 2}, clock=lambda: 1031)
    baskets.claim("ann", basket.CLAIM, {"id": "c2", "until": 1060, "checkedOutAt": "t"}, {}, 1031)
    baskets.release("ann", basket.CLAIM, "c2")
    assert basket.save_basket(baskets, {"userName": "ann", "items": ITEMS}, clock=lambda: 1032)
    assert baskets.get("ann") == {"userName": "ann", "items": ITEMS}


class FailsAfterPublishing:
    """Wraps a table so that one method's first call after the event was published raises, having
    done nothing (as a timed-out call, or a function that died there)."""

    def __init__(self, table, method: str, published: list):
        self.table, self.method, self.published, self.failed = table, method, published, False

    def __getattr__(self, name):
        call = getattr(self.table, name)
        if name != self.method or self.failed:
            return call

        def fail_once_published(*args, **kwargs):
            if not self.published:
                return call(*args, **kwargs)
            self.failed = True
            raise RuntimeError(f"{name} failed")

        return fail_once_published


@pytest.mark.parametrize("failing", ["checkouts.put", "baskets.delete_claimed"])
def test_a_checkout_that_fails_after_publishing_publishes_the_same_checkout_again(failing):
    # Given a checkout whose event is published, after which a write fails (the function might as well have died)
    baskets, checkouts, published, now = InMemoryTable("userName"), InMemoryTable("id"), [], [1000.0]
    baskets.put({"userName": "ann", "items": ITEMS})
    table_name, method = failing.split(".")
    if table_name == "checkouts":
        checkouts = FailsAfterPublishing(checkouts, method, published)
    else:
        baskets = FailsAfterPublishing(baskets, method, published)
    clock = lambda: now[0]  # noqa: E731
    with pytest.raises(RuntimeError):
        basket.checkout(baskets, checkouts, published.append, REQUEST, idempotency_key="k1", clock=clock)

    # When it is retried once its claim expired, without a key and with the same key
    now[0] += basket.CLAIM_SECONDS + 1
    without_key, _ = basket.checkout(baskets, checkouts, published.append, REQUEST, clock=clock)
    with_key, replayed = basket.checkout(
        baskets, checkouts, published.append, REQUEST, idempotency_key="k1", clock=clock
    )

    # Then the retry published the same checkout again (one order), and the key's answer names it
    assert len(published) == 2 and published[0] == published[1]
    assert without_key == with_key == {"checkoutId": published[0]["checkoutId"]} and replayed
    assert order_from_checkout(published[0]) == order_from_checkout(published[1])
    assert baskets.get("ann") is None


def first_reply_lost(published: list):
    """A publisher whose first PutEvents commits the event but loses its reply (a read timeout)."""

    def publish(detail):
        published.append(detail)
        if len(published) == 1:
            raise ServiceUnavailable("read timeout")

    return publish


def test_a_checkout_whose_publish_reply_was_lost_is_published_again_with_the_same_checkout_id():
    # Given PutEvents that committed the event but whose reply was lost
    baskets, checkouts, published = InMemoryTable("userName"), InMemoryTable("id"), []
    baskets.put({"userName": "ann", "items": ITEMS})
    committed_then_timed_out = first_reply_lost(published)

    with pytest.raises(ServiceUnavailable):
        basket.checkout(baskets, checkouts, committed_then_timed_out, REQUEST, idempotency_key="k1")

    # When the client retries at once, with the same key and (another time) without one
    again, replayed = basket.checkout(baskets, checkouts, committed_then_timed_out, REQUEST, idempotency_key="k1")

    # Then the retry publishes the same checkout: the ordering service's idempotency makes it one order
    assert not replayed and len(published) == 2
    assert published[0] == published[1] and published[0]["checkoutId"] == again["checkoutId"]


def test_a_checkout_without_a_key_retried_after_a_failed_publish_keeps_its_checkout_id():
    baskets, published = InMemoryTable("userName"), []
    baskets.put({"userName": "ann", "items": ITEMS})
    committed_then_timed_out = first_reply_lost(published)

    with pytest.raises(ServiceUnavailable):
        basket.checkout(baskets, InMemoryTable("id"), committed_then_timed_out, REQUEST)
    basket.checkout(baskets, InMemoryTable("id"), committed_then_timed_out, REQUEST)

    assert published[0] == published[1]


def test_an_idempotency_key_reused_for_another_request_is_refused():
    baskets, checkouts, published = InMemoryTable("userName"), InMemoryTable("id"), []
    baskets.put({"userName": "ann", "items": ITEMS})
    first, _ = basket.checkout(baskets, checkouts, published.append, REQUEST, idempotency_key="k1")

    with pytest.raises(KeyReused):
        basket.checkout(baskets, checkouts, published.append, REQUEST | {"address": "2 Road"}, idempotency_key="k1")
    # The same request with its fields in another order (and numbers written alike) is the same request.
    same = dict(reversed(list(REQUEST.items())))
    assert basket.checkout(baskets, checkouts, published.append, same, idempotency_key="k1") == (first, True)
    assert len(published) == 1


def test_an_expired_answer_is_not_replayed():
    # Given a checkout answered under key k1 more than a day ago (DynamoDB's TTL deletes it only eventually)
    baskets, checkouts, published, now = InMemoryTable("userName"), InMemoryTable("id"), [], [1000.0]
    baskets.put({"userName": "ann", "items": ITEMS})
    first, _ = basket.checkout(
        baskets, checkouts, published.append, REQUEST, idempotency_key="k1", clock=lambda: now[0]
    )
    now[0] += basket.ANSWER_SECONDS + 1
    baskets.put({"userName": "ann", "items": ITEMS})

    # When k1 comes again, for the new basket, with another request
    second, replayed = basket.checkout(
        baskets,
        checkouts,
        published.append,
        REQUEST | {"address": "2 Road"},
        idempotency_key="k1",
        clock=lambda: now[0],
    )

    # Then it is a new checkout, not the old answer nor a refusal
    assert not replayed and second != first and len(published) == 2


def test_answers_of_different_users_and_keys_never_share_a_record():
    # "a" with key "b#c" and "a#b" with key "c" once both made the record "answer#a#b#c"
    baskets, checkouts, published = InMemoryTable("userName"), InMemoryTable("id"), []
    for user in ("a", "a#b"):
        baskets.put({"userName": user, "items": ITEMS})

    first, _ = basket.checkout(baskets, checkouts, published.append, REQUEST | {"userName": "a"}, idempotency_key="b#c")
    second, replayed = basket.checkout(
        baskets, checkouts, published.append, REQUEST | {"userName": "a#b"}, idempotency_key="c"
    )

    assert not replayed and second != first
    assert [detail["userName"] for detail in published] == ["a", "a#b"]


def test_confirmation_email_shows_lines_total_and_only_the_last_four_digits():
    detail = {
        "checkoutId": "c1",
        "firstName": "Ann",
        "items": ITEMS,
        "totalPrice": 5,
        "cardLast4": "1111",
        "address": "1 Road",
    }

    subject, body = confirmation(detail)

    assert "c1" in subject
    assert "4 x Pen  5.00" in body and "Total: 5.00" in body and "ending in 1111" in body


def test_invoice_lines_multiply_price_by_quantity():
    orders = InMemoryTable("userName", sort_key="orderDate")
    orders.put({"userName": "ann", "orderDate": "d1", "checkoutId": "c1", "items": ITEMS})

    invoice = invoice_for(orders, "ann", "d1")

    assert invoice["total"] == Decimal("5.00") and invoice["invoiceNumber"] == "INV-c1"
    with pytest.raises(NotFound, match=r"^no order "):
        invoice_for(orders, "ann", "d2")


def test_png_and_jpeg_dimensions_come_from_the_headers():
    png = (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 640, 480) + b"\x08\x02\x00\x00\x00"
    )
    jpeg = (
        b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 4) + b"JF" + b"\xff\xc0" + struct.pack(">HBHH", 17, 8, 200, 300)
    )

    assert dimensions(png) == ("png", 640, 480)
    assert dimensions(jpeg) == ("jpeg", 300, 200)
    assert dimensions(b"GIF89a....") is None
    assert dimensions(b"\xff\xd8\xff") is None


def test_image_keys_name_their_product():
    assert product_id_of("products/p-1/front.png") == "p-1"
    with pytest.raises(ValueError):
        product_id_of("elsewhere/front.png")


def test_an_order_takes_its_date_from_the_checkout_so_redelivery_names_the_same_order():
    from ordering.logic import order_from_checkout

    checkout = {
        "userName": "ann",
        "checkoutId": "c1",
        "items": ITEMS,
        "totalPrice": Decimal(5),
        "firstName": "Ann",
        "lastName": "Lee",
        "email": "a@example.com",
        "address": "1 Road",
        "paymentMethod": 1,
        "cardLast4": "1111",
        "checkedOutAt": "2026-11-23T10:00:00.000Z",
    }

    order = order_from_checkout(checkout)

    assert order["orderDate"] == "2026-11-23T10:00:00.000Z" and order["status"] == "PLACED"
    assert order_from_checkout(dict(checkout)) == order
    with pytest.raises(ValueError, match="checkedOutAt"):
        order_from_checkout({k: v for k, v in checkout.items() if k != "checkedOutAt"})


def test_totals_are_exact_beyond_decimals_default_28_digits_and_refused_beyond_38():
    price = Decimal("1.23456789012345678901234567891")  # 30 significant digits
    assert basket.total_price([{"price": price, "quantity": Decimal(7)}]) == Decimal("8.64197523086419752308641975237")
    too_wide = {
        "userName": "ann",
        "items": [
            {"productId": "p", "price": Decimal("999999999.12345678901234567890123456789"), "quantity": Decimal(3)}
        ],
    }
    with pytest.raises(InvalidInput) as refused:
        basket.save_basket(InMemoryTable("userName"), too_wide)
    assert refused.value.errors[0]["field"] == "items"


def test_checkout_event_carries_the_payment_method_as_a_number_and_the_servers_total():
    baskets, published = InMemoryTable("userName"), []
    baskets.put({"userName": "ann", "items": ITEMS})

    basket.checkout(
        baskets, InMemoryTable("id"), published.append, REQUEST | {"paymentMethod": "2", "totalPrice": Decimal(1)}
    )

    assert published[0]["paymentMethod"] == 2
    assert published[0]["totalPrice"] == "5.00", "the client's totalPrice is ignored"
