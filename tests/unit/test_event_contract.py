"""The CheckoutBasket event contract (api/events/checkout-basket.schema.json): what the basket
publishes passes it; anything a consumer should not act on fails it, naming the field, not its value."""

import json
import uuid
from decimal import Decimal

import pytest

from basket import logic as basket
from client.shop import checkout_request
from infra.paths import OPENAPI_DOCUMENT
from notification.email import confirmation
from ordering.logic import order_from_checkout
from shared.event_contract import CHECKOUT_BASKET, BrokenContract, check_checkout, received_checkout, validator
from shared.http import to_json
from tests.unit.in_memory_table import InMemoryTable

# The one valid checkout body (client/shop.py), its payment method in the string form the basket turns
# into a number (basket/logic.py).
REQUEST = checkout_request("ann", paymentMethod="2")
CARD = REQUEST["cardInfo"]
ITEMS = [
    {"productId": "p1", "productName": "Pen", "color": "Red", "price": Decimal("1.25"), "quantity": Decimal(4)},
    {"productId": "p2", "price": Decimal("1E+2"), "quantity": Decimal(1)},
]
SCHEMA = json.loads((OPENAPI_DOCUMENT.parent / "events" / CHECKOUT_BASKET).read_text())


def published(request: dict = REQUEST, items: list = ITEMS) -> dict:
    """The detail the basket's checkout publishes."""
    baskets, details = InMemoryTable("userName"), []
    baskets.put({"userName": request["userName"], "items": items})
    basket.checkout(baskets, InMemoryTable("id"), details.append, request, correlation_id="req-1")
    return details[0]


def refused(detail: dict) -> BrokenContract:
    with pytest.raises(BrokenContract) as caught:
        check_checkout(detail)
    text = str(caught.value) + json.dumps(caught.value.errors)
    assert CARD not in text, "the reason names fields and rules, never a value"
    return caught.value


def test_what_the_basket_publishes_is_valid_and_what_the_consumers_read_from_it():
    # Given the basket's own detail, through JSON as the consumers receive it
    detail = json.loads(to_json(published()), parse_float=Decimal)

    # Then it passes, and ordering and notification make their order and email of it
    assert received_checkout({"detail-type": "CheckoutBasket", "detail": detail}) == detail
    assert order_from_checkout(detail)["totalPrice"] == Decimal("105.00")
    assert "ending in 1111" in confirmation(detail)[1]


@pytest.mark.parametrize(
    "extra", [{"faultInjection": {"failFirst": 1, "delaySeconds": 0.5, "crash": False}}, {"totalPrice": 0}]
)
def test_optional_fields_and_every_request_form_publish_a_valid_event(extra):
    check_checkout(published(REQUEST | extra))


def test_a_checkout_without_a_correlation_id_is_valid():
    check_checkout(published() | {"correlationId": None})


@pytest.mark.parametrize("field", SCHEMA["required"])
def test_each_required_field_missing_fails_naming_it(field):
    detail = published()
    del detail[field]

    assert field in refused(detail).errors[0]["message"]


@pytest.mark.parametrize("field", ["productId", "quantity", "price"])
def test_an_item_without_a_required_field_fails(field):
    detail = published()
    del detail["items"][0][field]

    assert refused(detail).errors[0]["field"] == "items[0]"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"userName": 7}, "userName"),
        ({"paymentMethod": "1"}, "paymentMethod"),  # the request's string form never travels
        ({"paymentMethod": 4}, "paymentMethod"),
        ({"paymentMethod": True}, "paymentMethod"),
        ({"totalPrice": 5}, "totalPrice"),  # money is decimal text, a number would have been rounded
        ({"totalPrice": 5.0}, "totalPrice"),
        ({"items": {"productId": "p1"}}, "items"),
        ({"items": []}, "items"),
        ({"items": ["p1"]}, "items[0]"),
        ({"items": [{"productId": "p1", "price": "1", "quantity": 1.5}]}, "items[0].quantity"),
        ({"items": [{"productId": "p1", "price": "1", "quantity": 0}]}, "items[0].quantity"),
        ({"checkedOutAt": 1733097600}, "checkedOutAt"),
        ({"correlationId": {"id": "x"}}, "correlationId"),
        ({"faultInjection": {"failFirst": "1"}}, "faultInjection.failFirst"),
        ({"cardLast4": 1111}, "cardLast4"),
    ],
)
def test_a_field_of_the_wrong_type_fails_naming_it(change, field):
    assert refused(published() | change).errors[0]["field"] == field


@pytest.mark.parametrize(
    "change",
    [
        {"cardInfo": CARD},  # the card number must never travel
        {"cardLast4": CARD},
        {"cardLast4": "111"},
        {"email": "ann@example.com\r\nBcc: everyone@example.com"},  # header injection
        {"email": "ann@example.com\n"},
        {"userName": "../ann"},
        {"userName": "ann#1"},
        {"userName": "a" * 101},
        {"firstName": ""},
        {"address": "x" * 501},
        {"firstName": "\ud800"},  # a lone surrogate: not Unicode, DynamoDB cannot store it
        {"checkoutId": "crashed"},
        {"checkoutId": str(uuid.uuid4()).upper()},
        {"checkoutId": str(uuid.uuid4()) + "\n"},
        {"checkedOutAt": "2026-12-02T00:00:00.000Z\n"},
        {"checkedOutAt": "yesterday"},
        {"totalPrice": "NaN"},
        {"totalPrice": "Infinity"},
        {"totalPrice": "-5"},
        {"totalPrice": "-0.5"},
        {"totalPrice": "1e5"},
        {"totalPrice": "0x10"},
        {"totalPrice": " 5"},
        {"correlationId": "x" * 201},
        {"faultInjection": {"failFirst": 1, "exec": "rm -rf /"}},
        {"discount": "100%"},
    ],
)
def test_hostile_values_fail(change):
    refused(published() | change)


@pytest.mark.parametrize(
    "item",
    [
        {"productId": "p1", "price": "1", "quantity": 1, "cardInfo": CARD},
        {"productId": "", "price": "1", "quantity": 1},
    ],
)
def test_hostile_items_fail(item):
    refused(published() | {"items": [item]})


@pytest.mark.parametrize(
    "text", ["0", "1.25", "1E+2", "1.0E+3", "0E-8", "-0", "-0.00", "999999999.12345678901234567890123456789"]
)
def test_money_as_str_of_a_decimal_is_valid_text(text):
    check_checkout(published() | {"totalPrice": text})
    assert str(Decimal(text)) == text, "the forms str(Decimal) writes"


@pytest.mark.parametrize("event", [{"poison": "x"}, {"detail": "x"}, {"detail": None}, [], "text", None])
def test_a_consumer_refuses_what_is_not_an_event_with_a_detail(event):
    with pytest.raises(BrokenContract, match="no detail"):
        received_checkout(event)


def test_the_contract_is_compiled_once_per_environment():
    assert validator(CHECKOUT_BASKET) is validator(CHECKOUT_BASKET)
