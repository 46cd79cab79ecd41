"""The product, basket and order lists answer in pages (limit, nextToken): a table of any size answers
200 within Lambda's 6 MB response limit, following nextToken sees every item exactly once, and a bad
limit or nextToken is 400 naming the fix, never a 5xx."""

import base64
import json
import uuid
from collections import Counter

import pytest
from boto3.dynamodb.types import TypeSerializer

from infra.aws import client
from infra.openapi_document import load_contract
from infra.stack import BASKET_TABLE, ORDER_TABLE, PRODUCT_TABLE

# Lambda refuses a synchronous response above this; the 200s must stay below it however large the table.
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024
CONTRACT_MAX_LIMIT = load_contract()["components"]["parameters"]["Limit"]["schema"]["maximum"]
_serialize = TypeSerializer().serialize


@pytest.fixture
def put_items():
    """Factory: writes items straight into a table (BatchWriteItem, far faster than the API), and
    deletes them after the test. Each test's items carry its own unique prefix."""
    dynamodb = client("dynamodb")
    written: list[tuple[str, dict]] = []

    def batches(table: str, requests: list[dict]):
        for start in range(0, len(requests), 25):  # BatchWriteItem's most
            pending = {table: requests[start : start + 25]}
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending)["UnprocessedItems"]

    def put(table, items: list[dict]) -> None:
        batches(table.name, [{"PutRequest": {"Item": {k: _serialize(v) for k, v in i.items()}}} for i in items])
        key_names = [table.partition_key, *([table.sort_key] if table.sort_key else [])]
        written.extend((table.name, {name: _serialize(item[name]) for name in key_names}) for item in items)

    yield put
    by_table: dict[str, list[dict]] = {}
    for table, key in written:
        by_table.setdefault(table, []).append({"DeleteRequest": {"Key": key}})
    for table, requests in by_table.items():
        batches(table, requests)


def read_every_page(http, url: str, **params) -> tuple[list[dict], list[int]]:
    """Every item of a list, following nextToken to the end; and each page's response size. Each page
    must be 200 with no more items than asked for."""
    items, sizes = [], []
    while True:
        response = http.get(url, params=params, timeout=60)
        assert response.status_code == 200, f"page {len(sizes) + 1}: {response.status_code} {response.text[:300]}"
        page = response.json()
        assert len(page["items"]) <= params.get("limit", CONTRACT_MAX_LIMIT)
        items += page["items"]
        sizes.append(len(response.content))
        if "nextToken" not in page:
            return items, sizes
        params = params | {"nextToken": page["nextToken"]}


def assert_each_seen_once(seen: list[str], put: list[str]) -> None:
    counts = Counter(seen)
    assert [key for key, n in counts.items() if n > 1] == [], "an item was answered twice"
    assert sorted(set(put) - set(counts)) == [], "an item was never answered"


def test_a_product_table_larger_than_lambdas_response_limit_is_listed_page_by_page_each_product_once(
    http, product_api, put_items
):
    # Given: the table, 3,200 products with 2,000-character descriptions (over 6 MB as one list)
    prefix = f"bulk-{uuid.uuid4().hex[:8]}"
    mine = [
        {"id": f"{prefix}-{n:05}", "name": f"Bulk {n}", "category": prefix, "price": 1, "description": "d" * 2000}
        for n in range(3200)
    ]
    put_items(PRODUCT_TABLE, mine)

    # When: a client reads the whole list, the largest pages the contract allows
    listed, sizes = read_every_page(http, f"{product_api}/product", limit=CONTRACT_MAX_LIMIT)

    # Then: every page was 200, and each product was answered exactly once
    assert sum(sizes) > LAMBDA_RESPONSE_LIMIT, "the whole list would not fit one response"
    assert_each_seen_once([p["id"] for p in listed if p["id"].startswith(prefix)], [p["id"] for p in mine])
    assert len(sizes) >= len(mine) // CONTRACT_MAX_LIMIT


def big_product(prefix: str, n: int, size: int) -> dict:
    return {"id": f"{prefix}-{n:03}", "name": "Big", "category": prefix, "price": 1, "description": "d" * size}


def big_order(prefix: str, n: int, size: int) -> dict:
    return {
        "userName": prefix,
        "orderDate": f"2026-11-01T10:00:{n:02}.000Z",
        "totalPrice": 1,
        "items": [],
        "address": "a" * size,
    }


@pytest.mark.parametrize(
    "table, path, key, make, count",
    [
        (PRODUCT_TABLE, "/product", "id", big_product, 18),
        (ORDER_TABLE, "/order", "orderDate", big_order, 18),
    ],
    ids=["products", "orders"],
)
def test_items_near_dynamodbs_item_limit_never_make_a_page_pass_lambdas_response_limit(
    http, product_api, order_api, put_items, table, path, key, make, count
):
    # Given: items of 380 kB (DynamoDB holds at most 400 kB), over 6 MB together. (Baskets take the
    # same path through KeyValueTable.scan_page; a basket holds at most about 30 kB by the contract.)
    prefix = f"big-{uuid.uuid4().hex[:8]}"
    mine = [make(prefix, n, 380_000) for n in range(count)]
    put_items(table, mine)
    api = {"/product": product_api, "/order": order_api}[path]

    # When: a client asks for the largest pages
    listed, sizes = read_every_page(http, f"{api}{path}", limit=CONTRACT_MAX_LIMIT)

    # Then: the pages end before their bytes reach Lambda's limit, and each item comes once
    assert max(sizes) < LAMBDA_RESPONSE_LIMIT * 0.8
    seen = [item[key] for item in listed if str(item.get("userName", item.get("category"))).startswith(prefix)]
    assert_each_seen_once(seen, [item[key] for item in mine])


@pytest.fixture
def two_of_each(http, basket_api, create_product, put_items):
    """Two products, baskets and orders, so that a list of limit=1 answers a nextToken."""
    prefix = f"two-{uuid.uuid4().hex[:8]}"
    for _ in range(2):
        create_product(category=prefix)
    put_items(BASKET_TABLE, [{"userName": f"{prefix}-{n}", "items": []} for n in range(2)])
    put_items(ORDER_TABLE, [big_order(prefix, n, 10) for n in range(2)])
    return prefix


LISTS = [("product", "/product"), ("basket", "/basket"), ("order", "/order")]


def api_of(name: str, product_api: str, basket_api: str, order_api: str) -> str:
    return {"product": product_api, "basket": basket_api, "order": order_api}[name]


@pytest.mark.parametrize("name, path", LISTS, ids=[name for name, _ in LISTS])
def test_every_item_of_a_list_read_in_small_pages_comes_exactly_once(
    http, product_api, basket_api, order_api, put_items, name, path
):
    prefix = f"small-{uuid.uuid4().hex[:8]}"
    if name == "product":
        mine = [big_product(prefix, n, 10) for n in range(7)]
        put_items(PRODUCT_TABLE, mine)
        ids = [p["id"] for p in mine]
    elif name == "basket":
        put_items(BASKET_TABLE, [{"userName": f"{prefix}-{n}", "items": []} for n in range(7)])
        ids = [f"{prefix}-{n}" for n in range(7)]
    else:
        put_items(ORDER_TABLE, [big_order(prefix, n, 10) for n in range(7)])
        ids = [big_order(prefix, n, 10)["orderDate"] for n in range(7)]
    key = {"product": "id", "basket": "userName", "order": "orderDate"}[name]
    url = api_of(name, product_api, basket_api, order_api) + path

    # A filter keeps the product list short; the others are read whole, beside the suite's own data.
    params = {"category": prefix, "limit": 3} if name == "product" else {"limit": 3}
    listed, sizes = read_every_page(http, url, **params)

    assert_each_seen_once([i[key] for i in listed if str(i.get("userName", i.get("category"))).startswith(prefix)], ids)
    assert len(sizes) >= 3


def edited(token: str) -> str:
    """The token as an attacker would edit it: its position decoded, pointed at another key, encoded again
    in the same form, its signature kept."""
    position, _, signature = token.partition(".")
    payload = json.loads(base64.urlsafe_b64decode(position + "=" * (-len(position) % 4)))
    payload["after"] = {name: value + "0" for name, value in payload["after"].items()}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=") + "." + signature


def garbage_tokens(real: str, of_another_list: str) -> dict[str, str]:
    flipped = real[:8] + ("A" if real[8] != "A" else "B") + real[9:]
    return {
        "edited-to-another-key": edited(real),
        "unsigned": real.partition(".")[0],
        "garbage": "hello",
        "not-base64": "%%%%!",
        "truncated": real[: len(real) // 2],
        "tampered": flipped,
        "appended": real + "AAAA",
        "of-another-list": of_another_list,
        "json-injection": '{"id": {"S": "x"}}',
        "long": "A" * 1000,
    }


@pytest.mark.parametrize("name, path", LISTS, ids=[name for name, _ in LISTS])
def test_a_bad_limit_or_a_garbage_tampered_or_foreign_next_token_is_400_never_a_5xx(
    http, product_api, basket_api, order_api, two_of_each, name, path
):
    url = api_of(name, product_api, basket_api, order_api) + path
    first = http.get(url, params={"limit": 1})
    assert first.status_code == 200, first.text
    real = first.json()["nextToken"]
    other_name, other_path = next((n, p) for n, p in LISTS if n != name)
    foreign = http.get(api_of(other_name, product_api, basket_api, order_api) + other_path, params={"limit": 1})
    queries = [{"limit": bad} for bad in ("0", "-1", str(CONTRACT_MAX_LIMIT + 1), "ten", "1.5")]
    queries += [{"nextToken": token} for token in garbage_tokens(real, foreign.json()["nextToken"]).values()]
    if name == "product":  # another category's list is another list
        queries.append({"nextToken": http.get(url, params={"limit": 1, "category": two_of_each}).json()["nextToken"]})

    answers = {str(query): http.get(url, params=query) for query in queries}

    statuses = {query: response.status_code for query, response in answers.items()}
    assert statuses == dict.fromkeys(answers, 400)
    for response in answers.values():
        error = response.json()
        assert error["errors"][0]["field"] in ("limit", "nextToken"), error
        assert "Traceback" not in response.text
    assert http.get(url, params={"limit": 1, "nextToken": real}).status_code == 200, "the real token still works"
