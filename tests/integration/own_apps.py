"""Helpers of the own-app tests: a private copy of a fixture app (its folder name, and so its stack
name, unique per test, so that tests deploy side by side), and what is left of an app after it went."""

import shutil
import uuid
from pathlib import Path

from botocore.exceptions import ClientError

from embedded_localstack import clients

APPS = Path(__file__).resolve().parents[1] / "fixtures" / "apps"


def copy_app(name: str, tmp_path: Path) -> Path:
    target = tmp_path / f"{name.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(APPS / name, target)
    return target


def stack_exists(name: str) -> bool:
    try:
        status = clients.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except ClientError:
        return False
    return status != "DELETE_COMPLETE"


def leftovers(resources: list[dict]) -> list[str]:
    """The resources of a deleted stack that still exist, by their physical ids."""
    probes = {
        "AWS::Lambda::Function": lambda pid: clients.client("lambda").get_function(FunctionName=pid),
        "AWS::SQS::Queue": lambda pid: clients.client("sqs").get_queue_attributes(QueueUrl=pid),
        "AWS::DynamoDB::Table": lambda pid: clients.client("dynamodb").describe_table(TableName=pid),
        "AWS::ApiGateway::RestApi": lambda pid: clients.client("apigateway").get_rest_api(restApiId=pid),
        "AWS::IAM::Role": lambda pid: clients.client("iam").get_role(RoleName=pid),
        "AWS::Lambda::EventSourceMapping": lambda pid: clients.client("lambda").get_event_source_mapping(UUID=pid),
    }
    left = []
    for resource in resources:
        probe = probes.get(resource["ResourceType"])
        if probe is None:
            continue
        try:
            probe(resource["PhysicalResourceId"])
            left.append(f"{resource['ResourceType']} {resource['PhysicalResourceId']}")
        except ClientError:
            pass
    return left


def artifacts(stack: str) -> list[str]:
    from embedded_localstack.apps.deployment import ARTIFACTS_BUCKET

    try:
        listing = clients.client("s3").list_objects_v2(Bucket=ARTIFACTS_BUCKET, Prefix=f"{stack}/")
    except ClientError:
        return []
    return [o["Key"] for o in listing.get("Contents", [])]
