"""The CheckoutBasket event contract on the real bus: an event that breaks it, put on SwnEventBus by
anyone, is a poison message for each consumer, Python and Node.js alike (no order, no email, no audit
row, its card number in no log) and ends in each one's dead-letter queue; one that keeps it is served
as a checkout's own."""

import json
import random
import time

import pytest

from client import deadlines
from client.mailbox import emails_about
from client.waiting import eventually
from infra.aws import client
from infra.stack import (
    AUDIT_FAILURES,
    AUDIT_FUNCTION,
    CHECKOUT_DETAIL_TYPE,
    CHECKOUT_SOURCE,
    EVENT_BUS,
    NOTIFICATION_FAILURES,
    NOTIFICATION_FUNCTION,
    ORDER_BATCHING_WINDOW,
    ORDER_QUEUE,
    ORDER_QUEUE_DLQ,
    ORDERING_FUNCTION,
)
from shared.event_contract import BrokenContract, check_checkout
from tests.integration.audits import audit_record
from tests.integration.orders import checkout_event, exactly_one_order, orders_of

# The shop's own OrderQueue: every receive but the last waits out its visibility timeout.
ORDER_DEAD_LETTER_DEADLINE = deadlines.queue_delivery(
    ORDERING_FUNCTION.timeout,
    ORDER_BATCHING_WINDOW,
    receives=ORDER_QUEUE.max_receive_count,
    visibility_timeout=ORDER_QUEUE.visibility_timeout,
)
NOTIFICATION_FAILURE_DEADLINE = deadlines.async_invoke(NOTIFICATION_FUNCTION.timeout)
AUDIT_FAILURE_DEADLINE = deadlines.async_invoke(AUDIT_FUNCTION.timeout)


def put_on_the_bus(detail: dict) -> None:
    entry = {
        "EventBusName": EVENT_BUS.name,
        "Source": CHECKOUT_SOURCE,
        "DetailType": CHECKOUT_DETAIL_TYPE,
        "Detail": json.dumps(detail),
    }
    response = client("events").put_events(Entries=[entry])
    assert response["FailedEntryCount"] == 0, response


def lines_with(logs_client, function: str, text: str, since_ms: int) -> list[str]:
    pages = logs_client.get_paginator("filter_log_events").paginate(
        logGroupName=f"/aws/lambda/{function}", startTime=since_ms
    )
    return [event["message"] for page in pages for event in page["events"] if text in event["message"]]


def test_an_event_that_breaks_the_contract_is_dead_lettered_by_every_consumer_with_no_order_no_email_no_audit_no_card_in_any_log(
    http, order_api, queues, logs_client, user_name
):
    # Given an event that is a checkout's own but for the full card number it carries
    since_ms = int(time.time() * 1000)
    card = "4000" + "".join(random.choices("0123456789", k=12))
    detail = checkout_event(user_name)["detail"] | {"cardInfo": card}
    with pytest.raises(BrokenContract):
        check_checkout(detail)
    checkout_id = detail["checkoutId"]

    # When it is put on the bus directly
    put_on_the_bus(detail)

    # Then the notification function fails it on every attempt, and Lambda sends it to its on-failure queue
    failure = queues.take(
        NOTIFICATION_FAILURES.name,
        lambda body: body.get("requestPayload", {}).get("detail", {}).get("checkoutId") == checkout_id,
        timeout=NOTIFICATION_FAILURE_DEADLINE,
    )
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert (
        "contract" in failure["responsePayload"]["errorMessage"]
        and card not in failure["responsePayload"]["errorMessage"]
    )
    # And the ordering function fails its record on every receive, and SQS moves it to OrderQueue-dlq
    dead = queues.take(
        ORDER_QUEUE_DLQ.name,
        lambda body: body.get("detail", {}).get("checkoutId") == checkout_id,
        timeout=ORDER_DEAD_LETTER_DEADLINE,
    )
    assert dead["detail"]["cardInfo"] == card, "the message as it was: nothing is lost"
    # And the Node.js audit function fails it on every attempt too, and Lambda sends it to its on-failure queue
    audit_failure = queues.take(
        AUDIT_FAILURES.name,
        lambda body: body.get("requestPayload", {}).get("detail", {}).get("checkoutId") == checkout_id,
        timeout=AUDIT_FAILURE_DEADLINE,
    )
    assert audit_failure["requestContext"]["condition"] == "RetriesExhausted"
    assert audit_failure["responsePayload"]["errorType"] == "BrokenContract"
    assert card not in json.dumps(audit_failure["responsePayload"])
    # Every attempt is over: no order was made, no email sent, no audit row written
    assert orders_of(http, order_api, user_name) == []
    assert emails_about(checkout_id) == []
    assert audit_record(checkout_id) is None
    # Each consumer said why, and none logged the card number
    reasons = {
        ORDERING_FUNCTION.name: "not a valid CheckoutBasket event",
        NOTIFICATION_FUNCTION.name: "not a valid CheckoutBasket event",
        AUDIT_FUNCTION.name: "CheckoutBasket event breaks its contract",
    }
    for function, reason in reasons.items():
        eventually(
            lambda function=function, reason=reason: lines_with(logs_client, function, reason, since_ms),
            timeout=deadlines.LOG_SHIPPING,
            what=f"{function}'s reason",
        )
        assert lines_with(logs_client, function, card, since_ms) == [], function


def test_an_event_that_keeps_the_contract_put_on_the_bus_becomes_an_order_and_an_email(http, order_api, user_name):
    # Given the detail a checkout publishes, put on the bus by hand (EventBridge parses it, LocalStack with floats)
    detail = checkout_event(user_name)["detail"]
    check_checkout(detail)

    put_on_the_bus(detail)

    assert exactly_one_order(http, order_api, user_name)["checkoutId"] == detail["checkoutId"]
    eventually(lambda: emails_about(detail["checkoutId"]), timeout=deadlines.EMAIL, what="the confirmation email")
