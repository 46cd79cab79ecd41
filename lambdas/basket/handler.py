"""Basket API (synchronous: API Gateway -> this function -> DynamoDB). Checkout starts the
asynchronous path: one CheckoutBasket event on the bus."""

import re
from http import HTTPStatus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths

from basket import logic
from shared import faults
from shared.api_contract import parse_body
from shared.config import require_env
from shared.dynamo import KeyValueTable
from shared.errors import InvalidInput
from shared.event_contract import BrokenContract, check_checkout
from shared.events import EventPublisher
from shared.http import create_app, no_content, request_body, to_json
from shared.pagination import page_request

logger = Logger(service="basket")
app = create_app(logger)
baskets = KeyValueTable(require_env("TABLE_NAME"), key="userName")
# Signs the lists' nextTokens (shared/pagination.py): made once per environment by provisioning.
LIST_TOKEN_KEY = require_env("LIST_TOKEN_KEY").encode()
checkouts = KeyValueTable(require_env("CHECKOUT_TABLE"), key="id")
# As in the contract (IdempotencyKey): printable ASCII without spaces, such as a UUID.
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
publisher = EventPublisher(require_env("EVENT_BUS_NAME"))
CHECKOUT_SOURCE, CHECKOUT_DETAIL_TYPE = require_env("CHECKOUT_SOURCE"), require_env("CHECKOUT_DETAIL_TYPE")


def publish_checkout(detail: dict) -> str:
    try:
        check_checkout(detail)
    except BrokenContract as e:
        # A bug, or a saved basket the contract no longer admits: nothing is published, logic.checkout
        # releases the claim (the basket stays) and the client gets 400 naming the field.
        logger.error(
            "checkout event breaks its contract; not published",
            checkout_id=detail.get("checkoutId"),
            reason=str(e),
            errors=e.errors,
        )
        raise
    event_id = publisher.publish(CHECKOUT_SOURCE, CHECKOUT_DETAIL_TYPE, detail)
    logger.info(
        "checkout event published",
        checkout_id=detail["checkoutId"],
        event_id=event_id,
        checked_out_at=detail["checkedOutAt"],
    )
    return event_id


@app.get("/basket")
def list_baskets():
    query = app.current_event.get_query_string_value
    return logic.list_baskets(baskets, page_request(query("limit"), query("nextToken"), LIST_TOKEN_KEY))


@app.post("/basket")
def save_basket():
    return logic.save_basket(baskets, parse_body(request_body(app), "Basket")), 201


def idempotency_key() -> str | None:
    key = app.current_event.get_header_value("Idempotency-Key", case_sensitive=False)
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput(
            "Idempotency-Key is invalid",
            [{"field": "Idempotency-Key", "message": "1 to 255 printable ASCII characters, no spaces"}],
        )
    return key


@app.post("/basket/checkout")
def checkout():
    request = parse_body(request_body(app), "CheckoutRequest")
    key = idempotency_key()

    def publish(detail: dict) -> str:
        faults.refuse_publish(request, CHECKOUT_DETAIL_TYPE)
        return publish_checkout(detail)

    accepted, replayed = logic.checkout(baskets, checkouts, publish, request, logger.get_correlation_id(), key)
    if replayed:
        logger.info("checkout answer replayed", checkout_id=accepted["checkoutId"], user_name=request["userName"])
        return Response(
            HTTPStatus.ACCEPTED,
            content_types.APPLICATION_JSON,
            to_json(accepted),
            headers={"Idempotent-Replayed": "true"},
        )
    logger.info("basket checked out", checkout_id=accepted["checkoutId"], user_name=request["userName"])
    return accepted, 202


@app.get("/basket/<user_name>")
def get_basket(user_name: str):
    return logic.get_basket(baskets, user_name)


@app.delete("/basket/<user_name>")
def delete_basket(user_name: str):
    logic.delete_basket(baskets, user_name)
    return no_content()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event, context):
    return app.resolve(event, context)
