"""Deploying one template as one stack with boto3: create or update, wait, and on failure name the first
failing resource and its reason, leaving no stack behind."""

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
FAILED = ("CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED")


def stack_status(cfn, name: str) -> str | None:
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except ClientError as e:
        if "does not exist" in str(e):
            return None
        raise


def first_failure(cfn, name: str, since: float) -> str:
    """The first resource that failed in this attempt, and why: read from the stack's events, oldest first."""
    try:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    except ClientError:
        return "(no stack events)"
    for event in sorted(events, key=lambda e: e["Timestamp"]):
        if event["Timestamp"].timestamp() < since - 1 or event.get("ResourceStatus") not in FAILED:
            continue
        if event.get("LogicalResourceId") == name and len(events) > 1:
            continue  # the stack's own event repeats a resource's reason
        return (
            f"{event.get('LogicalResourceId')} ({event.get('ResourceType')}, "
            f"{event.get('PhysicalResourceId') or 'not created'}): {event.get('ResourceStatusReason') or 'no reason given'}"
        )
    reasons = [e.get("ResourceStatusReason") for e in events if e.get("ResourceStatusReason")]
    return reasons[0] if reasons else "no failed resource in the stack's events"


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
            raise AppError(
                f"stack {name} could not be deleted (it is {status}): {first_failure(cfn, name, 0)}; "
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
        failure = first_failure(cfn, name, started)
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
