"""The Node.js function on the asynchronous path: CheckoutBasketRule also invokes checkout-audit
(lambdas_node/checkout_audit), which records each checkout once in the checkout-audit table. With
the Python functions on the same event, both runtimes run end to end in every run of the suite."""

import json
import uuid

import pytest

from client import deadlines
from client.shop import checkout_request
from client.waiting import eventually
from infra.aws import client
from infra.stack import AUDIT_FAILURES, AUDIT_FUNCTION, AUDIT_TABLE

AUDIT_DEADLINE = deadlines.async_invoke(AUDIT_FUNCTION.timeout)


def audit_record(checkout_id: str) -> dict | None:
    item = client("dynamodb").get_item(
        TableName=AUDIT_TABLE.name, Key={"checkoutId": {"S": checkout_id}}, ConsistentRead=True
    )
    return item.get("Item")


def test_a_checkout_is_recorded_once_by_the_node_function_without_card_data(http, basket_api, filled_basket, user_name):
    response = http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name))
    assert response.status_code == 202, response.text
    checkout_id = response.json()["checkoutId"]

    item = eventually(lambda: audit_record(checkout_id), timeout=AUDIT_DEADLINE, what="the checkout's audit record")

    assert item["userName"] == {"S": user_name}
    assert item["totalPrice"] == {"S": "8.50"}  # 1.25 x 4 + 3.5 x 1, as decimal text
    assert item["itemCount"] == {"N": "5"}
    assert item["productIds"] == {"L": [{"S": "p-1"}, {"S": "p-2"}]}
    assert item["recordedBy"] == {"S": f"AWS_Lambda_{AUDIT_FUNCTION.runtime}"}
    assert "1111" not in json.dumps(item) and "card" not in json.dumps(item).lower()


def checkout_event(checkout_id: str, **detail) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "detail-type": "CheckoutBasket",
        "source": "com.swn.basket.checkoutbasket",
        "detail": {
            "checkoutId": checkout_id,
            "userName": "audit-test",
            "totalPrice": "3.00",
            "checkedOutAt": "2026-01-01T00:00:00Z",
            "items": [{"productId": "p-9", "quantity": 3, "price": "1.00"}],
        }
        | detail,
    }


def test_a_redelivered_event_keeps_the_first_record(lambda_client):
    checkout_id = f"audit-{uuid.uuid4()}"
    event = checkout_event(checkout_id)

    first = lambda_client.invoke(FunctionName=AUDIT_FUNCTION.name, Payload=json.dumps(event))
    recorded = audit_record(checkout_id)
    again = lambda_client.invoke(
        FunctionName=AUDIT_FUNCTION.name,
        Payload=json.dumps(event | {"detail": event["detail"] | {"totalPrice": "99.00"}}),
    )

    assert "FunctionError" not in first and "FunctionError" not in again, again["Payload"].read()
    assert audit_record(checkout_id) == recorded
    assert recorded["totalPrice"] == {"S": "3.00"}


@pytest.mark.parametrize(
    "detail, message",
    [
        ({"checkoutId": ""}, "CheckoutBasket detail.checkoutId must be a non-empty string"),
        ({"items": [{"productId": "p-1", "quantity": 0}]}, "each item needs a positive integer quantity"),
    ],
)
def test_a_malformed_event_is_retried_then_kept_in_the_failure_queue_and_nothing_is_recorded(
    lambda_client, queues, detail, message
):
    marker = f"audit-{uuid.uuid4()}"
    event = checkout_event(marker) | {"id": marker}
    event["detail"] |= detail

    lambda_client.invoke(FunctionName=AUDIT_FUNCTION.name, InvocationType="Event", Payload=json.dumps(event))

    record = queues.take(
        AUDIT_FAILURES.name, lambda body: body.get("requestPayload", {}).get("id") == marker, timeout=AUDIT_DEADLINE
    )
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responsePayload"]["errorType"] == "InvalidCheckoutEvent"
    assert record["responsePayload"]["errorMessage"] == message
    assert audit_record(marker) is None
