"""Order confirmation email (asynchronous: EventBridge invokes this function with InvocationType
Event; Lambda retries it twice, then sends the event to the notification-failures queue)."""

import boto3
from aws_lambda_powertools import Logger

from notification.email import confirmation
from shared import faults
from shared.config import require_env
from shared.event_contract import BrokenContract, received_checkout

logger = Logger(service="notification")
ses = boto3.client("ses")
SENDER = require_env("SENDER")


@logger.inject_lambda_context
def lambda_handler(event, context):
    try:
        detail = received_checkout(event)
    except BrokenContract as e:  # Lambda retries it, then it goes to the on-failure destination
        logger.error("not a valid CheckoutBasket event; no email sent", reason=str(e), errors=e.errors)
        raise
    logger.set_correlation_id(detail.get("correlationId"))
    logger.append_keys(checkout_id=detail["checkoutId"])
    try:
        faults.apply(detail, default_key=detail["checkoutId"])
        subject, body = confirmation(detail)
        message_id = ses.send_email(
            Source=SENDER,
            Destination={"ToAddresses": [detail["email"]]},
            Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": body}}},
        )["MessageId"]
    except Exception as e:  # Lambda retries the event; logged for make trace
        logger.warning("notification attempt failed", error=f"{type(e).__name__}: {e}")
        raise
    logger.info("confirmation email sent", message_id=message_id)
    return {"messageId": message_id}
