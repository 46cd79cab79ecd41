"""A dict standing in for shared.dynamo.KeyValueTable, so domain rules run without DynamoDB. It is the
fake of every service's store protocol; `make lint` (mypy) holds it to them, as it holds KeyValueTable."""

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.errors import Claimed

if TYPE_CHECKING:
    from basket.store import Baskets, Checkouts
    from ordering.store import Orders
    from product.store import Products


class InMemoryTable:
    def __init__(self, key: str, sort_key: str | None = None):
        self.key, self.sort_key = key, sort_key
        self.key_names: tuple[str, ...] = (key, sort_key) if sort_key else (key,)
        self.items: dict[tuple, dict] = {}

    def _id(self, item: dict) -> tuple:
        return (item[self.key], item.get(self.sort_key) if self.sort_key else None)

    def get(self, key_value: str) -> dict | None:
        return copy.deepcopy(self.items.get((key_value, None)))

    def put(self, item: dict) -> None:
        self.items[self._id(item)] = copy.deepcopy(item)

    def replace(self, item: dict) -> bool:
        if self._id(item) not in self.items:
            return False
        self.put(item)
        return True

    def update(self, key_value: str, changes: dict) -> dict | None:
        item = self.items.get((key_value, None))
        if item is None:
            return None
        item.update(copy.deepcopy(changes))
        return copy.deepcopy(item)

    def delete(self, key_value: str) -> bool:
        return self.items.pop((key_value, None), None) is not None

    def scan(self, **filters: object) -> list[dict]:
        return [copy.deepcopy(i) for i in self.items.values() if all(i.get(k) == v for k, v in filters.items())]

    def scan_page(
        self, limit: int, start_key: dict | None, max_bytes: int, size: Callable[[dict], int], **filters: object
    ) -> tuple[list[dict], dict | None]:
        """As KeyValueTable.scan_page, in key order as DynamoDB Local and moto scan."""
        ids = sorted(self.items, key=lambda i: (i[0], i[1] or ""))
        if start_key is not None:
            after = (start_key[self.key], start_key.get(self.sort_key, "") if self.sort_key else "")
            ids = [i for i in ids if (i[0], i[1] or "") > after]
        matching = [self.items[i] for i in ids if all(self.items[i].get(k) == v for k, v in filters.items())]
        page: list[dict] = []
        used = 0
        for item in matching:
            used += size(item)
            if len(page) == limit or (page and used > max_bytes):
                return page, {name: page[-1][name] for name in self.key_names}
            page.append(copy.deepcopy(item))
        return page, None

    def query(self, key_value: str, sort_key: str | None = None, sort_value: str | None = None) -> list[dict]:
        return [
            copy.deepcopy(i)
            for i in self.items.values()
            if i[self.key] == key_value and (sort_value is None or i.get(sort_key) == sort_value)
        ]

    def claim(self, key_value: str, attribute: str, fresh: dict, renewal: dict, now: int) -> dict | None:
        item = self.items.get((key_value, None))
        if item is None:
            return None
        held = item.get(attribute)
        if held is None:
            item[attribute] = copy.deepcopy(fresh)
        elif "until" in held and held["until"] >= now:
            raise Claimed(copy.deepcopy(held))
        else:
            held.update(copy.deepcopy(renewal))
        return copy.deepcopy(item)

    def release(self, key_value: str, attribute: str, claim_id: str) -> bool:
        item = self.items.get((key_value, None))
        if item is None or item.get(attribute, {}).get("id") != claim_id:
            return False
        item[attribute].pop("until", None)
        return True

    def put_unless_claimed(self, item: dict, attribute: str, now: int) -> bool:
        held = self.items.get(self._id(item), {}).get(attribute)
        if held is not None and "until" in held and held["until"] >= now:
            return False
        self.put(item)
        return True

    def delete_claimed(self, key_value: str, attribute: str, claim_id: str) -> bool:
        item = self.items.get((key_value, None))
        if item is None or item.get(attribute, {}).get("id") != claim_id:
            return False
        return self.delete(key_value)


if TYPE_CHECKING:
    _products: Products = InMemoryTable("id")
    _orders: Orders = InMemoryTable("userName", "orderDate")
    _baskets: Baskets = InMemoryTable("userName")
    _checkouts: Checkouts = InMemoryTable("id")
