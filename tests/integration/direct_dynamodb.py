"""The DynamoDB process of the suite's embedded LocalStack, which functions call directly
(embedded_localstack/dynamodb_process/)."""

from embedded_localstack import Instance
from embedded_localstack.dynamodb_process.process import recorded


def direct_endpoint() -> str:
    """Its endpoint, as LocalStack recorded it."""
    instance = Instance.from_env()
    record = recorded(instance.state_dir, instance.running(remove_stale=False))
    assert record, "LocalStack has started its DynamoDB process"
    return record["endpoint"]
