"""Reading a user's orders through the order API, for the tests of every path that ends in one."""

from client import deadlines
from client.waiting import eventually


def orders_of(http, order_api, user_name: str) -> list[dict]:
    response = http.get(f"{order_api}/order/{user_name}")
    assert response.status_code == 200, response.text
    return response.json()


def exactly_one_order(http, order_api, user_name: str, timeout: float = deadlines.ORDER) -> dict:
    orders = eventually(lambda: orders_of(http, order_api, user_name), timeout=timeout, what=f"an order of {user_name}")
    assert len(orders) == 1, orders
    return orders[0]
