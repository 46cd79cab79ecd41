"""The OpenAPI document is valid, and request validation follows it."""

import json
from decimal import Decimal

import pytest
import yaml
from openapi_spec_validator import validate

from shared import contract
from shared.errors import InvalidInput
from shop.resources import OPENAPI_DOCUMENT


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


@pytest.mark.parametrize("price", ["1.1125369292536007e-308", "5.907349098994989e-132", "1.000000000000000000000000000000000000001"])
def test_numbers_dynamodb_cannot_store_exactly_are_refused(price):
    with pytest.raises(InvalidInput, match="out of range"):
        contract.parse_body(f'{{"name": "Pen", "category": "office", "price": {price}}}', "ProductInput")
