"""Each function's `lambda_handler`, called in-process with an event from tests/unit/events/ and a fake
context. Data access goes to the in-memory table; paths that would reach AWS otherwise are only
those that fail before it (AWS_ENDPOINT_URL points nowhere, see conftest.py)."""

import json
import uuid
from decimal import Decimal

import pytest
from botocore.exceptions import EndpointConnectionError

from client.shop import checkout_request
from infra.stack import (
    BASKET_FUNCTION,
    IMAGE_METADATA_FUNCTION,
    IMAGE_METADATA_QUEUE,
    IMAGE_UPDATER_FUNCTION,
    INVOICE_FUNCTION,
    NOTIFICATION_FUNCTION,
    ORDER_API_FUNCTION,
    ORDERING_FUNCTION,
    PRODUCT_FUNCTION,
)
from shared.errors import InvalidInput, NotFound
from shared.event_contract import BrokenContract, check_checkout
from tests.unit.in_memory_table import InMemoryTable
from tests.unit.lambda_events import UNREACHABLE, api_event, load_event, sqs_event

CHECKOUT = checkout_request("ann")  # the one valid checkout body (client/shop.py)
CARD = CHECKOUT["cardInfo"]


def answer(response: dict) -> tuple[int, object]:
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


# -- product ----------------------------------------------------------------------------------------
@pytest.fixture
def product(function_module, monkeypatch):
    handler = function_module(PRODUCT_FUNCTION)
    monkeypatch.setattr(handler, "products", InMemoryTable("id"))
    return handler


def test_a_product_is_created_and_read_back(product, lambda_context):
    created = answer(
        product.lambda_handler(
            api_event("POST", "/product", "/product", body={"name": "Pen", "category": "office", "price": 1.25}),
            lambda_context,
        )
    )
    product_id = created[1]["id"]
    found = answer(
        product.lambda_handler(
            api_event("GET", "/product/{id}", f"/product/{product_id}", {"id": product_id}), lambda_context
        )
    )

    assert created[0] == 201 and found == (200, created[1])
    assert found[1]["price"] == 1.25


@pytest.mark.parametrize(
    "event, status, message",
    [
        (api_event("GET", "/product/{id}", "/product/nope", {"id": "nope"}), 404, "nope"),
        (api_event("POST", "/product", "/product", body={"name": "Pen", "price": 1}), 400, "schema"),
        (api_event("POST", "/product", "/product", body="{not json"), 400, "not valid JSON"),
        (api_event("GET", "/product/{id}", "/product/x", {"id": "\ud800"}), 400, "cannot be stored"),
        (api_event("GET", "/nowhere", "/nowhere"), 404, "no route"),
    ],
    ids=["unknown-product", "missing-category", "not-json", "lone-surrogate-id", "unknown-route"],
)
def test_product_requests_that_fail_get_a_json_error(product, lambda_context, event, status, message):
    code, body = answer(product.lambda_handler(event, lambda_context))

    assert code == status and message in body["message"]


def test_an_unknown_method_is_405_listing_the_allowed_ones(product, lambda_context):
    response = product.lambda_handler(
        api_event("PATCH", "/product/{id}", "/product/p-1", {"id": "p-1"}), lambda_context
    )

    assert response["statusCode"] == 405
    assert response["multiValueHeaders"]["Allow"] == ["DELETE, GET, PUT"]


# -- basket -----------------------------------------------------------------------------------------
class RecordingPublisher:
    """Stands in for shared.events.EventPublisher: keeps what would have been put on the bus."""

    def __init__(self):
        self.events = []

    def publish(self, source: str, detail_type: str, detail: dict) -> str:
        self.events.append((source, detail_type, detail))
        return str(uuid.uuid4())


@pytest.fixture
def basket(function_module, monkeypatch):
    handler = function_module(BASKET_FUNCTION)
    monkeypatch.setattr(handler, "baskets", InMemoryTable("userName"))
    monkeypatch.setattr(handler, "checkouts", InMemoryTable("id"))
    monkeypatch.setattr(handler, "publisher", RecordingPublisher())
    return handler


def checkout(basket, lambda_context, items: list) -> tuple[int, dict]:
    basket.baskets.put({"userName": "ann", "items": items})
    return answer(
        basket.lambda_handler(api_event("POST", "/basket/checkout", "/basket/checkout", body=CHECKOUT), lambda_context)
    )


def test_checkout_answers_202_and_publishes_one_event_that_keeps_the_contract(basket, lambda_context):
    status, body = checkout(
        basket, lambda_context, [{"productId": "p1", "price": Decimal("1.25"), "quantity": Decimal(4)}]
    )

    assert status == 202
    [(source, detail_type, detail)] = basket.publisher.events
    assert (source, detail_type) == (basket.CHECKOUT_SOURCE, basket.CHECKOUT_DETAIL_TYPE)
    assert detail["checkoutId"] == body["checkoutId"]
    assert detail["correlationId"] == load_event("api_gateway_proxy")["requestContext"]["requestId"]
    check_checkout(detail)
    assert basket.baskets.get("ann") is None


@pytest.mark.parametrize(
    "item, field",
    [
        ({"productId": "p1", "price": Decimal(1), "quantity": Decimal(1), "cardInfo": CARD}, "items[0]"),
        ({"productId": "", "price": Decimal(1), "quantity": Decimal(1)}, "items[0].productId"),
        ({"productId": "p1", "price": Decimal(1), "quantity": Decimal("1.5")}, "items[0].quantity"),
    ],
    ids=["unknown-field", "empty-product-id", "fractional-quantity"],
)
def test_a_saved_basket_whose_event_would_break_the_contract_is_not_published(
    basket, lambda_context, logs_of, item, field
):
    logs = logs_of(basket)
    # Given a basket in the table that the contract no longer admits (saved by hand, or by an older version)
    status, body = checkout(basket, lambda_context, [item])

    # Then the checkout is 400 naming the field, nothing is published, the basket stays and is free again
    assert status == 400 and body["errors"][0]["field"] == field, body
    assert "contract" in body["message"]
    assert basket.publisher.events == []
    assert "until" not in basket.baskets.get("ann")["checkoutClaim"]
    assert "checkout event breaks its contract; not published" in [line["message"] for line in logs()]
    assert CARD not in json.dumps(logs())


def test_checkout_of_an_empty_basket_is_400_and_of_none_404(basket, lambda_context):
    empty = checkout(basket, lambda_context, [])
    basket.baskets.delete("ann")
    missing = answer(
        basket.lambda_handler(api_event("POST", "/basket/checkout", "/basket/checkout", body=CHECKOUT), lambda_context)
    )

    assert empty[0] == 400 and missing[0] == 404
    assert basket.publisher.events == []


def test_an_invalid_idempotency_key_is_400_before_anything_is_claimed(basket, lambda_context):
    basket.baskets.put({"userName": "ann", "items": [{"productId": "p1", "price": Decimal(1), "quantity": Decimal(1)}]})
    event = api_event("POST", "/basket/checkout", "/basket/checkout", body=CHECKOUT)
    event["headers"]["Idempotency-Key"] = "has space"
    event["multiValueHeaders"]["Idempotency-Key"] = ["has space"]

    status, body = answer(basket.lambda_handler(event, lambda_context))

    assert status == 400 and body["errors"][0]["field"] == "Idempotency-Key"
    assert "checkoutClaim" not in basket.baskets.get("ann") and basket.publisher.events == []


# -- ordering: the order API and the queue consumer ----------------------------------------------------
def test_the_order_api_answers_a_users_orders_404_for_a_missing_date_and_400_for_an_empty_one(
    function_module, monkeypatch, lambda_context
):
    api = function_module(ORDER_API_FUNCTION)
    orders = InMemoryTable("userName", "orderDate")
    orders.put({"userName": "ann", "orderDate": "2026-12-02T00:00:00.123Z", "totalPrice": Decimal("8.50")})
    monkeypatch.setattr(api, "orders", orders)
    path = {"userName": "ann"}

    listed = answer(api.lambda_handler(api_event("GET", "/order/{userName}", "/order/ann", path), lambda_context))
    missing = answer(
        api.lambda_handler(
            api_event("GET", "/order/{userName}", "/order/ann", path, query={"orderDate": "2020"}), lambda_context
        )
    )
    empty = answer(
        api.lambda_handler(
            api_event("GET", "/order/{userName}", "/order/ann", path, query={"orderDate": ""}), lambda_context
        )
    )

    assert listed == (200, [{"userName": "ann", "orderDate": "2026-12-02T00:00:00.123Z", "totalPrice": 8.50}])
    assert missing[0] == 404 and empty[0] == 400


@pytest.fixture
def ordering(function_module, monkeypatch):
    consumer = function_module(ORDERING_FUNCTION)
    monkeypatch.setattr(consumer, "orders", InMemoryTable("userName", "orderDate"))
    return consumer


def envelope(**changes) -> str:
    event = load_event("checkout_basket_event")
    event["detail"] |= changes
    return json.dumps(event)


def test_a_valid_checkout_event_becomes_an_order_and_poison_records_fail_alone(ordering, lambda_context, logs_of):
    logs = logs_of(ordering)
    # Given a batch with one valid CheckoutBasket event among poison records
    bodies = [
        envelope(),
        "{not json",
        json.dumps({"poison": True}),
        envelope(cardInfo=CARD),
        envelope(totalPrice=8.5),
        envelope(userName="../ann"),
    ]

    response = ordering.lambda_handler(sqs_event(*bodies), lambda_context)

    # Then only the poison records are reported failed (SQS delivers them again, then dead-letters them)
    assert response == {"batchItemFailures": [{"itemIdentifier": f"message-{i}"} for i in range(1, 6)]}
    [order] = ordering.orders.scan()
    assert order["checkoutId"] == load_event("checkout_basket_event")["detail"]["checkoutId"]
    assert order["totalPrice"] == Decimal("8.50") and "cardInfo" not in order
    refused = [line for line in logs() if line["message"] == "not a valid CheckoutBasket event; the record fails"]
    assert [line["message_id"] for line in refused] == [f"message-{i}" for i in range(1, 6)]
    assert CARD not in json.dumps(logs()), "a poison message's card number is never logged"


def test_a_batch_of_poison_only_is_answered_not_raised(ordering, lambda_context):
    response = ordering.lambda_handler(sqs_event("[]", "null"), lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": "message-0"}, {"itemIdentifier": "message-1"}]}
    assert ordering.orders.scan() == []


# -- notification ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes", [{"cardInfo": CARD}, {"email": "ann@example.com\r\nBcc: all@example.com"}, {"items": []}]
)
def test_notification_refuses_an_invalid_event_so_lambda_retries_it_and_no_email_is_sent(
    function_module, lambda_context, logs_of, changes
):
    notification = function_module(NOTIFICATION_FUNCTION)
    logs = logs_of(notification)
    event = load_event("checkout_basket_event")
    event["detail"] |= changes

    # The exception fails the invocation before SES is called (AWS is out of reach here: an email attempt would fail differently)
    with pytest.raises(BrokenContract, match="contract"):
        notification.lambda_handler(event, lambda_context)
    assert [line["message"] for line in logs()] == ["not a valid CheckoutBasket event; no email sent"]
    assert CARD not in json.dumps(logs())


def test_the_events_in_the_event_files_keep_the_contract():
    check_checkout(load_event("checkout_basket_event")["detail"])


# -- invoice ----------------------------------------------------------------------------------------------
@pytest.fixture
def invoice(function_module, monkeypatch):
    handler = function_module(INVOICE_FUNCTION)
    orders = InMemoryTable("userName", "orderDate")
    orders.put(
        {
            "userName": "ann",
            "orderDate": "2026-12-02T00:00:00.123Z",
            "items": [{"productId": "p1", "productName": "Pen", "price": Decimal("1.25"), "quantity": Decimal(4)}],
            "totalPrice": Decimal("5.00"),
        }
    )
    monkeypatch.setattr(handler, "orders", orders)
    return handler


def test_the_invoice_of_an_order(invoice, lambda_context):
    result = invoice.lambda_handler(
        {"userName": "ann", "request": {"orderDate": "2026-12-02T00:00:00.123Z"}}, lambda_context
    )

    assert result["userName"] == "ann" and result["total"] == 5 and result["invoiceNumber"].startswith("INV-")


@pytest.mark.parametrize(
    "event, error",
    [
        ({"userName": "ann", "request": {"orderDate": "2020-01-01"}}, NotFound),
        ({"userName": "ann", "request": {"orderDate": ""}}, InvalidInput),
        ({"userName": "ann", "request": {"orderDate": "x", "extra": 1}}, InvalidInput),
        ({"userName": "\ud800", "request": {"orderDate": "x"}}, InvalidInput),
    ],
    ids=["no-such-order", "empty-date", "unknown-field", "lone-surrogate-user"],
)
def test_invoice_errors_are_raised_as_their_class(invoice, lambda_context, event, error):
    # API Gateway's integration turns the raised error into the answer's status.
    with pytest.raises(error):
        invoice.lambda_handler(event, lambda_context)


# -- product images ------------------------------------------------------------------------------------------
def test_image_updater_poison_records_fail_alone_before_any_write(function_module, lambda_context):
    updater = function_module(IMAGE_UPDATER_FUNCTION)

    response = updater.lambda_handler(sqs_event("{not json", json.dumps({"productId": "p-1"})), lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": "message-0"}, {"itemIdentifier": "message-1"}]}


def test_image_metadata_fails_the_invocation_when_the_object_cannot_be_read(function_module, lambda_context):
    # S3 retries an asynchronous invocation that fails: nothing is queued, nothing is lost.
    metadata = function_module(
        IMAGE_METADATA_FUNCTION, queue_urls={IMAGE_METADATA_QUEUE.name: f"{UNREACHABLE}/000000000000/image-metadata"}
    )
    with pytest.raises(EndpointConnectionError):
        metadata.lambda_handler(load_event("s3_object_created"), lambda_context)
