"""Image metadata (asynchronous: S3 invokes this function for every object created under products/).
It reads the object's size, content type and dimensions and posts them to the image-metadata queue."""

import json
import urllib.parse

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

from product_images.image_headers import dimensions
from product_images.object_keys import product_id_of
from shared.config import require_env

logger = Logger(service="image-metadata")
s3 = boto3.client("s3")
sqs = boto3.client("sqs")
QUEUE_URL = require_env("METADATA_QUEUE_URL")
HEADER_BYTES = 64 * 1024  # enough for PNG's IHDR and the start-of-frame of common JPEGs


@logger.inject_lambda_context
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context):
    for record in event.records:
        bucket, key = record.s3.bucket.name, urllib.parse.unquote_plus(record.s3.get_object.key)
        obj = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEADER_BYTES - 1}")
        found = dimensions(obj["Body"].read())
        metadata = {
            "productId": product_id_of(key),
            "bucket": bucket,
            "key": key,
            "size": record.s3.get_object.size,
            "contentType": obj.get("ContentType"),
            "format": found[0] if found else None,
            "width": found[1] if found else None,
            "height": found[2] if found else None,
        }
        sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps(metadata))
        logger.info("image metadata queued", **metadata)
