"""Reading the checkout audit's table (the Node.js function lambdas_node/checkout_audit), for the tests
of the paths that end, or must not end, in an audit row."""

from infra.aws import client
from infra.stack import AUDIT_TABLE


def audit_record(checkout_id: str) -> dict | None:
    item = client("dynamodb").get_item(
        TableName=AUDIT_TABLE.name, Key={"checkoutId": {"S": checkout_id}}, ConsistentRead=True
    )
    return item.get("Item")
