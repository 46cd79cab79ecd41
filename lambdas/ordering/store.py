"""What the order rules need of their table (shared.dynamo.KeyValueTable on DynamoDB; an in-memory
fake in the unit tests)."""

from typing import Protocol

from shared.pagination import PagedTable


class Orders(PagedTable, Protocol):
    def query(self, key_value: str, sort_key: str | None = None, sort_value: str | None = None) -> list[dict]: ...
