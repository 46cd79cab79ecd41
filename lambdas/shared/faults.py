"""Failure injection for showing retries, destinations and dead-letter queues with real invocations.

Off unless both the request asks for it ({"faultInjection": {...}}, see FaultInjection in the API
contract) and provisioning enabled it for this function (FAULT_TABLE set). Attempts are counted in
DynamoDB, because a retry may run in another execution environment."""

import os
import time

import boto3

from shared import config
from shared.errors import Disclosed, ServiceUnavailable


class InjectedFault(Disclosed):
    pass


def enabled() -> bool:
    return bool(config.optional_env("FAULT_TABLE"))


def refuse_publish(request: dict, detail_type: str) -> None:
    """failPublish: raises what the publisher raises when EventBridge is out of reach (nothing is sent),
    so a client's retry meets the same state as after a real outage."""
    if (request.get("faultInjection") or {}).get("failPublish") and enabled():
        raise ServiceUnavailable(f"could not publish {detail_type}: injected failure (failPublish)")


def apply(request: dict, default_key: str = "") -> None:
    spec = request.get("faultInjection") or {}
    if not spec or not enabled():
        return
    if spec.get("delaySeconds"):
        time.sleep(float(spec["delaySeconds"]))
    fail_first = int(spec.get("failFirst", 0))
    if fail_first <= 0:
        return
    # One counter per request and per function: the same checkout fails independently in each consumer.
    key = f"{spec.get('key') or default_key}#{config.function_name()}"
    table = boto3.resource("dynamodb").Table(config.require_env("FAULT_TABLE"))
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
