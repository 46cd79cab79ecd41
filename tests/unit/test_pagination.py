"""Pages of the product, basket and order lists: the limit, the nextToken and the byte budget."""

import base64
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
import yaml

from basket import logic as basket
from infra.paths import OPENAPI_DOCUMENT
from ordering import logic as ordering
from product import logic as product
from shared import dynamo, pagination
from shared.errors import InvalidInput
from shared.pagination import PageRequest
from tests.unit.in_memory_table import InMemoryTable

PRODUCT_KEY, ORDER_KEY = ("id",), ("userName", "orderDate")
KEY = b"unit-test list-token key"


def signed(position: str, key: bytes = KEY) -> str:
    return f"{position}.{pagination._signature(position, key)}"


def token_of(payload, key: bytes = KEY) -> str:
    """A token of any content, signed as this environment signs: what passes the signature must still
    be a position in this list."""
    return signed(base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("="), key)


def test_limit_default_and_maximum_are_the_contracts():
    schema = yaml.safe_load(OPENAPI_DOCUMENT.read_text())["components"]["parameters"]["Limit"]["schema"]

    assert (schema["default"], schema["maximum"]) == (pagination.DEFAULT_LIMIT, pagination.MAX_LIMIT)
    assert pagination.parse_limit(None) == schema["default"]
    assert pagination.parse_limit(str(schema["maximum"])) == schema["maximum"]
    assert pagination.parse_limit("1") == 1


@pytest.mark.parametrize("text", ["0", "-1", str(pagination.MAX_LIMIT + 1), "", "ten", "1.0", " 5", "+5", "5_0", "1e2"])
def test_a_limit_outside_the_range_or_not_a_whole_number_is_refused_naming_the_range(text):
    with pytest.raises(InvalidInput, match=f"from 1 to {pagination.MAX_LIMIT}") as refused:
        pagination.parse_limit(text)
    assert refused.value.errors[0]["field"] == "limit"


@pytest.mark.parametrize(
    "key", [{"id": "3f0c"}, {"id": "ü/+=?&#"}, {"id": "x" * 2048}], ids=["uuid-like", "any-text", "longest-key"]
)
def test_a_token_gives_back_the_key_it_was_made_from(key):
    token = pagination.encode_token("product", key, KEY)

    assert pagination.start_key(token, "product", PRODUCT_KEY, KEY) == key
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), "URL-safe as it is"


def test_a_composite_key_round_trips():
    key = {"userName": "ann", "orderDate": "2026-11-01T10:00:00.000Z"}

    assert pagination.start_key(pagination.encode_token("order", key, KEY), "order", ORDER_KEY, KEY) == key


def test_no_token_is_the_first_page():
    assert pagination.start_key(None, "product", PRODUCT_KEY, KEY) is None


def test_a_token_of_another_list_is_refused():
    basket_token = pagination.encode_token("basket", {"id": "a"}, KEY)
    other_category = pagination.encode_token("product category=phones", {"id": "a"}, KEY)

    for token in (basket_token, other_category):
        with pytest.raises(InvalidInput, match="another list"):
            pagination.start_key(token, "product", PRODUCT_KEY, KEY)


def tampered_tokens() -> dict[str, str]:
    good = pagination.encode_token("product", {"id": "abc"}, KEY)
    position, signature = good.split(".")
    list_id = json.loads(base64.urlsafe_b64decode(position + "=" * (-len(position) % 4)))["list"]
    edited = pagination.encode_token("product", {"id": "abd"}, KEY).split(".")[0]
    return {
        "edited-position-with-its-old-signature": f"{edited}.{signature}",
        "signed-with-another-environments-key": token_of({"list": list_id, "after": {"id": "abd"}}, b"another key"),
        "unsigned": position,
        "signature-only": f".{signature}",
        "garbage": "not a token!",
        "empty": "",
        "not-base64": "%%%%",
        "truncated": good[:-3],
        "a-character-flipped": good[:5] + ("A" if good[5] != "A" else "B") + good[6:],
        "padded": good + "==",
        "not-json": token_of("x")[:-1] + "_",
        "json-list": token_of([1, 2]),
        "extra-field": token_of({"list": list_id, "after": {"id": "abc"}, "admin": True}),
        "key-of-another-table": token_of({"list": list_id, "after": {"userName": "abc"}}),
        "extra-key-attribute": token_of({"list": list_id, "after": {"id": "abc", "sk": "x"}}),
        "number-key": token_of({"list": list_id, "after": {"id": 5}}),
        "empty-key": token_of({"list": list_id, "after": {"id": ""}}),
        "nested-key": token_of({"list": list_id, "after": {"id": {"S": "abc"}}}),
        "key-too-long": token_of({"list": list_id, "after": {"id": "x" * 2049}}),
        "lone-surrogate": token_of({"list": list_id, "after": {"id": "\ud800"}}),
        "not-canonical": token_of({"after": {"id": "abc"}, "list": list_id}),
        "deeply-nested": token_of({"list": list_id, "after": {"id": "a"}, "x": [[[[[[]]]]]]}).replace("=", ""),
        "utf8-garbage": token_of("x").replace(
            token_of("x").split(".")[0], base64.urlsafe_b64encode(b"\xff\xfe{").decode().rstrip("=")
        ),
        "non-ascii": "ü." + signature,
    }


@pytest.mark.parametrize("token", tampered_tokens().values(), ids=tampered_tokens().keys())
def test_a_tampered_or_garbage_token_is_invalid_input_naming_the_fix(token):
    with pytest.raises(InvalidInput, match="nextToken is not valid for this list") as refused:
        pagination.start_key(token, "product", PRODUCT_KEY, KEY)
    assert refused.value.errors[0]["field"] == "nextToken"
    assert "leave it out to start again" in refused.value.errors[0]["message"]


def test_an_item_counts_as_written_escaped_inside_the_proxy_response():
    plain, quoted = {"d": "a" * 100}, {"d": '"' * 100}

    assert pagination.response_bytes(quoted) > pagination.response_bytes(plain) + 150, "each quote becomes 4 bytes"


# -- the services' lists, on an in-memory table ------------------------------------------------


def read_all(list_page, limit: int) -> tuple[list[dict], int]:
    """Every item of a list, following nextToken; and how many pages it took."""
    items, pages, token = [], 0, None
    while True:
        page = list_page(PageRequest(KEY, limit, token))
        items += page["items"]
        pages += 1
        assert len(page["items"]) <= limit
        if "nextToken" not in page:
            return items, pages
        token = page["nextToken"]


def test_products_are_listed_page_by_page_each_exactly_once():
    products = InMemoryTable("id")
    for n in range(25):
        product.create_product(products, {"name": f"p{n}", "category": "office", "price": Decimal(n)})

    items, pages = read_all(lambda page: product.list_products(products, page), limit=10)

    assert pages == 3
    assert sorted(p["name"] for p in items) == sorted(f"p{n}" for n in range(25))


def test_a_category_list_resumes_only_with_its_own_tokens():
    products = InMemoryTable("id")
    for n in range(4):
        product.create_product(products, {"name": f"p{n}", "category": "office", "price": Decimal(n)})
    first = product.list_products(products, PageRequest(KEY, 2), "office")

    with pytest.raises(InvalidInput, match="another list"):
        product.list_products(products, PageRequest(KEY, 2, first["nextToken"]))
    rest = product.list_products(products, PageRequest(KEY, 2, first["nextToken"]), "office")
    assert len(first["items"] + rest["items"]) == 4


def products_of_size(count: int, description_bytes: int) -> InMemoryTable:
    """A product table of `count` products p0, p1, ..., each with a description of that many bytes."""
    products = InMemoryTable("id")
    for n in range(count):
        product.create_product(
            products, {"name": f"p{n}", "category": "c", "price": Decimal(1), "description": "d" * description_bytes}
        )
    return products


def test_a_page_ends_before_its_byte_budget_however_large_the_limit(monkeypatch):
    monkeypatch.setattr(pagination, "MAX_PAGE_BYTES", 10_000)
    products = products_of_size(12, description_bytes=3000)

    items, pages = read_all(lambda page: product.list_products(products, page), limit=pagination.MAX_LIMIT)

    assert pages == 4, "three items of about 3 kB fit a 10 kB page"
    assert sorted(p["name"] for p in items) == sorted(f"p{n}" for n in range(12))


def test_an_item_larger_than_the_budget_still_gets_a_page_of_its_own(monkeypatch):
    monkeypatch.setattr(pagination, "MAX_PAGE_BYTES", 100)
    products = products_of_size(2, description_bytes=500)

    items, pages = read_all(lambda page: product.list_products(products, page), limit=10)

    assert (len(items), pages) == (2, 2), "never an endless run of empty pages"


def test_baskets_are_listed_without_their_checkout_claim():
    baskets = InMemoryTable("userName")
    for n in range(3):
        baskets.put({"userName": f"u{n}", "items": [], basket.CLAIM: {"id": "c"}})

    items, pages = read_all(lambda page: basket.list_baskets(baskets, page), limit=2)

    assert pages == 2
    assert [b["userName"] for b in items] == ["u0", "u1", "u2"]
    assert all(basket.CLAIM not in b for b in items)


def test_orders_resume_after_a_composite_key():
    orders = InMemoryTable("userName", "orderDate")
    for user in ("ann", "bob"):
        for day in (1, 2, 3):
            orders.put({"userName": user, "orderDate": f"2026-11-0{day}", "items": []})

    items, pages = read_all(lambda page: ordering.list_orders(orders, page), limit=4)

    assert pages == 2
    assert [(o["userName"], o["orderDate"]) for o in items] == sorted((o["userName"], o["orderDate"]) for o in items)
    assert len({(o["userName"], o["orderDate"]) for o in items}) == 6
    with pytest.raises(InvalidInput, match="another list"):
        basket.list_baskets(
            InMemoryTable("userName"),
            PageRequest(KEY, 4, ordering.list_orders(orders, PageRequest(KEY, 4))["nextToken"]),
        )


# -- KeyValueTable.scan_page against a stand-in for DynamoDB's Scan ----------------------------


class ScanStandIn:
    """DynamoDB's Scan as scan_page uses it: items in key order; Limit counts the items evaluated,
    before the filter; LastEvaluatedKey when it stopped before the end."""

    def __init__(self, count: int, matches=lambda item: True):
        self.items = [{"id": f"{n:05}", "size": 10} for n in range(count)]
        self.matches, self.reads = matches, 0

    def scan(self, Limit, ExclusiveStartKey=None, FilterExpression=None):
        self.reads += 1
        rest = [i for i in self.items if ExclusiveStartKey is None or i["id"] > ExclusiveStartKey["id"]]
        evaluated = rest[:Limit]
        response = {"Items": [i for i in evaluated if FilterExpression is None or self.matches(i)]}
        return response | ({"LastEvaluatedKey": {"id": evaluated[-1]["id"]}} if len(rest) > Limit else {})


@pytest.fixture
def table_over(monkeypatch):
    def over(stand_in: ScanStandIn) -> dynamo.KeyValueTable:
        monkeypatch.setattr(dynamo.boto3, "resource", lambda service: SimpleNamespace(Table=lambda name: stand_in))
        return dynamo.KeyValueTable("product", key="id")

    return over


def scan_all(table, stand_in, limit: int, max_bytes: int, **filters) -> tuple[list[str], int]:
    """Every id the pages answer, following the start keys; and how many pages."""
    ids, pages, start = [], 0, None
    while True:
        stand_in.reads = 0
        items, start = table.scan_page(limit, start, max_bytes, lambda item: item["size"], **filters)
        assert stand_in.reads <= dynamo.MAX_READS_PER_PAGE
        assert len(items) <= limit
        ids += [i["id"] for i in items]
        pages += 1
        if start is None:
            return ids, pages


def test_a_page_cut_by_its_byte_budget_inside_a_dynamodb_response_resumes_right_after_its_last_item(table_over):
    stand_in = ScanStandIn(10)

    ids, pages = scan_all(table_over(stand_in), stand_in, limit=10, max_bytes=35)

    assert ids == [item["id"] for item in stand_in.items], "each once, none lost"
    assert pages == 4, "three items of 10 bytes fit 35"


def test_a_sparse_filter_ends_each_page_after_a_bounded_number_of_reads_and_still_finds_its_items(table_over):
    stand_in = ScanStandIn(2500, matches=lambda item: item["id"] in ("00007", "02499"))

    ids, pages = scan_all(table_over(stand_in), stand_in, limit=5, max_bytes=10_000, category="rare")

    assert ids == ["00007", "02499"]
    assert pages == 3, "a page ends after ten reads of 100, the middle one empty, each with a key to go on from"


def test_a_filtered_read_matching_more_than_the_limit_is_cut_at_the_limit(table_over):
    stand_in = ScanStandIn(300)

    ids, pages = scan_all(table_over(stand_in), stand_in, limit=7, max_bytes=10_000, category="any")

    assert ids == [item["id"] for item in stand_in.items]
    assert pages == 43
