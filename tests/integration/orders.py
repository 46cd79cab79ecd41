"""CheckoutBasket events as the ordering function receives them, and reading a user's orders through
the order API, for the tests of every path that ends in one."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from basket.logic import checkout_event as checkout_detail
from client import deadlines
from client.shop import checkout_request
from client.waiting import eventually
from infra.stack import CHECKOUT_DETAIL_TYPE, CHECKOUT_SOURCE
from shared.event_contract import check_checkout


def checkout_event(user_name: str) -> dict:
    """A CheckoutBasket event as EventBridge puts it on OrderQueue: the basket's own detail (so the
    tests never keep a copy of its shape), checked against the event contract."""
    basket = {
        "userName": user_name,
        "items": [{"productId": "p-1", "productName": "Pen", "price": Decimal("1.25"), "quantity": 2}],
    }
    checked_out_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    detail = checkout_detail(basket, checkout_request(user_name), str(uuid.uuid4()), None, checked_out_at)
    check_checkout(detail)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": CHECKOUT_DETAIL_TYPE,
        "source": CHECKOUT_SOURCE,
        "detail": detail,
    }


def orders_of(http, order_api, user_name: str) -> list[dict]:
    response = http.get(f"{order_api}/order/{user_name}")
    assert response.status_code == 200, response.text
    return response.json()


def exactly_one_order(http, order_api, user_name: str, timeout: float = deadlines.ORDER) -> dict:
    orders = eventually(lambda: orders_of(http, order_api, user_name), timeout=timeout, what=f"an order of {user_name}")
    assert len(orders) == 1, orders
    return orders[0]
