"""A checkout's Idempotency-Key after its publish failed: the key's answer is replayed only once its
event is out, so a retry ends in the one order of the basket, or in an error that says to retry."""

import json
from decimal import Decimal

import pytest

from basket import logic as basket
from client.shop import checkout_request
from infra.stack import BASKET_FUNCTION
from shared.errors import Conflict, InvalidInput, KeyReused, ServiceUnavailable
from tests.unit.in_memory_table import InMemoryTable
from tests.unit.lambda_events import UNREACHABLE, api_event

REQUEST = checkout_request("ann")
ITEMS = [{"productId": "p1", "productName": "Pen", "price": Decimal("1.25"), "quantity": Decimal(4)}]
SAVED_AGAIN = [ITEMS[0] | {"quantity": Decimal(2)}]


class Bus:
    """Stands in for publishing: raises `failure` on the calls it is armed for, else keeps the event."""

    def __init__(self):
        self.published, self.failure = [], None

    def __call__(self, detail: dict) -> None:
        if self.failure:
            failure, self.failure = self.failure, None
            raise failure
        self.published.append(detail)


@pytest.fixture
def shop():
    baskets, checkouts, bus = InMemoryTable("userName"), InMemoryTable("id"), Bus()
    baskets.put({"userName": "ann", "items": ITEMS})
    return baskets, checkouts, bus


def publish_fails(shop, failure: Exception) -> None:
    """A checkout with the key k1 whose publish raises `failure`, which the checkout raises in turn."""
    baskets, checkouts, bus = shop
    bus.failure = failure
    with pytest.raises(type(failure)):
        basket.checkout(baskets, checkouts, bus, REQUEST, idempotency_key="k1")


def save_again(baskets) -> None:
    """The user changes the basket after the failed checkout and saves it."""
    basket.save_basket(baskets, {"userName": "ann", "items": SAVED_AGAIN})


def test_an_answer_whose_publish_failed_is_never_replayed_and_the_retry_publishes_that_checkout(shop):
    baskets, checkouts, bus = shop
    publish_fails(shop, ServiceUnavailable("EventBridge is out of reach"))
    failed_id = baskets.get("ann")[basket.CLAIM]["id"]

    retried, replayed_retry = basket.checkout(baskets, checkouts, bus, REQUEST, idempotency_key="k1")
    again, replayed_again = basket.checkout(baskets, checkouts, bus, REQUEST, idempotency_key="k1")

    assert [detail["checkoutId"] for detail in bus.published] == [failed_id] == [retried["checkoutId"]]
    assert (replayed_retry, again, replayed_again) == (False, retried, True)


def test_a_retry_after_a_failed_publish_and_a_saved_basket_is_refused_saying_to_use_a_new_key(shop):
    # Given a publish that failed (its reply may have been lost), and the basket saved again
    baskets, checkouts, bus = shop
    publish_fails(shop, ServiceUnavailable("read timeout"))
    save_again(baskets)

    # When the client retries with the key, then with a new one as the refusal says
    with pytest.raises(Conflict, match="new Idempotency-Key") as refused:
        basket.checkout(baskets, checkouts, bus, REQUEST, idempotency_key="k1")
    assert bus.published == [], "never answered without a publish"
    accepted, replayed = basket.checkout(baskets, checkouts, bus, REQUEST, idempotency_key="k2")

    # Then the saved basket is the one checkout published, and the refused key never names it
    assert [(d["checkoutId"], d["totalPrice"]) for d in bus.published] == [(accepted["checkoutId"], "2.50")]
    assert not replayed and accepted["checkoutId"] not in str(refused.value)
    with pytest.raises(Conflict):
        basket.checkout(baskets, checkouts, bus, REQUEST, idempotency_key="k1")


def test_a_key_whose_event_broke_its_contract_is_free_for_the_basket_saved_after(shop):
    # Given a checkout refused before anything was sent (400), and the basket fixed and saved
    baskets, checkouts, bus = shop
    publish_fails(shop, InvalidInput("CheckoutBasket event breaks its contract"))
    save_again(baskets)

    # When the client sends the request again with its key
    accepted, replayed = basket.checkout(baskets, checkouts, bus, REQUEST, idempotency_key="k1")

    # Then the saved basket is checked out under it
    assert [d["checkoutId"] for d in bus.published] == [accepted["checkoutId"]] and not replayed


def test_a_key_whose_checkout_a_retry_without_it_published_is_answered_with_that_checkout(shop):
    baskets, checkouts, bus = shop
    publish_fails(shop, ServiceUnavailable("EventBridge is out of reach"))
    without_key, _ = basket.checkout(baskets, checkouts, bus, REQUEST)

    with_key, replayed = basket.checkout(baskets, checkouts, bus, REQUEST, idempotency_key="k1")

    assert with_key == without_key and replayed and len(bus.published) == 1


def test_a_retry_without_the_fault_is_the_same_request_for_the_key(shop):
    baskets, checkouts, bus = shop
    bus.failure = ServiceUnavailable("injected failure (failPublish)")
    with pytest.raises(ServiceUnavailable):
        basket.checkout(
            baskets, checkouts, bus, REQUEST | {"faultInjection": {"failPublish": True}}, idempotency_key="k1"
        )

    accepted, _ = basket.checkout(baskets, checkouts, bus, REQUEST, idempotency_key="k1")

    assert [d["checkoutId"] for d in bus.published] == [accepted["checkoutId"]]
    assert "faultInjection" not in bus.published[0]


# -- through the handler ------------------------------------------------------------------------------
@pytest.fixture
def handler(function_module, monkeypatch):
    module = function_module(BASKET_FUNCTION)
    monkeypatch.setattr(module, "baskets", InMemoryTable("userName"))
    monkeypatch.setattr(module, "checkouts", InMemoryTable("id"))
    module.baskets.put({"userName": "ann", "items": ITEMS})
    return module


def checkout_through(handler, lambda_context, request: dict) -> dict:
    event = api_event("POST", "/basket/checkout", "/basket/checkout", body=request)
    event["headers"]["Idempotency-Key"] = "k1"
    return handler.lambda_handler(event, lambda_context)


def test_a_publish_that_cannot_reach_eventbridge_is_503_naming_no_host_and_saying_to_retry(handler, lambda_context):
    # The module's real publisher, whose endpoint (conftest.UNREACHABLE) nothing listens on.
    response = checkout_through(handler, lambda_context, REQUEST)

    assert response["statusCode"] == 503
    message = json.loads(response["body"])["message"]
    assert "retry" in message
    assert UNREACHABLE not in response["body"] and "127.0.0.1" not in response["body"]
    assert "Traceback" not in response["body"]


def test_fail_publish_is_honoured_only_where_fault_injection_is_enabled(handler, lambda_context, monkeypatch):
    published = []
    monkeypatch.setattr(handler.publisher, "publish", lambda source, detail_type, detail: published.append(detail))
    request = REQUEST | {"faultInjection": {"failPublish": True}}

    monkeypatch.setenv("FAULT_TABLE", "fault-injection")
    enabled = checkout_through(handler, lambda_context, request)
    monkeypatch.delenv("FAULT_TABLE")
    disabled = checkout_through(handler, lambda_context, request)

    assert (enabled["statusCode"], disabled["statusCode"]) == (503, 202)
    assert len(published) == 1 and "faultInjection" not in published[0]


def test_a_key_sent_with_another_cards_last_digits_is_refused_and_with_other_middle_digits_is_the_same(shop):
    # The fingerprint keeps the card's last four digits only: all of it that the checkout uses.
    baskets, checkouts, bus = shop
    first, _ = basket.checkout(baskets, checkouts, bus, REQUEST, idempotency_key="k1")

    with pytest.raises(KeyReused):
        basket.checkout(baskets, checkouts, bus, REQUEST | {"cardInfo": "4111111111112222"}, idempotency_key="k1")
    same, replayed = basket.checkout(
        baskets, checkouts, bus, REQUEST | {"cardInfo": "4111119999991111"}, idempotency_key="k1"
    )

    assert (same, replayed) == (first, True) and len(bus.published) == 1
    assert "4111111111111111" not in repr(checkouts.items)
