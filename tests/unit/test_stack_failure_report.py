"""What a failed stack's deploy tells the user (embedded_localstack/apps/cloudformation.first_failure, for
SAM, template and CDK apps alike): the first resource that failed, its type, the name the template declares
for it, and CloudFormation's reason; read from the stack's events with no LocalStack (botocore's Stubber)."""

import datetime
import json

import boto3
from botocore.stub import Stubber

from embedded_localstack.apps.cloudformation import first_failure

STACK = "Shop"
START = datetime.datetime(2026, 1, 1, 12, 0, 0, tzinfo=datetime.UTC)


def event(logical_id: str, kind: str, status: str, seconds: int, reason: str = "", **extra) -> dict:
    return {
        "StackId": f"arn:aws:cloudformation:us-east-1:000000000000:stack/{STACK}/1",
        "EventId": f"{logical_id}-{status}-{seconds}",
        "StackName": STACK,
        "LogicalResourceId": logical_id,
        "ResourceType": kind,
        "ResourceStatus": status,
        "Timestamp": START + datetime.timedelta(seconds=seconds),
        **({"ResourceStatusReason": reason} if reason else {}),
        **extra,
    }


def reported(events: list[dict], since: float = 0) -> str | None:
    cfn = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(cfn) as stubber:
        # CloudFormation lists a stack's events newest first.
        stubber.add_response("describe_stack_events", {"StackEvents": events[::-1]}, {"StackName": STACK})
        return first_failure(cfn, STACK, since)


def test_the_first_failed_resource_is_named_as_declared_with_its_reason():
    message = reported(
        [
            event(STACK, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", 0),
            event("Items", "AWS::DynamoDB::Table", "CREATE_COMPLETE", 1, PhysicalResourceId="Shop-Items-1A2B"),
            event(
                "Legacy",
                "AWS::Lambda::Function",
                "CREATE_FAILED",
                2,
                "Value nodejs4.3 at 'runtime' failed to satisfy constraint",
                ResourceProperties=json.dumps({"FunctionName": "legacy-fn", "Runtime": "nodejs4.3"}),
            ),
            event("Later", "AWS::SQS::Queue", "CREATE_FAILED", 3, "Resource creation cancelled"),
            event(STACK, "AWS::CloudFormation::Stack", "CREATE_FAILED", 4, "Legacy failed"),
        ]
    )

    assert message == (
        "Legacy (AWS::Lambda::Function named legacy-fn) CREATE_FAILED: "
        "Value nodejs4.3 at 'runtime' failed to satisfy constraint"
    )


def test_a_resource_without_a_declared_name_is_named_by_its_physical_id():
    message = reported([event("Queue", "AWS::SQS::Queue", "CREATE_FAILED", 1, "quota", PhysicalResourceId="q-1")])

    assert message == "Queue (AWS::SQS::Queue named q-1) CREATE_FAILED: quota"


def test_failures_of_an_earlier_operation_are_not_reported_as_this_ones():
    earlier = event("Old", "AWS::SQS::Queue", "UPDATE_FAILED", 0, "an earlier failure")
    now = event("New", "AWS::SNS::Topic", "UPDATE_FAILED", 60, "this failure")

    assert reported([earlier, now], since=(START + datetime.timedelta(seconds=30)).timestamp()).startswith("New ")


def test_without_a_failed_resource_the_stacks_own_reason_is_given():
    message = reported([event(STACK, "AWS::CloudFormation::Stack", "CREATE_FAILED", 1, "Template format error")])

    assert message == "CREATE_FAILED: Template format error"


def test_events_that_tell_nothing_give_none():
    assert reported([event(STACK, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", 0)]) is None
