"""Product rules, free of HTTP and of AWS: `products` is anything with the KeyValueTable methods."""

import uuid

from shared.errors import NotFound


def list_products(products, category: str | None = None) -> list[dict]:
    return products.scan(category=category) if category else products.scan()


def get_product(products, product_id: str) -> dict:
    product = products.get(product_id)
    if product is None:
        raise NotFound(f"product {product_id} not found")
    return product


def create_product(products, data: dict) -> dict:
    product = data | {"id": str(uuid.uuid4())}  # the server owns ids
    products.put(product)
    return product


def update_product(products, product_id: str, data: dict) -> dict:
    product = data | {"id": product_id}
    if not products.replace(product):
        raise NotFound(f"product {product_id} not found")
    return product


def delete_product(products, product_id: str) -> None:
    if not products.delete(product_id):
        raise NotFound(f"product {product_id} not found")
