"""What the product rules need of their table (shared.dynamo.KeyValueTable on DynamoDB; an in-memory
fake in the unit tests)."""

from typing import Protocol

from shared.pagination import PagedTable


class Products(PagedTable, Protocol):
    def get(self, key_value: str) -> dict | None: ...

    def put(self, item: dict) -> None: ...

    def update(self, key_value: str, changes: dict) -> dict | None: ...

    def delete(self, key_value: str) -> bool: ...
