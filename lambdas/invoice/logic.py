"""Invoices from orders, free of AWS: `orders` is anything with KeyValueTable.query."""

from shared import money
from shared.errors import NotFound


def invoice_for(orders, user_name: str, order_date: str) -> dict:
    found = orders.query(user_name, "orderDate", order_date)
    if not found:
        raise NotFound(f"no order of user {user_name} at {order_date}")
    order = found[0]
    lines = [
        {
            "productId": item["productId"],
            "productName": item.get("productName", ""),
            "quantity": item["quantity"],
            "price": item["price"],
            "amount": money.amount(item["price"], item["quantity"]),
        }
        for item in order["items"]
    ]
    return {
        "invoiceNumber": f"INV-{order.get('checkoutId') or order_date}",
        "userName": user_name,
        "orderDate": order_date,
        "lines": lines,
        "total": money.total(line["amount"] for line in lines),
    }
