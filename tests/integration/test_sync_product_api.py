"""Synchronous path: API Gateway -> product function -> DynamoDB, over real HTTP."""

import json

import pytest

from client.shop import Shop


def test_create_returns_201_with_the_generated_id_and_the_product_reads_back(http, product_api, create_product):
    created = create_product(name="Fountain pen", price=129.95)

    fetched = http.get(f"{product_api}/product/{created['id']}")

    assert created["id"]
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_price_survives_exactly_as_sent(http, product_api, create_product):
    created = create_product(price=19.99)

    raw = http.get(f"{product_api}/product/{created['id']}").text

    assert '"price":19.99' in raw


def test_list_filters_by_category(http, product_api, create_product, user_name):
    category = f"cat-{user_name}"
    mine = create_product(category=category)
    create_product(category="other")

    listed = Shop(session=http).products(category=category)

    assert [p["id"] for p in listed] == [mine["id"]]


def test_update_returns_200_and_changes_the_product(http, product_api, create_product):
    created = create_product()
    change = {"name": "Notebook XL", "category": "office", "price": 7}

    updated = http.put(f"{product_api}/product/{created['id']}", json=change)

    assert updated.status_code == 200
    assert updated.json() == created | change, "the given fields change, the others stay"
    assert http.get(f"{product_api}/product/{created['id']}").json()["name"] == "Notebook XL"


def test_delete_returns_204_then_the_product_is_gone(http, product_api, create_product):
    created = create_product()

    deleted = http.delete(f"{product_api}/product/{created['id']}")

    assert deleted.status_code == 204
    assert http.get(f"{product_api}/product/{created['id']}").status_code == 404


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_missing_product_is_404_with_a_json_message(http, product_api, method):
    body = {"name": "x", "category": "y", "price": 1} if method == "put" else None

    response = http.request(method, f"{product_api}/product/does-not-exist", json=body)

    assert response.status_code == 404
    assert "not found" in response.json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        json.dumps({"name": "Pen", "category": "office"}),
        json.dumps({"name": "Pen", "category": "office", "price": "1.00"}),
        json.dumps({"name": "Pen", "category": "office", "price": -0.01}),
        json.dumps({"name": 42, "category": "office", "price": 1}),
        json.dumps({"name": "Pen", "category": "office", "price": 1, "description": "x" * 70_000}),
        "",
    ],
    ids=["malformed", "missing-field", "wrong-type", "negative-price", "wrong-name-type", "oversized", "empty"],
)
def test_invalid_input_is_400_with_message_and_errors_never_500(http, product_api, body):
    response = http.post(f"{product_api}/product", data=body)

    assert response.status_code == 400, response.text
    error = response.json()
    assert error["message"]
    assert isinstance(error["errors"], list) and error["errors"]
    assert "Traceback" not in response.text


def test_unknown_route_is_404_and_unknown_method_is_405(http, product_api):
    unknown_route = http.get(f"{product_api}/no/such/route")
    unknown_method = http.patch(f"{product_api}/product")

    assert unknown_route.status_code == 404
    assert unknown_route.json()["message"]
    assert unknown_method.status_code == 405
    assert unknown_method.headers["Allow"] == "GET, POST"
