"""Product rules, free of HTTP and of AWS: `products` is the table (product/store.py says what it needs)."""

import uuid

from product.store import Products
from shared import pagination
from shared.errors import NotFound


def list_products(products: Products, page: pagination.PageRequest, category: str | None = None) -> dict:
    """One page of the products, of one category if given (a list of its own: its tokens resume only it)."""
    list_name, filters = (f"product category={category}", {"category": category}) if category else ("product", {})
    return pagination.read_page(products, page, list_name, filters)


def get_product(products: Products, product_id: str) -> dict:
    product = products.get(product_id)
    if product is None:
        raise NotFound(f"product {product_id} not found")
    return product


def create_product(products: Products, data: dict) -> dict:
    product = data | {"id": str(uuid.uuid4())}  # the server owns ids
    products.put(product)
    return product


def get_product_in_category(products: Products, product_id: str, category: str) -> list[dict]:
    """GET /product/{id}?category=, as the reference app answers it: a list holding the product if
    its category contains the given text, else an empty list."""
    product = products.get(product_id)
    return [product] if product is not None and category in product.get("category", "") else []


def update_product(products: Products, product_id: str, changes: dict) -> dict:
    """Changes only the given fields (the reference app sends just what changed, {"price": 899})."""
    product = products.update(product_id, {name: value for name, value in changes.items() if name != "id"})
    if product is None:
        raise NotFound(f"product {product_id} not found")
    return product


def delete_product(products: Products, product_id: str) -> None:
    if not products.delete(product_id):
        raise NotFound(f"product {product_id} not found")
