"""A checkout whose CheckoutBasket event could not be published (failPublish, see FaultInjection in
the API contract), retried with its Idempotency-Key as a client does after a 503: the key's answer
never claims a checkout that was not published. Every 202 names a checkoutId that becomes an order."""

import uuid
from decimal import Decimal

from client import deadlines
from client.shop import checkout_request
from client.waiting import eventually
from tests.integration.orders import orders_of

FAIL_PUBLISH = {"faultInjection": {"failPublish": True}}
# What an error body must never show: where the shop's dependencies live, or its code.
INTERNALS = ("127.0.0.1", "localhost", "http://", "https://", "Traceback", 'File "')


def checkout(http, basket_api, user_name: str, key: str, **extra):
    return http.post(
        f"{basket_api}/basket/checkout", json=checkout_request(user_name, **extra), headers={"Idempotency-Key": key}
    )


def assert_an_error_telling_to_retry(response, status: int) -> None:
    assert response.status_code == status, response.text
    message = response.json()["message"]
    assert "retry" in message.lower() or "again" in message.lower(), message
    assert not [word for word in INTERNALS if word in response.text], response.text


def assert_every_202_became_the_one_order(http, order_api, user_name: str, responses: list) -> dict:
    """Never a 202 without an order: each accepted checkoutId is among the user's orders, and the user
    has exactly one order."""
    accepted = {r.json()["checkoutId"] for r in responses if r.status_code == 202}
    assert len(accepted) == 1, [(r.status_code, r.text) for r in responses]
    orders = eventually(
        lambda: [o for o in orders_of(http, order_api, user_name) if o["checkoutId"] in accepted],
        timeout=deadlines.ORDER,
        what=f"the orders of the accepted checkouts {sorted(accepted)}",
    )
    assert len(orders_of(http, order_api, user_name)) == 1
    return orders[0]


def test_a_failed_publish_retried_with_its_key_ends_in_one_order_of_the_basket(
    http, basket_api, order_api, filled_basket, user_name
):
    # Given a checkout whose publish fails, twice (the client retries the very same body first)
    key = str(uuid.uuid4())
    failed = [checkout(http, basket_api, user_name, key, **FAIL_PUBLISH) for _ in range(2)]

    # When the client retries with its key once the publish works, then once more
    retried = checkout(http, basket_api, user_name, key)
    again = checkout(http, basket_api, user_name, key)

    # Then each failure said to retry; the retry is accepted, and the key's answer names that one order
    for response in failed:
        assert_an_error_telling_to_retry(response, 503)
    assert retried.status_code == 202, retried.text
    assert (again.status_code, again.json(), again.headers.get("Idempotent-Replayed")) == (
        202,
        retried.json(),
        "true",
    )
    order = assert_every_202_became_the_one_order(http, order_api, user_name, [retried, again])
    assert order["checkoutId"] == retried.json()["checkoutId"]


def test_a_failed_publish_retried_after_the_basket_was_saved_again_never_answers_202_without_an_order(
    http, basket_api, order_api, filled_basket, user_name
):
    # Given a checkout whose publish fails, and a basket the user saves again (as when fixing the cart)
    key = str(uuid.uuid4())
    failed = checkout(http, basket_api, user_name, key, **FAIL_PUBLISH)
    assert_an_error_telling_to_retry(failed, 503)
    changed = filled_basket | {"items": [filled_basket["items"][0] | {"quantity": 2}]}
    assert http.post(f"{basket_api}/basket", json=changed).status_code == 201

    # When the client retries with the same key and body, then does as it is told if that is an error
    retried = checkout(http, basket_api, user_name, key)
    responses = [retried]
    if retried.status_code != 202:
        assert_an_error_telling_to_retry(retried, 409)
        assert "Idempotency-Key" in retried.json()["message"]
        responses.append(checkout(http, basket_api, user_name, str(uuid.uuid4())))

    # Then whatever was accepted became the one order, and it is of the basket as saved (1.25 x 2)
    order = assert_every_202_became_the_one_order(http, order_api, user_name, responses)
    assert Decimal(str(order["totalPrice"])) == Decimal("2.50"), order
