"""The OpenAPI document is valid, and request validation follows it."""

import json
from decimal import Decimal

import pytest
import yaml
from openapi_spec_validator import validate

from infra.paths import OPENAPI_DOCUMENT
from shared import api_contract as contract
from shared.errors import InvalidInput


def test_openapi_document_is_valid_openapi_3():
    validate(yaml.safe_load(OPENAPI_DOCUMENT.read_text()))


def test_valid_body_parses_with_exact_decimals():
    data = contract.parse_body('{"name": "Pen", "category": "office", "price": 19.99}', "ProductInput")
    assert data["price"] == Decimal("19.99")


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "required"),
        ("{not json", "not valid JSON"),
        (json.dumps({"name": "Pen", "category": "office"}), "schema"),
        (json.dumps({"name": "Pen", "category": "office", "price": "cheap"}), "schema"),
        (json.dumps({"name": "Pen", "category": "office", "price": -1}), "schema"),
        (json.dumps({"name": "Pen", "category": "office", "price": 1, "extra": True}), "schema"),
        (json.dumps({"name": "x" * 70000, "category": "office", "price": 1}), "too large"),
    ],
)
def test_invalid_bodies_are_refused_with_a_reason(body, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        contract.parse_body(body, "ProductInput")
    assert refused.value.errors


def test_basket_items_need_a_positive_whole_quantity():
    body = {"userName": "ann", "items": [{"productId": "p1", "price": 1, "quantity": 0}]}
    with pytest.raises(InvalidInput):
        contract.parse_body(json.dumps(body), "Basket")


def test_allowed_methods_come_from_the_contract():
    assert contract.allowed_methods("/product/{id}") == ["DELETE", "GET", "PUT"]
    assert contract.allowed_methods("/{proxy+}") == []


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_not_json(constant):
    with pytest.raises(InvalidInput, match="not valid JSON"):
        contract.parse_body(f'{{"name": "Pen", "category": "office", "price": {constant}}}', "ProductInput")


@pytest.mark.parametrize(
    "price", ["1.1125369292536007e-308", "5.907349098994989e-132", "1.000000000000000000000000000000000000001"]
)
def test_numbers_dynamodb_cannot_store_exactly_are_refused(price):
    with pytest.raises(InvalidInput, match="out of range"):
        contract.parse_body(f'{{"name": "Pen", "category": "office", "price": {price}}}', "ProductInput")


# -- the reference app's requests (awsrun/aws-microservices), accepted with the same meaning ---------
REFERENCE_PRODUCT = {
    "name": "IPhone X",
    "description": "This phone is the company's biggest change",
    "imageFile": "product-1.png",
    "price": 950.40,
    "category": "Phone",
}
REFERENCE_BASKET = {
    "userName": "swn",
    "items": [{"quantity": 2, "color": "Red", "price": 950, "productId": "1", "productName": "IPhone X"}],
}
REFERENCE_CHECKOUT = {
    "userName": "swn",
    "totalPrice": 0,
    "firstName": "swn",
    "lastName": "swn",
    "email": "swn@swn.com",
    "address": "istanbul",
    "cardInfo": "5554443322",
    "paymentMethod": 1,
}


def test_the_reference_apps_product_is_a_valid_product():
    assert contract.parse_body(json.dumps(REFERENCE_PRODUCT), "ProductInput")["price"] == Decimal("950.4")


def test_a_partial_product_update_needs_only_the_changed_fields_and_at_least_one():
    assert contract.parse_body('{"price": 899}', "ProductUpdate") == {"price": 899}
    for body in ("{}", '{"price": 899, "colour": "red"}', '{"id": "other"}'):
        with pytest.raises(InvalidInput, match="schema"):
            contract.parse_body(body, "ProductUpdate")


def test_the_reference_apps_basket_items_with_product_name_and_color_are_valid():
    assert contract.parse_body(json.dumps(REFERENCE_BASKET), "Basket")["items"][0]["color"] == "Red"


@pytest.mark.parametrize("payment_method", [1, 3, "1", "2"])
def test_checkout_takes_the_payment_method_as_number_or_string_and_a_total_price(payment_method):
    request = contract.parse_body(json.dumps(REFERENCE_CHECKOUT | {"paymentMethod": payment_method}), "CheckoutRequest")
    assert request["totalPrice"] == 0


@pytest.mark.parametrize(
    "change",
    [{"paymentMethod": "card"}, {"paymentMethod": 4}, {"paymentMethod": "4"}, {"discount": 5}, {"cardInfo": "4111"}],
)
def test_checkout_still_refuses_unknown_fields_and_bad_values(change):
    with pytest.raises(InvalidInput, match="schema"):
        contract.parse_body(json.dumps(REFERENCE_CHECKOUT | change), "CheckoutRequest")


# -- unstorable text ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "schema, body, field",
    [
        ("ProductInput", '{"name": "\\ud800", "category": "office", "price": 1}', "name"),
        ("ProductUpdate", '{"description": "ok \\udfff"}', "description"),
        (
            "Basket",
            '{"userName": "ann", "items": [{"productId": "p1", "productName": "\\ud83d", "price": 1, "quantity": 1}]}',
            "items[0].productName",
        ),
        ("CheckoutRequest", json.dumps(REFERENCE_CHECKOUT)[:-1] + ', "address": "\\udc00"}', "address"),
        ("InvoiceRequest", '{"orderDate": "2024\\ud800"}', "orderDate"),
        ("ProductInput", '{"\\ud800": 1}', "\\ud800"),
    ],
)
def test_lone_surrogates_are_refused_naming_the_field(schema, body, field):
    with pytest.raises(InvalidInput, match="cannot be stored") as refused:
        contract.parse_body(body, schema)
    assert refused.value.errors[0]["field"] == field
    assert field in str(refused.value), "the message names it too (the invoice's integration shows only the message)"


def test_a_surrogate_pair_is_ordinary_text():
    assert (
        contract.parse_body('{"name": "\\ud83d\\ude00", "category": "office", "price": 1}', "ProductInput")["name"]
        == "\U0001f600"
    )


@pytest.mark.parametrize(
    "path, query, field",
    [
        ({"id": "\ud800"}, {}, "id"),
        ({"id": "x" * 2049}, {}, "id"),
        ({"userName": "ann"}, {"orderDate": "x" * 1025}, "orderDate"),
    ],
)
def test_parameters_dynamodb_cannot_store_or_look_up_are_refused_naming_them(path, query, field):
    with pytest.raises(InvalidInput, match="request parameter") as refused:
        contract.refuse_unstorable_parameters(path, query)
    assert refused.value.errors[0]["field"] == field
    contract.refuse_unstorable_parameters(
        {"id": "x" * 2048}, {"orderDate": "x" * 1024}
    )  # the limits themselves are fine


# -- exact money ----------------------------------------------------------------------------------------
AT_THE_LIMIT = "999999999.12345678901234567890123456789"  # 38 significant digits, DynamoDB's most


def test_money_keeps_38_significant_digits_exactly_and_refuses_39_naming_the_field():
    assert (
        str(
            contract.parse_body(f'{{"name": "Pen", "category": "office", "price": {AT_THE_LIMIT}}}', "ProductInput")[
                "price"
            ]
        )
        == AT_THE_LIMIT
    )
    with pytest.raises(InvalidInput, match="out of range") as refused:
        contract.parse_body(f'{{"name": "Pen", "category": "office", "price": {AT_THE_LIMIT}1}}', "ProductInput")
    assert refused.value.errors[0]["field"] == "price"


def test_json_is_written_without_float_rounding():
    from shared.http import to_json

    written = to_json(
        {"price": Decimal(AT_THE_LIMIT), "total": Decimal("123456789.123456789"), "n": Decimal(8), "text": "\ue000"}
    )

    assert written == f'{{"price":{AT_THE_LIMIT},"total":123456789.123456789,"n":8,"text":"\\ue000"}}'
    assert json.loads(written, parse_float=Decimal)["price"] == Decimal(AT_THE_LIMIT)


@pytest.mark.parametrize("price", ["1000000000.00000000000000000001", "-0.00000000000000000000000000001"])
def test_money_bounds_are_checked_on_the_exact_value(price):
    # As floats both would be 1e9 and -0.0, inside 0..1000000000.
    with pytest.raises(InvalidInput, match="schema"):
        contract.parse_body(f'{{"name": "Pen", "category": "office", "price": {price}}}', "ProductInput")
    assert (
        contract.parse_body('{"name": "Pen", "category": "office", "price": 1000000000.000}', "ProductInput")["price"]
        == 1000000000
    )


@pytest.mark.parametrize("quantity, whole", [("1.0", "1"), ("1E+2", "100"), ("2.000", "2")])
def test_whole_numbers_written_as_decimals_are_integers_and_come_back_as_integers(quantity, whole):
    body = f'{{"userName": "ann", "items": [{{"productId": "p1", "price": 1.50, "quantity": {quantity}}}]}}'

    item = contract.parse_body(body, "Basket")["items"][0]

    assert str(item["quantity"]) == whole
    assert str(item["price"]) == "1.50", "money keeps the digits it was given"


@pytest.mark.parametrize("quantity", ["1.5", "1.0000000000000000000000000001", "1E+3000", "1E+999999999"])
def test_an_integer_field_refuses_fractions_and_huge_exponents(quantity):
    body = f'{{"userName": "ann", "items": [{{"productId": "p1", "price": 1, "quantity": {quantity}}}]}}'
    with pytest.raises(InvalidInput):
        contract.parse_body(body, "Basket")


def test_a_checkout_names_its_user_as_a_basket_does():
    request = {
        "userName": "a#b",
        "firstName": "A",
        "lastName": "B",
        "email": "a@b.c",
        "address": "x",
        "paymentMethod": 1,
        "cardInfo": "4111111111111111",
    }
    with pytest.raises(InvalidInput, match=r"userName|pattern"):
        contract.parse_body(json.dumps(request), "CheckoutRequest")
    assert (
        contract.parse_body(json.dumps(request | {"userName": "a.b@c_d-1"}), "CheckoutRequest")["userName"]
        == "a.b@c_d-1"
    )


def test_the_largest_basket_the_contract_accepts_has_a_total_the_order_schema_accepts():
    # Fuzzing found an order total of 9.2e11 answered against a Money maximum of 1e9: totals are Total.
    document = yaml.safe_load(OPENAPI_DOCUMENT.read_text())
    schemas = document["components"]["schemas"]
    item = schemas["BasketItem"]["properties"]
    largest = (
        Decimal(schemas["Money"]["maximum"])
        * item["quantity"]["maximum"]
        * schemas["Basket"]["properties"]["items"]["maxItems"]
    )
    order = {"userName": "ann", "orderDate": "2026-01-01T00:00:00.000Z", "items": [], "totalPrice": largest}
    contract.check(order, "Order")
    contract.check(
        {"invoiceNumber": "INV-1", "userName": "ann", "orderDate": order["orderDate"], "lines": [], "total": largest},
        "Invoice",
    )
