"""Product images: a minimal valid PNG of any size, and uploading one where the shop picks it up."""

import struct
import zlib

from infra.aws import client
from infra.stack import IMAGE_BUCKET, IMAGE_PREFIX


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def image_key(product_id: str, file_name: str) -> str:
    return f"{IMAGE_PREFIX}{product_id}/{file_name}"


def upload_image(product_id: str, file_name: str, data: bytes, content_type: str = "image/png") -> str:
    """Puts the image in the product's folder of the image bucket; returns its key."""
    key = image_key(product_id, file_name)
    client("s3").put_object(Bucket=IMAGE_BUCKET.name, Key=key, Body=data, ContentType=content_type)
    return key
