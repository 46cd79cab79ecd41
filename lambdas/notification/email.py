"""The order confirmation email, as plain text from a CheckoutBasket event's detail."""

from decimal import Decimal

from shared import money


def confirmation(detail: dict) -> tuple[str, str]:
    lines = [
        f"Hello {detail['firstName']},",
        "",
        f"thank you for your order {detail['checkoutId']}.",
        "",
    ]
    for item in detail["items"]:
        amount = money.amount(Decimal(str(item["price"])), int(item["quantity"]))
        lines.append(f"  {item['quantity']} x {item.get('productName') or item['productId']}  {amount:.2f}")
    lines += [
        "",
        f"Total: {Decimal(str(detail['totalPrice'])):.2f}",
        f"Paid with the card ending in {detail['cardLast4']}.",
        f"Delivery to: {detail['address']}",
    ]
    return f"Your order {detail['checkoutId']}", "\n".join(lines)
