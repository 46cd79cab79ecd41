"""Asynchronous invocation (InvocationType Event) of the invoice function: Lambda's retries, and
the records its on-success and on-failure destinations receive. Failures are injected per request
(FaultInjection in the API contract), so every retry is a real invocation."""

import json
import time
import uuid

import pytest

from client import deadlines
from infra.aws import client
from infra.stack import INVOICE_FAILURES, INVOICE_FUNCTION, INVOICE_RESULTS, ORDER_TABLE


@pytest.fixture
def order(user_name) -> dict:
    order_date = "2026-11-20T09:30:00.000Z"
    item = {
        "userName": {"S": user_name},
        "orderDate": {"S": order_date},
        "checkoutId": {"S": str(uuid.uuid4())},
        "totalPrice": {"N": "8.5"},
        "items": {
            "L": [
                {
                    "M": {
                        "productId": {"S": "p-1"},
                        "productName": {"S": "Pen"},
                        "price": {"N": "1.25"},
                        "quantity": {"N": "4"},
                    }
                }
            ]
        },
    }
    client("dynamodb").put_item(TableName=ORDER_TABLE.name, Item=item)
    return {"userName": user_name, "orderDate": order_date}


def invoke_async(order: dict, **fault) -> str:
    key = uuid.uuid4().hex
    request = {"orderDate": order["orderDate"], "faultInjection": {"key": key} | fault}
    response = client("lambda").invoke(
        FunctionName=INVOICE_FUNCTION.name,
        InvocationType="Event",
        Payload=json.dumps({"userName": order["userName"], "request": request}),
    )
    assert response["StatusCode"] == 202
    return key


def for_key(key: str):
    return lambda record: (
        record.get("requestPayload", {}).get("request", {}).get("faultInjection", {}).get("key") == key
    )


def test_successful_async_invoke_sends_an_aws_shaped_record_to_the_success_destination(queues, order):
    key = invoke_async(order)

    record = queues.take(INVOICE_RESULTS.name, for_key(key))

    assert record["version"] == "1.0"
    assert record["timestamp"]
    context = record["requestContext"]
    assert context["requestId"]
    assert context["functionArn"].split(":")[6] == INVOICE_FUNCTION.name
    assert context["condition"] == "Success"
    assert context["approximateInvokeCount"] == 1
    assert record["requestPayload"]["userName"] == order["userName"]
    assert record["responseContext"]["statusCode"] == 200
    assert record["responsePayload"]["total"] == 5
    assert record["responsePayload"]["invoiceNumber"].startswith("INV-")


def test_always_failing_async_invoke_ends_in_the_failure_destination_after_three_attempts(queues, order):
    key = invoke_async(order, failFirst=99)

    # Two retries, 1 s and 2 s apart with LAMBDA_RETRY_BASE_DELAY=1 (config/localstack.env).
    record = queues.take(INVOICE_FAILURES.name, for_key(key), timeout=deadlines.async_invoke(INVOICE_FUNCTION.timeout))

    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert "injected failure" in record["responsePayload"]["errorMessage"]


def test_async_invoke_failing_twice_then_succeeding_is_a_success_on_the_third_attempt(queues, order):
    key = invoke_async(order, failFirst=2)

    record = queues.take(INVOICE_RESULTS.name, for_key(key), timeout=deadlines.async_invoke(INVOICE_FUNCTION.timeout))

    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 3


def test_api_gateway_call_is_synchronous_without_the_header(http, order_api, order):
    response = http.post(f"{order_api}/order/{order['userName']}/invoice", json={"orderDate": order["orderDate"]})

    assert response.status_code == 200, response.text
    assert response.json()["total"] == 5


def test_api_gateway_call_with_invocation_type_event_answers_202_at_once(http, order_api, order, queues):
    key = uuid.uuid4().hex
    delay = 3
    body = {"orderDate": order["orderDate"], "faultInjection": {"key": key, "delaySeconds": delay}}

    started = time.monotonic()
    response = http.post(
        f"{order_api}/order/{order['userName']}/invoice", json=body, headers={"InvocationType": "Event"}
    )
    elapsed = time.monotonic() - started

    assert response.status_code == 202, response.text
    # A synchronous call could not answer before the function's sleep is over (a wall-clock bound on
    # "at once" belongs in make bench, where it is measured, not here).
    assert elapsed < delay, f"the call took {elapsed:.1f} s: it waited for the function, which runs {delay} s"
    record = queues.take(
        INVOICE_RESULTS.name, for_key(key), timeout=deadlines.async_invoke(INVOICE_FUNCTION.timeout, attempts=1)
    )
    assert record["responsePayload"]["userName"] == order["userName"]


def test_api_gateway_maps_invoice_errors_to_statuses(http, order_api, user_name):
    missing = http.post(f"{order_api}/order/{user_name}/invoice", json={"orderDate": "1999-01-01"})
    invalid = http.post(f"{order_api}/order/{user_name}/invoice", json={"orderDate": 42})

    assert missing.status_code == 404 and missing.json()["message"].startswith("no order"), "the class tag is not shown"
    assert invalid.status_code == 400 and invalid.json()["message"].startswith("request body"), invalid.text
