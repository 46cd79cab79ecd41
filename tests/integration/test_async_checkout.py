"""Asynchronous path: checkout publishes one CheckoutBasket event; EventBridge invokes the
notification function asynchronously, which sends the confirmation email through SES."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from client import deadlines
from client.mailbox import emails_about
from client.shop import checkout_request
from client.waiting import eventually
from infra.aws import client
from infra.paths import ARCHIVES_DIR
from infra.reconcilers.lambda_ import environment_of
from infra.stack import BASKET_FUNCTION, BASKET_TABLE, CHECKOUT_SOURCE, EVENT_BUS, STACK, TABLES
from shared.event_contract import check_checkout
from tests.integration.invocations import proxy_event
from tests.integration.orders import exactly_one_order


@pytest.fixture
def checkout_listener(queues, user_name):
    """A second rule on the bus, for this test's user only, feeding a queue of its own."""
    events, sqs = client("events"), client("sqs")
    name = f"test-{user_name}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": [CHECKOUT_SOURCE], "detail": {"userName": [user_name]}}
    events.put_rule(Name=name, EventBusName=EVENT_BUS.name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName=EVENT_BUS.name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    yield name
    events.remove_targets(Rule=name, EventBusName=EVENT_BUS.name, Ids=["queue"])
    events.delete_rule(Name=name, EventBusName=EVENT_BUS.name)
    sqs.delete_queue(QueueUrl=queue_url)


def test_checkout_publishes_exactly_one_event_and_empties_the_basket(
    http, basket_api, queues, checkout_listener, filled_basket, user_name
):
    response = http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name))

    assert response.status_code == 202
    checkout_id = response.json()["checkoutId"]
    event = queues.take(checkout_listener, lambda body: True)
    detail = event["detail"]
    assert event["detail-type"] == "CheckoutBasket" and event["source"] == CHECKOUT_SOURCE
    assert detail["checkoutId"] == checkout_id
    assert Decimal(str(detail["totalPrice"])) == Decimal("8.50")  # 1.25 x 4 + 3.5 x 1
    assert detail["cardLast4"] == "1111"
    assert "4111111111111111" not in json.dumps(event) and "cardInfo" not in detail
    check_checkout(detail)  # as EventBridge delivered it
    with pytest.raises(TimeoutError):  # a second event would arrive within the same deadline
        queues.take(checkout_listener, lambda body: True, timeout=deadlines.EVENT_TO_QUEUE)
    assert http.get(f"{basket_api}/basket/{user_name}").status_code == 404


def checkout_concurrently(http, basket_api, user_name: str, headers: list[dict]) -> list:
    with ThreadPoolExecutor(max_workers=len(headers)) as pool:
        return list(
            pool.map(
                lambda h: http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name), headers=h),
                headers,
            )
        )


def only_one_event(queues, listener: str) -> dict:
    event = queues.take(listener, lambda body: True)
    with pytest.raises(TimeoutError):  # a second event would arrive within the same deadline
        queues.take(listener, lambda body: True, timeout=deadlines.EVENT_TO_QUEUE)
    return event["detail"]


def test_ten_concurrent_checkouts_of_one_basket_publish_one_event_and_the_others_get_409(
    http, basket_api, order_api, queues, checkout_listener, filled_basket, user_name
):
    responses = checkout_concurrently(http, basket_api, user_name, [{}] * 10)

    assert sorted(r.status_code for r in responses) == [202] + [409] * 9, [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 202).json()
    assert all(r.json()["message"] for r in responses if r.status_code == 409)
    assert only_one_event(queues, checkout_listener)["checkoutId"] == winner["checkoutId"]
    assert exactly_one_order(http, order_api, user_name)["checkoutId"] == winner["checkoutId"]
    # A repeat after the basket is gone is told so, not "no basket".
    late = http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name))
    assert late.status_code == 409 and winner["checkoutId"] in late.json()["message"]


def test_ten_concurrent_checkouts_with_one_idempotency_key_all_get_the_winners_answer(
    http, basket_api, order_api, queues, checkout_listener, filled_basket, user_name
):
    key = str(uuid.uuid4())

    responses = checkout_concurrently(http, basket_api, user_name, [{"Idempotency-Key": key}] * 10)

    assert [r.status_code for r in responses] == [202] * 10, [r.text for r in responses]
    assert len({r.json()["checkoutId"] for r in responses}) == 1
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in responses) == [""] + ["true"] * 9
    checkout_id = responses[0].json()["checkoutId"]
    assert only_one_event(queues, checkout_listener)["checkoutId"] == checkout_id
    assert exactly_one_order(http, order_api, user_name)["checkoutId"] == checkout_id
    again = http.post(
        f"{basket_api}/basket/checkout", json=checkout_request(user_name), headers={"Idempotency-Key": key}
    )
    other = http.post(
        f"{basket_api}/basket/checkout", json=checkout_request(user_name), headers={"Idempotency-Key": key + "-2"}
    )
    assert (again.status_code, again.json()) == (202, {"checkoutId": checkout_id})
    assert other.status_code == 409


@pytest.mark.parametrize("key", ["has space", "x" * 256], ids=["space", "too-long"])
def test_an_invalid_idempotency_key_is_400_naming_the_header(http, basket_api, filled_basket, user_name, key):
    response = http.post(
        f"{basket_api}/basket/checkout", json=checkout_request(user_name), headers={"Idempotency-Key": key}
    )

    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert http.get(f"{basket_api}/basket/{user_name}").status_code == 200, "the basket stays"


def test_checkout_of_a_missing_basket_is_404_and_of_an_empty_one_400(http, basket_api, user_name):
    missing = http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name))
    http.post(f"{basket_api}/basket", json={"userName": user_name, "items": []})
    empty = http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name))

    assert missing.status_code == 404
    assert empty.status_code == 400 and empty.json()["errors"]


@pytest.mark.parametrize("change", [{"cardInfo": "4111"}, {"email": "not-an-email"}, {"paymentMethod": "card"}])
def test_invalid_checkout_request_is_400(http, basket_api, filled_basket, user_name, change):
    response = http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name) | change)

    assert response.status_code == 400
    assert http.get(f"{basket_api}/basket/{user_name}").status_code == 200, "the basket stays"


def deployed_secrets() -> dict[str, str]:
    ssm = client("ssm")
    return {s.name: ssm.get_parameter(Name=s.name, WithDecryption=True)["Parameter"]["Value"] for s in STACK.secrets}


def basket_from_archive(create_function, source: str, **variables: str) -> str:
    """The real basket archive as a function of the test's own: the shop's environment, with these changes."""
    return create_function(
        source,
        code={"ZipFile": (ARCHIVES_DIR / f"{BASKET_FUNCTION.name}.zip").read_bytes()},
        Handler=BASKET_FUNCTION.handler,
        Environment={
            "Variables": environment_of(BASKET_FUNCTION, queue_urls={}, secrets=deployed_secrets()) | variables
        },
    )


def test_when_publishing_fails_the_basket_stays_and_the_client_gets_503(
    create_function, invoke, filled_basket, user_name
):
    # The real basket archive, with EventBridge out of reach (LocalStack accepts events for any bus
    # name, so an unknown bus would not fail).
    name = basket_from_archive(
        create_function,
        "basket-no-eventbridge",
        AWS_ENDPOINT_URL_EVENTBRIDGE="http://127.0.0.1:9",  # nothing listens on the discard port
        AWS_MAX_ATTEMPTS="1",
    )

    result, _ = invoke(
        name, proxy_event("POST", "/basket/checkout", "/basket/checkout", json.dumps(checkout_request(user_name)))
    )

    assert result["statusCode"] == 503, result
    assert "127.0.0.1" not in result["body"] and "http://" not in result["body"], "no internal endpoint"
    stored = client("dynamodb").get_item(TableName=BASKET_TABLE.name, Key={"userName": {"S": user_name}})
    assert "Item" in stored, "the basket stays when the event could not be published"
    assert "until" not in stored["Item"]["checkoutClaim"]["M"], (
        "and is free for the next checkout (which keeps its checkoutId)"
    )


def test_a_checkout_that_fails_after_publishing_is_retried_into_the_same_single_order(
    create_function, invoke, http, basket_api, order_api, queues, checkout_listener, filled_basket, user_name
):
    # Given the real basket archive whose checkout table is missing: without an Idempotency-Key its
    # first write there comes after publishing, so the event is out and the function fails (500)
    name = basket_from_archive(
        create_function,
        "basket-no-checkout-table",
        CHECKOUT_TABLE=f"no-such-table-{uuid.uuid4().hex}",
        AWS_MAX_ATTEMPTS="1",
    )
    result, _ = invoke(
        name, proxy_event("POST", "/basket/checkout", "/basket/checkout", json.dumps(checkout_request(user_name)))
    )
    assert result["statusCode"] == 500, result
    first = queues.take(checkout_listener, lambda body: True)["detail"]
    # Its claim expires (CLAIM_SECONDS); moved into the past here rather than waited for.
    client("dynamodb").update_item(
        TableName=BASKET_TABLE.name,
        Key={"userName": {"S": user_name}},
        UpdateExpression="SET checkoutClaim.#until = :past",
        ExpressionAttributeNames={"#until": "until"},
        ExpressionAttributeValues={":past": {"N": "0"}},
    )

    # When the client retries through the API, with a key, then again with it, then without one
    key = str(uuid.uuid4())
    retried = http.post(
        f"{basket_api}/basket/checkout", json=checkout_request(user_name), headers={"Idempotency-Key": key}
    )
    replayed = http.post(
        f"{basket_api}/basket/checkout", json=checkout_request(user_name), headers={"Idempotency-Key": key}
    )
    without_key = http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name))

    # Then the retry published the very same checkout again, and there is one order, of that checkoutId
    assert (retried.status_code, retried.json()) == (202, {"checkoutId": first["checkoutId"]}), retried.text
    assert (replayed.status_code, replayed.json(), replayed.headers.get("Idempotent-Replayed")) == (
        202,
        retried.json(),
        "true",
    )
    assert without_key.status_code == 409 and first["checkoutId"] in without_key.json()["message"]
    second = queues.take(checkout_listener, lambda body: True)["detail"]
    assert {k: v for k, v in second.items() if k != "correlationId"} == {
        k: v for k, v in first.items() if k != "correlationId"
    }
    assert exactly_one_order(http, order_api, user_name)["checkoutId"] == first["checkoutId"]


def test_saving_a_basket_during_its_checkout_is_409_and_a_reused_key_with_another_request_422(
    http, basket_api, filled_basket, user_name
):
    # A live claim, as a checkout in flight holds it (one that never ends: its until is far ahead)
    client("dynamodb").update_item(
        TableName=BASKET_TABLE.name,
        Key={"userName": {"S": user_name}},
        UpdateExpression="SET checkoutClaim = :claim",
        ExpressionAttributeValues={
            ":claim": {
                "M": {
                    "id": {"S": "in-flight"},
                    "until": {"N": "99999999999"},
                    "checkedOutAt": {"S": "t"},
                    "idempotencyKey": {"S": ""},
                }
            }
        },
    )
    saved = http.post(f"{basket_api}/basket", json={"userName": user_name, "items": []})
    assert saved.status_code == 409 and saved.json()["message"], saved.text
    assert http.get(f"{basket_api}/basket/{user_name}").json()["items"], "the basket is unchanged"
    client("dynamodb").delete_item(TableName=BASKET_TABLE.name, Key={"userName": {"S": user_name}})

    http.post(
        f"{basket_api}/basket", json={"userName": user_name, "items": [{"productId": "p1", "price": 1, "quantity": 1}]}
    )
    key = str(uuid.uuid4())
    first = http.post(
        f"{basket_api}/basket/checkout", json=checkout_request(user_name), headers={"Idempotency-Key": key}
    )
    other = http.post(
        f"{basket_api}/basket/checkout",
        json=checkout_request(user_name, address="2 Other Road"),
        headers={"Idempotency-Key": key},
    )
    assert first.status_code == 202, first.text
    assert other.status_code == 422 and other.json()["message"], other.text


def test_confirmation_email_is_sent_asynchronously(http, basket_api, filled_basket, user_name):
    checkout_id = http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name)).json()["checkoutId"]

    emails = eventually(lambda: emails_about(checkout_id), timeout=deadlines.EMAIL, what="the confirmation email")

    email = emails[0]
    assert email["Destination"]["ToAddresses"] == [f"{user_name}@example.com"]
    assert "ending in 1111" in email["Body"]["text_part"]
    assert "4111111111111111" not in json.dumps(email)


def test_card_number_is_never_stored_or_logged_beyond_its_last_four_digits(
    http, basket_api, order_api, filled_basket, user_name, logs_client
):
    card = "5500000000000004"
    checkout_id = http.post(f"{basket_api}/basket/checkout", json=checkout_request(user_name, cardInfo=card)).json()[
        "checkoutId"
    ]
    eventually(lambda: emails_about(checkout_id), timeout=deadlines.EMAIL, what="the email")
    order = eventually(
        lambda: http.get(f"{order_api}/order/{user_name}").json(), timeout=deadlines.ORDER, what="the order"
    )

    assert order[0]["cardLast4"] == "0004"
    dynamodb = client("dynamodb")
    for table in TABLES:
        items = dynamodb.scan(TableName=table.name)["Items"]
        assert card not in json.dumps(items), f"table {table.name}"
    for function in ("basket", "ordering", "notification"):
        # Every page: each function's log holds the whole suite's lines by now.
        pages = logs_client.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{function}")
        messages = [e["message"] for page in pages for e in page["events"]]
        assert any(checkout_id in m for m in messages), f"{function} logged this checkout"
        assert not [m for m in messages if card in m], function
