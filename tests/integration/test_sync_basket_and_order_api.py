"""Synchronous path for the basket and order services."""

from decimal import Decimal

import pytest

from client.shop import Shop
from infra.aws import client
from infra.stack import ORDER_TABLE


@pytest.fixture
def basket(user_name):
    return {
        "userName": user_name,
        "items": [
            {"productId": "p-1", "productName": "Pen", "price": 1.25, "quantity": 4, "color": "blue"},
            {"productId": "p-2", "productName": "Ink", "price": 3.5, "quantity": 1, "color": "black"},
        ],
    }


def test_basket_is_saved_read_listed_and_deleted(http, basket_api, basket, user_name):
    saved = http.post(f"{basket_api}/basket", json=basket)
    read = http.get(f"{basket_api}/basket/{user_name}")
    listed = Shop(session=http).baskets()
    deleted = http.delete(f"{basket_api}/basket/{user_name}")
    gone = http.get(f"{basket_api}/basket/{user_name}")

    assert saved.status_code == 201 and saved.json() == basket
    assert read.status_code == 200 and read.json() == basket
    assert user_name in [b["userName"] for b in listed]
    assert deleted.status_code == 204
    assert gone.status_code == 404


def test_deleting_a_missing_basket_is_404(http, basket_api, user_name):
    assert http.delete(f"{basket_api}/basket/{user_name}").status_code == 404


@pytest.mark.parametrize(
    "change",
    [{"items": [{"productId": "p", "price": 1, "quantity": -1}]}, {"items": "none"}, {"userName": ""}],
    ids=["negative-quantity", "items-not-a-list", "empty-user"],
)
def test_invalid_basket_is_400(http, basket_api, basket, change):
    response = http.post(f"{basket_api}/basket", json=basket | change)

    assert response.status_code == 400
    assert response.json()["errors"]


def test_orders_of_a_user_are_listed_and_one_is_selected_by_date(http, order_api, user_name):
    table = client("dynamodb")
    for date, total in (("2026-11-01T10:00:00Z", "12.50"), ("2026-11-02T10:00:00Z", "3")):
        order = {"userName": {"S": user_name}, "orderDate": {"S": date}, "totalPrice": {"N": total}, "items": {"L": []}}
        table.put_item(TableName=ORDER_TABLE.name, Item=order)

    mine = http.get(f"{order_api}/order/{user_name}")
    one = http.get(f"{order_api}/order/{user_name}", params={"orderDate": "2026-11-01T10:00:00Z"})
    none = http.get(f"{order_api}/order/{user_name}", params={"orderDate": "1999-01-01T00:00:00Z"})
    everyone = Shop(session=http).all_orders()

    assert [o["orderDate"] for o in mine.json()] == ["2026-11-02T10:00:00Z", "2026-11-01T10:00:00Z"]
    assert Decimal(str(one.json()[0]["totalPrice"])) == Decimal("12.50")
    assert none.status_code == 404
    assert {o["userName"] for o in everyone} >= {user_name}
