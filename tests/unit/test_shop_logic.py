"""The services' domain rules, called directly with an in-memory table."""

from decimal import Decimal

import pytest

from basket import logic as basket
from ordering import logic as ordering
from product import logic as product
from shared.errors import NotFound
from shared.pagination import PageRequest
from tests.unit.in_memory_table import InMemoryTable


@pytest.fixture
def products():
    return InMemoryTable("id")


def test_created_product_gets_a_server_generated_id(products):
    created = product.create_product(
        products, {"name": "Pen", "category": "office", "price": Decimal("9.99"), "id": "mine"}
    )

    assert created["id"] != "mine"
    assert product.get_product(products, created["id"]) == created


def test_products_filter_by_category(products):
    product.create_product(products, {"name": "Pen", "category": "office", "price": Decimal(1)})
    product.create_product(products, {"name": "Phone", "category": "phones", "price": Decimal(2)})

    assert [p["name"] for p in product.list_products(products, PageRequest(b"k"), "phones")["items"]] == ["Phone"]
    assert len(product.list_products(products, PageRequest(b"k"))["items"]) == 2


def test_updating_or_deleting_a_missing_product_is_not_found(products):
    with pytest.raises(NotFound):
        product.update_product(products, "nope", {"name": "x", "category": "y", "price": Decimal(1)})
    with pytest.raises(NotFound):
        product.delete_product(products, "nope")


def test_update_keeps_the_id_from_the_path(products):
    created = product.create_product(products, {"name": "Pen", "category": "office", "price": Decimal(1)})

    updated = product.update_product(
        products, created["id"], {"name": "Pen 2", "category": "office", "price": Decimal(2)}
    )

    assert updated["id"] == created["id"]
    assert product.get_product(products, created["id"])["name"] == "Pen 2"


def test_total_price_multiplies_by_quantity_exactly():
    items = [{"price": Decimal("0.10"), "quantity": Decimal(3)}, {"price": Decimal("19.99"), "quantity": Decimal(2)}]

    assert basket.total_price(items) == Decimal("40.28")


def test_missing_basket_is_not_found():
    with pytest.raises(NotFound):
        basket.get_basket(InMemoryTable("userName"), "nobody")
    with pytest.raises(NotFound):
        basket.delete_basket(InMemoryTable("userName"), "nobody")


def test_orders_of_a_user_come_newest_first_and_one_date_selects_one():
    orders = InMemoryTable("userName", sort_key="orderDate")
    for date in ("2026-01-01T10:00:00Z", "2026-03-01T10:00:00Z"):
        orders.put({"userName": "ann", "orderDate": date, "totalPrice": Decimal(1), "items": []})

    assert [o["orderDate"] for o in ordering.get_orders(orders, "ann")] == [
        "2026-03-01T10:00:00Z",
        "2026-01-01T10:00:00Z",
    ]
    assert len(ordering.get_orders(orders, "ann", "2026-01-01T10:00:00Z")) == 1
    assert ordering.get_orders(orders, "bob") == []
    with pytest.raises(NotFound):
        ordering.get_orders(orders, "ann", "1999-01-01T00:00:00Z")


def test_a_partial_update_changes_only_the_given_fields(products):
    created = product.create_product(
        products, {"name": "Pen", "category": "office", "price": Decimal(1), "description": "blue"}
    )

    updated = product.update_product(products, created["id"], {"price": Decimal(899)})

    assert updated == created | {"price": Decimal(899)}
    assert product.get_product(products, created["id"]) == updated


def test_get_with_category_answers_a_list_as_the_reference_app_does(products):
    created = product.create_product(products, {"name": "Pen", "category": "office supplies", "price": Decimal(1)})

    assert product.get_product_in_category(products, created["id"], "office") == [created]
    assert product.get_product_in_category(products, created["id"], "phones") == []
    assert product.get_product_in_category(products, "nope", "office") == []
