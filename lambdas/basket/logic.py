"""Basket rules, free of HTTP and of AWS: `baskets` is anything with the KeyValueTable methods and
`publish_checkout` any callable that publishes one CheckoutBasket event's detail."""

import uuid
from datetime import datetime, timezone
from decimal import Decimal

from shared.errors import InvalidInput, NotFound

def list_baskets(baskets) -> list[dict]:
    return baskets.scan()


def get_basket(baskets, user_name: str) -> dict:
    basket = baskets.get(user_name)
    if basket is None:
        raise NotFound(f"no basket for user {user_name}")
    return basket


def save_basket(baskets, basket: dict) -> dict:
    baskets.put(basket)
    return basket


def delete_basket(baskets, user_name: str) -> None:
    if not baskets.delete(user_name):
        raise NotFound(f"no basket for user {user_name}")


def total_price(items: list[dict]) -> Decimal:
    """Price times quantity, summed exactly (the original ignored quantity)."""
    return sum((Decimal(item["price"]) * Decimal(item["quantity"]) for item in items), Decimal(0))


def checkout_event(basket: dict, request: dict, checkout_id: str, correlation_id: str | None) -> dict:
    """The CheckoutBasket event's detail. The card number stays here: only its last four digits travel."""
    detail = {key: request[key] for key in ("userName", "firstName", "lastName", "email", "address", "paymentMethod")}
    detail |= {
        "checkoutId": checkout_id,
        "cardLast4": request["cardInfo"][-4:],
        "items": basket["items"],
        "totalPrice": total_price(basket["items"]),
        "checkedOutAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "correlationId": correlation_id,
    }
    if request.get("faultInjection"):
        detail["faultInjection"] = {"key": checkout_id} | request["faultInjection"]
    return detail


def checkout(baskets, publish_checkout, request: dict, correlation_id: str | None = None) -> dict:
    """Publishes exactly one CheckoutBasket event, then empties the basket. If publishing fails the
    basket stays (ServiceUnavailable); the order itself is written later, by the ordering service."""
    basket = get_basket(baskets, request["userName"])
    if not basket.get("items"):
        raise InvalidInput("the basket is empty", [{"field": "items", "message": "nothing to check out"}])
    checkout_id = str(uuid.uuid4())
    publish_checkout(checkout_event(basket, request, checkout_id, correlation_id))
    baskets.delete(request["userName"])
    return {"checkoutId": checkout_id}
