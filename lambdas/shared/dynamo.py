"""A DynamoDB table accessed by key: the only data access the shop's services need so far."""

import boto3
from boto3.dynamodb.conditions import Attr, Key

from shared.errors import Claimed

# Reads one page may make: with a filter, a read may match nothing, and a page must end well within
# the function's timeout however sparse the matches (it then carries a nextToken, and maybe no item).
MAX_READS_PER_PAGE = 10
# Items a filtered read evaluates at least: DynamoDB's Limit counts items before the filter.
MIN_FILTERED_READ = 100


class KeyValueTable:
    def __init__(self, table_name: str, key: str, sort_key: str | None = None):
        self.table = boto3.resource("dynamodb").Table(table_name)
        self.key = key
        self.key_names: tuple[str, ...] = (key, sort_key) if sort_key else (key,)

    def get(self, key_value: str) -> dict | None:
        return self.table.get_item(Key={self.key: key_value}).get("Item")

    def put(self, item: dict) -> None:
        self.table.put_item(Item=item)

    def replace(self, item: dict) -> bool:
        """Overwrites an existing item; False when there is none."""
        return self._conditionally(self.table.put_item, Item=item, ConditionExpression=Attr(self.key).exists())

    def update(self, key_value: str, changes: dict) -> dict | None:
        """Sets the given attributes of an existing item, leaving the others; returns the whole
        updated item, or None when there is no such item."""
        names = {f"#f{i}": name for i, name in enumerate(changes)}
        values = {f":v{i}": value for i, value in enumerate(changes.values())}
        try:
            return self.table.update_item(
                Key={self.key: key_value},
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes))),
                ConditionExpression="attribute_exists(#key)",
                ExpressionAttributeNames=names | {"#key": self.key},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            return None

    def delete(self, key_value: str) -> bool:
        """False when there was nothing to delete."""
        response = self.table.delete_item(Key={self.key: key_value}, ReturnValues="ALL_OLD")
        return bool(response.get("Attributes"))

    # A claim is live while it has an "until" in the future. Releasing removes only "until": the
    # claim's other fields (the basket's checkoutId) stay for the item's lifetime.
    _NOT_LIVE = "(attribute_not_exists(#claim.#until) OR #claim.#until < :now)"

    def claim(self, key_value: str, attribute: str, fresh: dict, renewal: dict, now: int) -> dict | None:
        """Claims the item in one conditional write, unless a live claim holds it. An item never
        claimed gets `fresh` (a dict with "id" and "until", epoch seconds); an item whose earlier claim
        expired or was released keeps that claim and gets only `renewal`'s fields (with "until") set
        on it. Returns the claimed item, None when there is no item, or raises Claimed with the holder's claim."""
        for _ in range(3):  # a holder may release or delete between our write and our read
            try:
                return self.table.update_item(
                    Key={self.key: key_value},
                    UpdateExpression="SET #claim = :claim",
                    ConditionExpression="attribute_exists(#key) AND attribute_not_exists(#claim)",
                    ExpressionAttributeNames={"#claim": attribute, "#key": self.key},
                    ExpressionAttributeValues={":claim": fresh},
                    ReturnValues="ALL_NEW",
                )["Attributes"]
            except self.table.meta.client.exceptions.ConditionalCheckFailedException:
                pass
            item = self.get(key_value)
            if item is None:
                return None
            held = item.get(attribute)
            if held is None:
                continue
            if "until" in held and held["until"] >= now:
                raise Claimed(held)
            fields = {f"#r{i}": name for i, name in enumerate(renewal)}
            try:
                return self.table.update_item(
                    Key={self.key: key_value},
                    UpdateExpression="SET " + ", ".join(f"#claim.#r{i} = :r{i}" for i in range(len(renewal))),
                    ConditionExpression=f"#claim.#id = :id AND {self._NOT_LIVE}",
                    ExpressionAttributeNames={"#claim": attribute, "#until": "until", "#id": "id"} | fields,
                    ExpressionAttributeValues={f":r{i}": value for i, value in enumerate(renewal.values())}
                    | {":id": held["id"], ":now": now},
                    ReturnValues="ALL_NEW",
                )["Attributes"]
            except self.table.meta.client.exceptions.ConditionalCheckFailedException:
                continue
        raise Claimed({})

    def release(self, key_value: str, attribute: str, claim_id: str) -> bool:
        """Ends our claim (removes its "until", keeping its id); False when it is no longer ours."""
        return self._conditionally(
            self.table.update_item,
            Key={self.key: key_value},
            UpdateExpression="REMOVE #claim.#until",
            ConditionExpression="#claim.#id = :id",
            ExpressionAttributeNames={"#claim": attribute, "#id": "id", "#until": "until"},
            ExpressionAttributeValues={":id": claim_id},
        )

    def put_unless_claimed(self, item: dict, attribute: str, now: int) -> bool:
        """Writes the whole item unless a live claim holds the one it replaces; False then."""
        return self._conditionally(
            self.table.put_item,
            Item=item,
            ConditionExpression=f"attribute_not_exists(#claim) OR {self._NOT_LIVE}",
            ExpressionAttributeNames={"#claim": attribute, "#until": "until"},
            ExpressionAttributeValues={":now": now},
        )

    def delete_claimed(self, key_value: str, attribute: str, claim_id: str) -> bool:
        """Deletes the item if our claim still holds it (not if it was saved anew meanwhile)."""
        return self._conditionally(
            self.table.delete_item,
            Key={self.key: key_value},
            ConditionExpression="#claim.#id = :id",
            ExpressionAttributeNames={"#claim": attribute, "#id": "id"},
            ExpressionAttributeValues={":id": claim_id},
        )

    def _conditionally(self, write, **request) -> bool:
        """Runs a conditional write; False when its condition did not hold, so nothing was written."""
        try:
            write(**request)
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def scan(self, **filters) -> list[dict]:
        return _all_pages(self.table.scan, _filtered(filters))

    def scan_page(
        self, limit: int, start_key: dict | None, max_bytes: int, size, **filters
    ) -> tuple[list[dict], dict | None]:
        """One page of a scan: at most `limit` items whose sizes (`size(item)`) add up to at most
        `max_bytes` (but at least one item, if any is left), and the primary key to pass as
        `start_key` for the next page, or None at the end of the table."""
        kwargs = _filtered(filters) | ({"ExclusiveStartKey": start_key} if start_key else {})
        items: list[dict] = []
        used = 0
        for _ in range(MAX_READS_PER_PAGE):
            wanted = limit - len(items)
            response = self.table.scan(**kwargs, Limit=max(wanted, MIN_FILTERED_READ) if filters else wanted)
            for item in response["Items"]:
                used += size(item)
                if len(items) == limit or (items and used > max_bytes):
                    # Ends inside DynamoDB's page: resume after the last item kept.
                    return items, {name: items[-1][name] for name in self.key_names}
                items.append(item)
            last_key = response.get("LastEvaluatedKey")
            if last_key is None or len(items) == limit:
                return items, last_key
            kwargs["ExclusiveStartKey"] = last_key
        return items, last_key

    def query(self, key_value: str, sort_key: str | None = None, sort_value: str | None = None) -> list[dict]:
        condition = Key(self.key).eq(key_value)
        if sort_key and sort_value is not None:
            condition &= Key(sort_key).eq(sort_value)
        return _all_pages(self.table.query, {"KeyConditionExpression": condition})


def _filtered(filters: dict) -> dict:
    """Scan arguments keeping the items whose attributes equal the given values."""
    if not filters:
        return {}
    conditions = [Attr(name).eq(value) for name, value in filters.items()]
    expression = conditions[0]
    for condition in conditions[1:]:
        expression &= condition
    return {"FilterExpression": expression}


def _all_pages(operation, kwargs: dict) -> list[dict]:
    items = []
    while True:
        page = operation(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs = kwargs | {"ExclusiveStartKey": page["LastEvaluatedKey"]}
