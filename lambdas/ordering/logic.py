"""Order rules, free of HTTP and of AWS: `orders` is the table (ordering/store.py says what it needs)."""

from decimal import Decimal

from ordering.store import Orders
from shared import pagination
from shared.errors import InvalidInput, NotFound


def list_orders(orders: Orders, page: pagination.PageRequest) -> dict:
    """One page of all users' orders."""
    return pagination.read_page(orders, page, "order")


def get_orders(orders: Orders, user_name: str, order_date: str | None = None) -> list[dict]:
    """A user's orders, newest first; with order_date, just that one (404 if there is none)."""
    if order_date == "":
        raise InvalidInput(
            "orderDate must not be empty", [{"field": "orderDate", "message": "give an ISO-8601 date or leave it out"}]
        )
    found = orders.query(user_name, "orderDate", order_date)
    if order_date is not None and not found:
        raise NotFound(f"no order of user {user_name} at {order_date}")
    return sorted(found, key=lambda order: order["orderDate"], reverse=True)


ORDER_FIELDS = (
    "userName",
    "checkoutId",
    "items",
    "totalPrice",
    "firstName",
    "lastName",
    "email",
    "address",
    "paymentMethod",
    "cardLast4",
)


def order_from_checkout(checkout: dict) -> dict:
    """The order a CheckoutBasket event's detail becomes. Its orderDate is the checkout's time, so a
    redelivered event names the same order rather than a new one."""
    missing = [field for field in (*ORDER_FIELDS, "checkedOutAt") if field not in checkout]
    if missing:
        raise ValueError(f"checkout event lacks {', '.join(missing)}")
    order = {field: checkout[field] for field in ORDER_FIELDS} | {
        "orderDate": checkout["checkedOutAt"],
        "status": "PLACED",
    }
    # The event carries money as decimal text (see basket.logic.checkout_event); the order stores numbers.
    order["items"] = [item | {"price": _money(item["price"])} for item in checkout["items"]]
    order["totalPrice"] = _money(checkout["totalPrice"])
    return order


def _money(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))
