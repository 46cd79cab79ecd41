"""Buckets and their notifications. Drift: S3 reads filter rule names back capitalised ("Prefix")."""

import json

from botocore.exceptions import ClientError

from infra import settings
from infra.model import Bucket, BucketNotification
from infra.target import Target, log


def ensure_bucket(target: Target, bucket: Bucket) -> None:
    s3 = target.client("s3")
    try:
        s3.head_bucket(Bucket=bucket.name)
        return
    except ClientError:
        pass
    kwargs = (
        {} if settings.REGION == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": settings.REGION}}
    )
    s3.create_bucket(Bucket=bucket.name, **kwargs)
    log(f"bucket {bucket.name} created")


def notification_configuration(target: Target, notifications: list[BucketNotification]) -> dict:
    return {
        "LambdaFunctionConfigurations": [
            {
                "Id": n.id,
                "LambdaFunctionArn": target.arns(n.function),
                "Events": list(n.events),
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": n.prefix}]}},
            }
            for n in notifications
        ]
    }


def ensure_notifications(target: Target, bucket: Bucket, notifications: list[BucketNotification]) -> None:
    s3 = target.client("s3")
    wanted = notification_configuration(target, notifications)
    current = s3.get_bucket_notification_configuration(Bucket=bucket.name).get("LambdaFunctionConfigurations", [])
    normalised = json.loads(json.dumps(current).replace('"Name": "Prefix"', '"Name": "prefix"'))
    if normalised != wanted["LambdaFunctionConfigurations"]:
        s3.put_bucket_notification_configuration(Bucket=bucket.name, NotificationConfiguration=wanted)
        log(f"bucket {bucket.name}: notifications to {', '.join(n.function.name for n in notifications)}")


def delete_bucket(target: Target, bucket: Bucket) -> None:
    """With its objects and notifications: S3 refuses to delete a bucket that is not empty."""
    s3 = target.client("s3")
    try:
        s3.head_bucket(Bucket=bucket.name)
    except ClientError:
        return
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket.name):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=bucket.name, Delete={"Objects": doomed, "Quiet": True})
    s3.delete_bucket(Bucket=bucket.name)
    log(f"bucket {bucket.name} deleted")
