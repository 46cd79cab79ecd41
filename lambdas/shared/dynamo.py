"""A DynamoDB table accessed by key: the only data access the shop's services need so far."""

import boto3
from boto3.dynamodb.conditions import Attr, Key


class KeyValueTable:
    def __init__(self, table_name: str, key: str):
        self.table = boto3.resource("dynamodb").Table(table_name)
        self.key = key

    def get(self, key_value: str) -> dict | None:
        return self.table.get_item(Key={self.key: key_value}).get("Item")

    def put(self, item: dict) -> None:
        self.table.put_item(Item=item)

    def replace(self, item: dict) -> bool:
        """Overwrites an existing item; False when there is none."""
        try:
            self.table.put_item(Item=item, ConditionExpression=Attr(self.key).exists())
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def delete(self, key_value: str) -> bool:
        """False when there was nothing to delete."""
        response = self.table.delete_item(Key={self.key: key_value}, ReturnValues="ALL_OLD")
        return bool(response.get("Attributes"))

    def scan(self, **filters) -> list[dict]:
        kwargs = {}
        if filters:
            conditions = [Attr(name).eq(value) for name, value in filters.items()]
            expression = conditions[0]
            for condition in conditions[1:]:
                expression &= condition
            kwargs["FilterExpression"] = expression
        return _all_pages(self.table.scan, kwargs)

    def query(self, key_value: str, sort_key: str | None = None, sort_value: str | None = None) -> list[dict]:
        condition = Key(self.key).eq(key_value)
        if sort_key and sort_value is not None:
            condition &= Key(sort_key).eq(sort_value)
        return _all_pages(self.table.query, {"KeyConditionExpression": condition})


def _all_pages(operation, kwargs: dict) -> list[dict]:
    items = []
    while True:
        page = operation(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs = kwargs | {"ExclusiveStartKey": page["LastEvaluatedKey"]}
