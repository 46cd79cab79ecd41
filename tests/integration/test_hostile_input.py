"""Hand-written hostile requests: never a 5xx, and every 4xx carries the JSON error shape."""

import json

import pytest


def assert_client_error(response, status: int = 400):
    assert response.status_code == status, response.text
    assert isinstance(response.json()["message"], str)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
        b'\xff\xfe{"name": "Pen"}',
        b'{"name": "Pen", "category": "office", "price": 1e400}',
        b'{"name": "Pen", "category": "office", "price": ' + b"9" * 5000 + b"}",
        '{"name": "Pen", "category": "office", "price": 1, "n\u00e9v": "x"}'.encode(),
        b'{"name": "Pen", "category": "office", "price": NaN}',
        b"null",
        b'"just a string"',
    ],
    ids=[
        "nested-arrays",
        "nested-objects",
        "not-utf8",
        "huge-float",
        "huge-int",
        "unicode-key",
        "nan",
        "null",
        "string",
    ],
)
def test_hostile_bodies_are_400_with_the_error_shape(http, product_api, body):
    assert_client_error(http.post(f"{product_api}/product", data=body))


def test_unicode_values_round_trip(http, product_api, create_product):
    created = create_product(name="Füllfederhalter 万年筆 ✒️")

    assert http.get(f"{product_api}/product/{created['id']}").json()["name"] == "Füllfederhalter 万年筆 ✒️"


@pytest.mark.parametrize("path", ["a%2Fb", "..%2F..%2Fetc", "%00", "%F0%9F%98%80", "x" * 2000])
def test_odd_path_parameters_are_404_with_the_error_shape(http, product_api, path):
    assert_client_error(http.get(f"{product_api}/product/{path}"), status=404)


def test_odd_user_names_in_paths_are_answered_without_5xx(http, basket_api, order_api):
    for url in (f"{basket_api}/basket/%2F%2F", f"{order_api}/order/%E2%9C%92", f"{order_api}/order/a%2Fb"):
        response = http.get(url)
        assert response.status_code < 500, (url, response.text)
        json.loads(response.text)
