"""Product image fields (poll-based: an event source mapping hands this function batches from the
image-metadata queue). A record for an unknown product, or one that runs past its time limit
(shared/batches.py), fails alone; after three receives SQS moves it to the dead-letter queue."""

import json

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import process_partial_response

from shared.batches import TimeBudgetedBatchProcessor, budget_from_env
from shared.config import require_env

logger = Logger(service="product-image-updater")
products = boto3.resource("dynamodb").Table(require_env("TABLE_NAME"))
processor = TimeBudgetedBatchProcessor(*budget_from_env())


class UnknownProduct(Exception):
    pass


def record_handler(record) -> None:
    metadata = json.loads(record.body)
    image = {key: metadata[key] for key in ("bucket", "key", "size", "contentType", "format", "width", "height")}
    try:
        products.update_item(
            Key={"id": metadata["productId"]},
            UpdateExpression="SET imageFile = :key, image = :image",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeValues={":key": metadata["key"], ":image": image},
        )
    except products.meta.client.exceptions.ConditionalCheckFailedException:
        raise UnknownProduct(f"image {metadata['key']} names unknown product {metadata['productId']}") from None
    logger.info("product image updated", product_id=metadata["productId"], key=metadata["key"])


@logger.inject_lambda_context
def lambda_handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
