"""S3 ObjectCreated -> image-metadata (async invoke) -> image-metadata queue -> product-image-updater
(event source mapping) -> the product's image fields. Nothing is lost: an image of an unknown product
ends in the dead-letter queue."""

import uuid

from client import deadlines
from client.images import png
from client.waiting import eventually
from infra.aws import client
from infra.stack import IMAGE_BUCKET, IMAGE_DLQ, IMAGE_METADATA_FUNCTION, IMAGE_METADATA_QUEUE, IMAGE_UPDATER_FUNCTION

# S3 invokes image-metadata asynchronously, which queues the metadata for the updater's mapping.
IMAGE_DEADLINE = deadlines.async_invoke(IMAGE_METADATA_FUNCTION.timeout, attempts=1) + deadlines.queue_delivery(
    IMAGE_UPDATER_FUNCTION.timeout
)


def test_uploaded_image_updates_the_product(http, product_api, create_product):
    product = create_product()
    key = f"products/{product['id']}/front.png"
    image = png(7, 3)

    client("s3").put_object(Bucket=IMAGE_BUCKET.name, Key=key, Body=image, ContentType="image/png")

    def updated():
        found = http.get(f"{product_api}/product/{product['id']}").json()
        return found if "image" in found else None

    stored = eventually(updated, timeout=IMAGE_DEADLINE, what="the product's image fields")
    assert stored["imageFile"] == key
    assert stored["image"] == {
        "bucket": IMAGE_BUCKET.name,
        "key": key,
        "size": len(image),
        "contentType": "image/png",
        "format": "png",
        "width": 7,
        "height": 3,
    }


def test_image_of_an_unknown_product_ends_in_the_dead_letter_queue(queues):
    key = f"products/no-such-product-{uuid.uuid4().hex[:8]}/x.png"

    client("s3").put_object(Bucket=IMAGE_BUCKET.name, Key=key, Body=png(1, 1), ContentType="image/png")

    # Three receives, each after the visibility timeout, then SQS moves the message.
    receives = IMAGE_METADATA_QUEUE.max_receive_count
    timeout = IMAGE_DEADLINE + deadlines.queue_delivery(
        IMAGE_UPDATER_FUNCTION.timeout, 0, receives, IMAGE_METADATA_QUEUE.visibility_timeout
    )
    message = queues.take(IMAGE_DLQ.name, lambda body: body.get("key") == key, timeout=timeout)
    assert message["productId"].startswith("no-such-product-")
