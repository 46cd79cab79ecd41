"""The reference app's requests (awsrun/aws-microservices) over HTTP, with the same meaning; unknown
fields still 400; text DynamoDB cannot store is 400 naming the field in every operation; money exact
from request to event to order to response."""

import json
from decimal import Decimal

import pytest

from client.shop import checkout_request
from tests.integration.orders import exactly_one_order

AT_THE_LIMIT = "999999999.12345678901234567890123456789"  # 38 significant digits, DynamoDB's most


def test_reference_product_partial_put_and_get_with_category(http, product_api, create_product):
    created = create_product(
        name="IPhone X",
        description="This phone is the company's biggest change",
        imageFile="product-1.png",
        price=950.40,
        category="Phone",
    )

    updated = http.put(f"{product_api}/product/{created['id']}", json={"price": 899})
    in_category = http.get(f"{product_api}/product/{created['id']}", params={"category": "Phone"})
    elsewhere = http.get(f"{product_api}/product/{created['id']}", params={"category": "Laptop"})

    assert updated.status_code == 200, updated.text
    assert updated.json() == created | {"price": 899}, "only the price changed"
    assert http.get(f"{product_api}/product/{created['id']}").json() == created | {"price": 899}
    assert (in_category.status_code, in_category.json()) == (200, [created | {"price": 899}])
    assert (elsewhere.status_code, elsewhere.json()) == (200, [])


def test_reference_basket_and_checkout_with_a_string_payment_method_and_a_total_price(
    http, basket_api, order_api, user_name
):
    basket = {
        "userName": user_name,
        "items": [{"quantity": 2, "color": "Red", "price": 950, "productId": "1", "productName": "IPhone X"}],
    }
    request = checkout_request(user_name, paymentMethod="1", totalPrice=0, cardInfo="5554443322")

    saved = http.post(f"{basket_api}/basket", json=basket)
    accepted = http.post(f"{basket_api}/basket/checkout", json=request)

    assert saved.status_code == 201 and saved.json() == basket
    assert accepted.status_code == 202, accepted.text
    order = exactly_one_order(http, order_api, user_name)
    assert order["paymentMethod"] == 1, "the same meaning as the number"
    assert order["totalPrice"] == 1900, "recomputed from the basket, not the client's 0"
    assert order["items"] == basket["items"]
    assert order["cardLast4"] == "3322" and "5554443322" not in json.dumps(order)


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/product", {"name": "Pen", "category": "office", "price": 1, "colour": "red"}),
        ("put", "/product/{id}", {"price": 899, "colour": "red"}),
        ("post", "/basket", {"userName": "ann", "items": [], "discount": 5}),
        ("post", "/basket/checkout", checkout_request("ann", discount=5)),
    ],
    ids=["createProduct", "updateProduct", "saveBasket", "checkoutBasket"],
)
def test_unknown_fields_are_still_400(http, product_api, basket_api, create_product, method, path, body):
    base = basket_api if path.startswith("/basket") else product_api
    path = path.replace("{id}", create_product()["id"]) if "{id}" in path else path

    response = http.request(method, f"{base}{path}", json=body)

    assert response.status_code == 400, response.text
    unknown = "colour" if "colour" in body else "discount"
    assert f"must not contain {{'{unknown}'}}" in response.json()["message"]


@pytest.mark.parametrize(
    "operation, method, path, body, field",
    [
        ("createProduct", "post", "/product", '{"name": "\\ud800", "category": "office", "price": 1}', "name"),
        ("updateProduct", "put", "/product/{id}", '{"description": "\\udfff"}', "description"),
        (
            "saveBasket",
            "post",
            "/basket",
            '{"userName": "ann", "items": [{"productId": "\\ud83d", "price": 1, "quantity": 1}]}',
            "items[0].productId",
        ),
        (
            "checkoutBasket",
            "post",
            "/basket/checkout",
            json.dumps(checkout_request("ann"))[:-1] + ', "address": "\\udc00"}',
            "address",
        ),
        ("generateInvoice", "post", "/order/ann/invoice", '{"orderDate": "2024\\ud800"}', "orderDate"),
    ],
    ids=lambda value: (
        value if isinstance(value, str) and value[:1].islower() and "/" not in value and "{" not in value else None
    ),
)
def test_lone_surrogates_are_400_at_once_naming_the_field(
    http, product_api, basket_api, order_api, create_product, operation, method, path, body, field
):
    base = {"/product": product_api, "/basket": basket_api, "/order/": order_api}
    url = next(b for prefix, b in base.items() if path.startswith(prefix)) + path.replace(
        "{id}", create_product()["id"] if "{id}" in path else ""
    )

    response = http.request(method, url, data=body.encode())

    assert response.status_code == 400, response.text
    assert field in response.json()["message"]
    assert response.elapsed.total_seconds() < 5, "refused before any DynamoDB call, not after the client's retries"


def test_money_is_exact_from_request_to_event_to_order_to_response(
    http, product_api, basket_api, order_api, create_product, user_name
):
    product = http.post(
        f"{product_api}/product", data=f'{{"name": "Pen", "category": "office", "price": {AT_THE_LIMIT}}}'
    )
    price = "123456789.123456789"
    basket = f'{{"userName": "{user_name}", "items": [{{"productId": "p", "price": {price}, "quantity": 3}}]}}'

    assert http.post(f"{basket_api}/basket", data=basket).status_code == 201
    assert http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name)).status_code == 202

    assert product.status_code == 201, product.text
    assert json.loads(product.text, parse_float=Decimal)["price"] == Decimal(AT_THE_LIMIT)
    stored = http.get(f"{product_api}/product/{product.json()['id']}")
    assert json.loads(stored.text, parse_float=Decimal)["price"] == Decimal(AT_THE_LIMIT)
    http.delete(f"{product_api}/product/{product.json()['id']}")
    exactly_one_order(http, order_api, user_name)
    order = json.loads(http.get(f"{order_api}/order/{user_name}").text, parse_float=Decimal)[0]
    assert order["items"][0]["price"] == Decimal(price)
    assert order["totalPrice"] == Decimal("370370367.370370367")


def test_a_39_digit_price_is_400_naming_the_field(http, product_api):
    response = http.post(
        f"{product_api}/product", data=f'{{"name": "Pen", "category": "office", "price": {AT_THE_LIMIT}1}}'
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "price"
