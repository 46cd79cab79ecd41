"""Deploying one template as one stack with boto3: create or update, wait, and on failure name the first
failing resource and its reason, leaving no stack behind."""

import json
import time

from botocore.exceptions import ClientError, WaiterError

from embedded_localstack.apps.errors import AppError

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
# CloudFormation takes a template body up to this size; a larger one goes through S3.
MAX_TEMPLATE_BODY = 51_200
# LocalStack finishes a small stack within a second or two: poll often (botocore's default is 30 s).
WAIT = {"Delay": 0.25, "MaxAttempts": 2400}
# How long a stack may stay DELETE_FAILED before that is taken as final (see delete_stack).
DELETE_FAILED_GRACE = 15


def stack_status(cfn, name: str) -> str | None:
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except ClientError as e:
        if "does not exist" in str(e):
            return None
        raise


def first_failure(cfn, name: str, since: float = 0) -> str | None:
    """What failed in the stack's operation that began at `since` (seconds since the epoch), read from its
    events oldest first: the first resource that failed, with its type, the name the template declares
    for it (else its physical id), its status and CloudFormation's reason; failing that, the stack's own
    reason. None when the events tell nothing."""
    try:
        pages = cfn.get_paginator("describe_stack_events").paginate(StackName=name)
        events = [event for page in pages for event in page["StackEvents"]]
    except ClientError:
        return None
    events = sorted((e for e in events if e["Timestamp"].timestamp() >= since - 1), key=lambda e: e["Timestamp"])
    failed = [e for e in events if e.get("ResourceStatus", "").endswith("_FAILED")]
    # The stack's own event repeats a resource's reason: the resource is what the user has to fix.
    resource = next((e for e in failed if e.get("LogicalResourceId") != name), None)
    if resource:
        named = _declared_name(resource) or resource.get("PhysicalResourceId")
        return (
            f"{resource['LogicalResourceId']} ({resource['ResourceType']}{f' named {named}' if named else ''}) "
            f"{resource['ResourceStatus']}: {resource.get('ResourceStatusReason') or 'no reason given'}"
        )
    if failed:
        return f"{failed[0]['ResourceStatus']}: {failed[0].get('ResourceStatusReason') or 'no reason given'}"
    return next((e["ResourceStatusReason"] for e in events if e.get("ResourceStatusReason")), None)


def _declared_name(event: dict) -> str | None:
    """The resource's name as the template declares it (TableName of an AWS::DynamoDB::Table, ...): the
    physical id of a resource that failed to create is empty, or an id the user never wrote."""
    try:
        properties = json.loads(event.get("ResourceProperties") or "{}")
    except ValueError:
        return None
    for key, value in properties.items():
        if key.endswith("Name") and isinstance(value, str) and key[: -len("Name")] in event["ResourceType"]:
            return value
    return None


def delete_stack(cfn, name: str) -> None:
    if stack_status(cfn, name) is None:
        return
    cfn.delete_stack(StackName=name)
    # Polled by hand, not with boto3's waiter: LocalStack 4.14 passes through DELETE_FAILED on the way to
    # DELETE_COMPLETE when a resource of a failed stack was never created, and the waiter stops there.
    deadline = time.monotonic() + WAIT["Delay"] * WAIT["MaxAttempts"]
    failed_since = None
    while (status := stack_status(cfn, name)) not in (None, "DELETE_COMPLETE"):
        failed_since = (failed_since or time.monotonic()) if status == "DELETE_FAILED" else None
        if time.monotonic() >= deadline or (failed_since and time.monotonic() - failed_since > DELETE_FAILED_GRACE):
            failure = first_failure(cfn, name) or "no failure in its events"
            raise AppError(
                f"stack {name} could not be deleted (it is {status}): {failure}; "
                f"`make destroy-app APP=<dir>` tries again, `make logs` shows LocalStack's side"
            )
        time.sleep(WAIT["Delay"])


def deploy_stack(cfn, s3, name: str, template_body: str, tags: dict[str, str], artifacts: tuple[str, str]) -> None:
    """Creates the stack, or updates it. A failed create deletes what it made; a failed update rolls back."""
    status = stack_status(cfn, name)
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED"):
        delete_stack(cfn, name)  # a dead stack from an earlier attempt cannot be updated
        status = None
    creating = status is None
    template = {"TemplateBody": template_body}
    if len(template_body.encode()) > MAX_TEMPLATE_BODY:
        bucket, prefix = artifacts
        key = f"{prefix}/template-{int(time.time())}.json"
        s3.put_object(Bucket=bucket, Key=key, Body=template_body.encode())
        template = {"TemplateURL": f"{s3.meta.endpoint_url}/{bucket}/{key}"}
    arguments = {
        "StackName": name,
        "Capabilities": CAPABILITIES,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
    started = time.time()
    try:
        if creating:
            cfn.create_stack(**arguments, **template)
        else:
            cfn.update_stack(**arguments, **template)
    except ClientError as e:
        if "No updates are to be performed" in str(e):
            return
        if creating:
            delete_stack(cfn, name)
        raise AppError(f"CloudFormation refused the template of {name}: {e.response['Error']['Message']}") from None
    waiter = "stack_create_complete" if creating else "stack_update_complete"
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=WAIT)
    except WaiterError:
        failure = first_failure(cfn, name, started) or "no failure in its events"
        if creating:
            delete_stack(cfn, name)
            left = "the stack was deleted, nothing is left"
        else:
            left = f"the stack rolled back to its last version ({stack_status(cfn, name)})"
        raise AppError(f"stack {name} failed: {failure}; {left}") from None


def resources(cfn, name: str) -> list[dict]:
    return cfn.describe_stack_resources(StackName=name)["StackResources"]


def outputs(cfn, name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
