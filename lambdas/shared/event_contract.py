"""CheckoutBasket events checked against their contract (api/events/checkout-basket.schema.json,
shipped with the OpenAPI document in contracts/): by the basket before publishing, by each consumer on receipt."""

import functools
import json

import fastjsonschema

from shared.api_contract import CONTRACTS, DOCUMENT, for_validation, refuse_unstorable_text
from shared.errors import InvalidInput

CHECKOUT_BASKET = "checkout-basket.schema.json"
# How the event contracts name the OpenAPI document (api/openapi.yaml, shipped as openapi.json).
OPENAPI_REFERENCE = "../openapi.yaml"


class BrokenContract(InvalidInput):
    """An event that does not match its contract: a bug in its producer, or a poison message.
    Its message and errors name fields and rules, never a field's value (which may be a card number)."""


def _openapi(uri: str) -> dict:
    if uri != OPENAPI_REFERENCE:
        raise ValueError(f"{uri}: the event contracts refer to {OPENAPI_REFERENCE} only")
    return DOCUMENT


@functools.cache
def validator(schema_file: str):
    """Compiled once per environment, as shared.api_contract.validator is."""
    schema = json.loads((CONTRACTS / schema_file).read_text())
    # A relative $ref has the empty scheme; fastjsonschema would fetch any other over the network.
    return fastjsonschema.compile(schema, handlers={"": _openapi})


def check_checkout(detail: dict) -> None:
    """BrokenContract unless `detail` is a valid CheckoutBasket detail, whole numbers being integers
    as in JSON (a DynamoDB number such as Decimal(4) travels as 4)."""
    try:
        refuse_unstorable_text(detail, where="CheckoutBasket event")
        validator(CHECKOUT_BASKET)(for_validation(detail))
    except InvalidInput as e:
        raise BrokenContract(f"CheckoutBasket event breaks its contract: {e}", e.errors) from None
    except fastjsonschema.JsonSchemaValueException as e:
        field = (e.name or "").removeprefix("data.").removeprefix("data") or "(detail)"
        raise BrokenContract(
            f"CheckoutBasket event breaks its contract: {e.message}", [{"field": field, "message": e.message}]
        ) from None


def received_checkout(event) -> dict:
    """The detail of a CheckoutBasket event (an EventBridge envelope) as a consumer receives it;
    BrokenContract for anything else, which the consumer fails as a poison message."""
    detail = event.get("detail") if isinstance(event, dict) else None
    if not isinstance(detail, dict):
        raise BrokenContract(
            "not a CheckoutBasket event: no detail object", [{"field": "detail", "message": "an object is required"}]
        )
    check_checkout(detail)
    return detail
