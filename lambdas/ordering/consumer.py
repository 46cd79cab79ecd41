"""Order creation (poll-based: an event source mapping hands this function batches from OrderQueue,
whose messages are CheckoutBasket events delivered by EventBridge).

Only failed records are reported back (Powertools batch processing, within a time budget:
shared/batches.py), so one poison or slow message neither blocks nor re-processes its batch-mates.
SQS delivers at least once, so creating an order is idempotent per checkoutId (Powertools idempotency, records in the idempotency table)."""

import json
from decimal import Decimal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from ordering.logic import order_from_checkout
from shared import faults
from shared.batches import TimeBudgetedBatchProcessor, budget_from_env
from shared.config import require_env
from shared.dynamo import KeyValueTable
from shared.event_contract import BrokenContract, received_checkout

logger = Logger(service="ordering")
orders = KeyValueTable(require_env("TABLE_NAME"), key="userName")
processor = TimeBudgetedBatchProcessor(*budget_from_env())
idempotency = IdempotencyConfig(
    event_key_jmespath="checkoutId", raise_on_no_idempotency_key=True, expires_after_seconds=86400
)
persistence = DynamoDBPersistenceLayer(table_name=require_env("IDEMPOTENCY_TABLE"))


@idempotent_function(data_keyword_argument="checkout", config=idempotency, persistence_store=persistence)
def create_order(checkout: dict) -> dict:
    faults.apply(checkout, default_key=checkout["checkoutId"])
    order = order_from_checkout(checkout)
    orders.put(order)
    logger.info(
        "order created", checkout_id=order["checkoutId"], user_name=order["userName"], order_date=order["orderDate"]
    )
    return {"userName": order["userName"], "orderDate": order["orderDate"]}


def record_handler(record: SQSRecord) -> dict:
    try:
        checkout = received_checkout(json.loads(record.body, parse_float=Decimal))
    except (BrokenContract, ValueError) as e:  # a poison message: fails alone, dead-lettered after its receives
        logger.error(
            "not a valid CheckoutBasket event; the record fails",
            message_id=record.message_id,
            reason=str(e),
            errors=getattr(e, "errors", None),
        )
        raise
    logger.set_correlation_id(checkout.get("correlationId"))
    logger.append_keys(
        checkout_id=checkout.get("checkoutId"),
        receive_count=record.attributes.approximate_receive_count,
        queued_at_ms=record.attributes.sent_timestamp,
    )
    try:
        return create_order(checkout=checkout)
    except Exception as e:  # reported to the mapping as a batch item failure; logged for make trace
        logger.warning("order attempt failed", error=f"{type(e).__name__}: {e}")
        raise


@logger.inject_lambda_context
def lambda_handler(event, context):
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
