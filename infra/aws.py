"""boto3 clients for the configured endpoint (LocalStack unless real AWS is explicitly allowed)."""

import boto3
from botocore.config import Config

from infra import settings


def client(service: str, endpoint_url: str | None = None, **config):
    """endpoint_url: another local endpoint than the configured one (a second LocalStack)."""
    return boto3.client(
        service,
        endpoint_url=settings.require_local_endpoint(endpoint_url or settings.ENDPOINT_URL),
        region_name=settings.REGION,
        aws_access_key_id=settings.ACCESS_KEY_ID,
        aws_secret_access_key=settings.SECRET_ACCESS_KEY,
        config=Config(**config) if config else None,
    )
