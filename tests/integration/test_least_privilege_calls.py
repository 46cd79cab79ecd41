"""Privilege that is both sufficient and least, verified from what the functions did: every AWS call
each shop function made during the suite (recorded by lambdas/shared/aws_calls.py in its log) is
checked against its role's policy with moto's IAM policy evaluator. LocalStack Community does not
enforce IAM, so without this a missing grant would show only on AWS. Runs after the rest of the
suite (marker after_suite: scripts/test.sh runs it once the others have finished), so that it sees
the calls of every other test; grants that no call used are reported as a warning."""

import fnmatch
import json
import warnings

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from infra import settings
from infra.arns import Arns
from infra.aws import client
from infra.model import Function
from infra.stack import FUNCTIONS, SUBSCRIPTIONS

ACCOUNT = "000000000000"

pytestmark = pytest.mark.after_suite


def resource_arn(arns: Arns, service: str, resources: dict) -> str:
    """The ARN IAM evaluates for a call, from the parameters that name its resource."""
    prefix = f"{arns.region}:{arns.account}"
    match service:
        case "dynamodb":
            return f"arn:aws:dynamodb:{prefix}:table/{resources['TableName']}"
        case "sqs":
            return f"arn:aws:sqs:{prefix}:{resources['QueueUrl'].rsplit('/', 1)[-1]}"
        case "events":
            bus = resources["EventBusName"]
            return bus if bus.startswith("arn:") else f"arn:aws:events:{prefix}:event-bus/{bus}"
        case "ses":
            return f"arn:aws:ses:{prefix}:identity/{resources['Source']}"
        case "s3":
            return f"arn:aws:s3:::{resources['Bucket']}/{resources.get('Key', '')}"
    raise AssertionError(f"no ARN rule for {service} calls ({resources}); add one here")


def recorded_calls(function: Function, arns: Arns) -> set[tuple[str, str]]:
    logs = client("logs")
    try:
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=f"/aws/lambda/{function.name}", filterPattern='"awsCall"'
        )
        messages = [event["message"] for page in pages for event in page["events"]]
    except logs.exceptions.ResourceNotFoundException:
        return set()
    calls = set()
    for message in messages:
        try:
            call = json.loads(message)["awsCall"]
        except (ValueError, KeyError, TypeError):
            continue
        calls.add((f"{call['service']}:{call['operation']}", resource_arn(arns, call["service"], call["resources"])))
    return calls


def role_policy(function: Function) -> dict:
    iam = client("iam")
    role = client("lambda").get_function_configuration(FunctionName=function.name)["Role"].rsplit("/", 1)[1]
    policy = iam.get_role_policy(RoleName=role, PolicyName="least-privilege")["PolicyDocument"]
    return json.loads(policy) if isinstance(policy, str) else policy


def denied(policy: dict, calls: set[tuple[str, str]]) -> list[tuple[str, str]]:
    evaluator = IAMPolicy(json.dumps(policy))
    return sorted(call for call in calls if evaluator.is_action_permitted(*call) != PermissionResult.PERMITTED)


def used_by_lambda_itself(function: Function, arns: Arns) -> set[str]:
    """Resources the Lambda service uses with the function's role, not its code: the queues its
    event source mappings poll, its destinations and its logs."""
    resources = {arns(s.queue) for s in SUBSCRIPTIONS if s.function == function}
    return resources | {arns(q) for q in function.destinations}


def unused(policy: dict, calls: set[tuple[str, str]], service_resources: set[str]) -> list[tuple[str, str]]:
    grants = {(action, resource) for s in policy["Statement"] for action in s["Action"] for resource in s["Resource"]}
    return sorted(
        (action, resource)
        for action, resource in grants
        if not action.startswith("logs:")
        and resource not in service_resources
        and not any(called == action and fnmatch.fnmatchcase(arn, resource) for called, arn in calls)
    )


def test_the_check_denies_a_call_its_role_lacks():
    # The invoice role before the fix: GetItem granted, Query called.
    table = "arn:aws:dynamodb:us-east-1:000000000000:table/order"
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [table]}],
    }

    assert denied(policy, {("dynamodb:Query", table)}) == [("dynamodb:Query", table)]
    assert denied(policy, {("dynamodb:GetItem", table)}) == []
    assert denied(policy, {("dynamodb:GetItem", table.replace("order", "basket"))}), "another table is denied"
    assert unused(policy, set(), set()) == [("dynamodb:GetItem", table)]


def test_every_aws_call_a_function_made_is_allowed_by_its_role():
    arns = Arns(ACCOUNT, settings.REGION)
    refused, idle, recorded = {}, {}, 0
    for function in FUNCTIONS:
        policy, calls = role_policy(function), recorded_calls(function, arns)
        recorded += len(calls)
        if found := denied(policy, calls):
            refused[function.name] = found
        if found := unused(policy, calls, used_by_lambda_itself(function, arns)):
            idle[function.name] = found

    assert recorded, "no AWS call was recorded: is AUDIT_AWS_CALLS set by provisioning?"
    assert not refused, f"calls the function's role would deny on AWS: {refused}"
    if idle:
        warnings.warn(f"grants no call used during this run (fine after a partial run): {idle}", stacklevel=1)
