"""Failure injection for showing retries, destinations and dead-letter queues with real invocations.

Off unless both the request asks for it ({"faultInjection": {...}}, see FaultInjection in the API
contract) and provisioning enabled it for this function (FAULT_TABLE set). Attempts are counted in
DynamoDB, because a retry may run in another execution environment."""

import os
import time

import boto3


class InjectedFault(Exception):
    pass


def apply(request: dict, default_key: str = "") -> None:
    spec = request.get("faultInjection") or {}
    table_name = os.environ.get("FAULT_TABLE")
    if not spec or not table_name:
        return
    if spec.get("delaySeconds"):
        time.sleep(float(spec["delaySeconds"]))
    fail_first = int(spec.get("failFirst", 0))
    if fail_first <= 0:
        return
    # One counter per request and per function: the same checkout fails independently in each consumer.
    key = f"{spec.get('key') or default_key}#{os.environ['AWS_LAMBDA_FUNCTION_NAME']}"
    table = boto3.resource("dynamodb").Table(table_name)
    attempt = table.update_item(
        Key={"key": key},
        UpdateExpression="ADD attempts :one",
        ExpressionAttributeValues={":one": 1},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]["attempts"]
    if attempt <= fail_first:
        if spec.get("crash"):
            os._exit(70)  # the runtime dies mid-invocation, as on an out-of-memory kill
        raise InjectedFault(f"injected failure: attempt {attempt} of the first {fail_first} fails ({key})")
