"""Tables. Drift: none is corrected (changing a key schema means a new table); TTL is set at creation."""

from infra.model import Table
from infra.target import Target, log


def ensure_table(target: Target, table: Table) -> None:
    dynamodb = target.client("dynamodb")
    try:
        dynamodb.describe_table(TableName=table.name)
        return
    except dynamodb.exceptions.ResourceNotFoundException:
        pass
    keys = [(table.partition_key, "HASH")] + ([(table.sort_key, "RANGE")] if table.sort_key else [])
    dynamodb.create_table(
        TableName=table.name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": name, "KeyType": kind} for name, kind in keys],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name, _ in keys],
    )
    dynamodb.get_waiter("table_exists").wait(TableName=table.name)
    if table.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=table.name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
        )
    log(f"table {table.name} created")


def delete_table(target: Target, table: Table) -> None:
    dynamodb = target.client("dynamodb")
    try:
        dynamodb.delete_table(TableName=table.name)
    except dynamodb.exceptions.ResourceNotFoundException:
        return
    dynamodb.get_waiter("table_not_exists").wait(TableName=table.name)
    log(f"table {table.name} deleted")
