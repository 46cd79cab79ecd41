"""The Node.js function on the asynchronous path: CheckoutBasketRule also invokes checkout-audit
(lambdas_node/checkout_audit), which records each checkout once in the checkout-audit table. With
the Python functions on the same event, both runtimes run end to end in every run of the suite."""

import json

import pytest

from client import deadlines
from client.shop import checkout_request
from client.waiting import eventually
from infra.stack import AUDIT_FAILURES, AUDIT_FUNCTION
from tests.integration.audits import audit_record
from tests.integration.orders import checkout_event

AUDIT_DEADLINE = deadlines.async_invoke(AUDIT_FUNCTION.timeout)


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


def test_a_redelivered_event_keeps_the_first_record(lambda_client, user_name):
    event = checkout_event(user_name)
    checkout_id = event["detail"]["checkoutId"]

    first = lambda_client.invoke(FunctionName=AUDIT_FUNCTION.name, Payload=json.dumps(event))
    recorded = audit_record(checkout_id)
    again = lambda_client.invoke(
        FunctionName=AUDIT_FUNCTION.name,
        Payload=json.dumps(event | {"detail": event["detail"] | {"totalPrice": "99.00"}}),
    )

    assert "FunctionError" not in first and "FunctionError" not in again, again["Payload"].read()
    assert audit_record(checkout_id) == recorded
    assert recorded["totalPrice"] == {"S": event["detail"]["totalPrice"]}


CARD = "4111111111111111"


def without(field: str):
    return lambda detail: {key: value for key, value in detail.items() if key != field}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda detail: detail | {"cardInfo": CARD}, "detail must NOT have additional properties: cardInfo"),
        (without("email"), "detail must have required property 'email'"),
        (
            lambda detail: detail | {"items": [{"productId": "p-1", "quantity": 0, "price": "1.00"}]},
            "detail.items.0.quantity must be >= 1",
        ),
    ],
    ids=["card number", "no email", "zero quantity"],
)
def test_an_event_that_breaks_the_contract_is_retried_then_kept_in_the_failure_queue_and_nothing_is_recorded(
    lambda_client, queues, user_name, change, message
):
    event = checkout_event(user_name)
    checkout_id = event["detail"]["checkoutId"]
    event["detail"] = change(event["detail"])

    lambda_client.invoke(FunctionName=AUDIT_FUNCTION.name, InvocationType="Event", Payload=json.dumps(event))

    record = queues.take(
        AUDIT_FAILURES.name,
        lambda body: body.get("requestPayload", {}).get("id") == event["id"],
        timeout=AUDIT_DEADLINE,
    )
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responsePayload"]["errorType"] == "BrokenContract"
    assert record["responsePayload"]["errorMessage"] == f"CheckoutBasket event breaks its contract: {message}"
    assert CARD not in json.dumps(record["responsePayload"])
    assert audit_record(checkout_id) is None
