"""Conditional writes are atomic per item, as DynamoDB's are: of concurrent writes under one condition,
exactly one succeeds. The shop's double-checkout guard (the basket's claim, an UpdateItem) rests on it,
as Powertools idempotency (the ordering function's records) does. Embedded mode serves DynamoDB with moto,
which checks a condition and then applies the write with nothing held in between; a long update
expression widens that gap, so without the DynamoDB process's lock (embedded_localstack/dynamodb_process/
server.py) every round had several winners."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from infra.aws import client
from tests.integration.direct_dynamodb import direct_endpoint

WRITERS = 10
ROUNDS = 5
# Sixty attributes set with the claim: moto's validation of the expression takes milliseconds.
WIDE_UPDATE = "SET #claim = :claim, " + ", ".join(f"extra{i} = :claim" for i in range(60))


def contend(write, clients: list | None = None) -> int:
    """Runs write(client, writer index) from WRITERS threads released at once, each with its own client
    (through LocalStack unless given); the number that succeeded."""
    clients = clients or [client("dynamodb") for _ in range(WRITERS)]
    start = threading.Barrier(WRITERS)

    def one(index: int) -> int:
        dynamodb = clients[index]
        start.wait()
        try:
            write(dynamodb, index)
        except dynamodb.exceptions.ConditionalCheckFailedException:
            return 0
        return 1

    with ThreadPoolExecutor(WRITERS) as pool:
        return sum(pool.map(one, range(WRITERS)))


def claim_of(table: str, key: dict):
    """A writer's claim of the item: one wide conditional update, which only the first may make."""

    def claim(dynamodb, index):
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression=WIDE_UPDATE,
            ConditionExpression="attribute_exists(#key) AND attribute_not_exists(#claim)",
            ExpressionAttributeNames={"#claim": "claim", "#key": "userName"},
            ExpressionAttributeValues={":claim": {"S": str(index)}},
        )

    return claim


@pytest.fixture(scope="module")
def table() -> str:
    """A table of the test's own, keyed as the baskets are: its items are not baskets any list may show."""
    dynamodb, name = client("dynamodb"), f"atomicity-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "userName", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "userName", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.get_waiter("table_exists").wait(TableName=name)
    yield name
    dynamodb.delete_table(TableName=name)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_one_of_concurrent_conditional_updates_of_an_item_wins(round_, table):
    key = {"userName": {"S": f"atomic-{uuid.uuid4().hex[:8]}"}}
    client("dynamodb").put_item(TableName=table, Item=key | {"items": {"L": []}})

    assert contend(claim_of(table, key)) == 1


def test_one_of_concurrent_conditional_updates_through_localstack_and_straight_at_the_process_wins(
    embedded_only, table
):
    # Half the writers go through LocalStack, half straight to the DynamoDB process, as functions do.
    key = {"userName": {"S": f"atomic-{uuid.uuid4().hex[:8]}"}}
    client("dynamodb").put_item(TableName=table, Item=key | {"items": {"L": []}})
    endpoints = (None, direct_endpoint())
    clients = [client("dynamodb", endpoint_url=endpoints[index % 2]) for index in range(WRITERS)]

    assert contend(claim_of(table, key), clients) == 1
