"""Functions (code, configuration, async invoke config), who may invoke them, and event source mappings.

Drift each corrects: code (archive hash, or the hot-reload folder), configuration (every key set
here), async invoke config (an unset destination reads back as {}), mapping settings."""

import base64
import hashlib
import time

from botocore.exceptions import WaiterError
from botocore.waiter import WaiterModel, create_waiter_with_client

from infra import long_poll, settings
from infra.model import EventBus, Function, InvokePermission, Queue, QueueSubscription, RestApi, Rule, Secret, Table
from infra.paths import ARCHIVES_DIR
from infra.target import Target, log

# Lambda has no waiter for a mapping's state; this one polls GetEventSourceMapping as botocore's do.
_MAPPING_WAITERS = WaiterModel(
    {
        "version": 2,
        "waiters": {
            "MappingEnabled": {
                "operation": "GetEventSourceMapping",
                "delay": 0.2,
                "maxAttempts": 300,
                "acceptors": [{"matcher": "path", "argument": "State", "expected": "Enabled", "state": "success"}],
            }
        },
    }
)
# On AWS a new role takes a few seconds before Lambda may assume it.
ROLE_PROPAGATION_ATTEMPTS, ROLE_PROPAGATION_DELAY = 15, 2


def wait_until_mapping_enabled(lambda_client, uuid: str) -> None:
    create_waiter_with_client("MappingEnabled", _MAPPING_WAITERS, lambda_client).wait(UUID=uuid)


def environment_of(
    function: Function, queue_urls: dict[str, str], secrets: dict[str, str] | None = None
) -> dict[str, str]:
    """The function's environment variables, with each resource named as the function needs it: queues
    by URL (`queue_urls`), secrets by value (`secrets`, from infra/reconcilers/ssm.py)."""
    values = {"POWERTOOLS_SERVICE_NAME": function.name}
    for key, value in function.environment.items():
        match value:
            case Queue(name=name):
                values[key] = queue_urls[name]
            case Secret(name=name):
                if secrets is None or name not in secrets:
                    raise ValueError(f"{function.name}: {key} names the secret {name}, whose value was not given")
                values[key] = secrets[name]
            case Table(name=name) | EventBus(name=name):
                values[key] = name
            case _:
                values[key] = str(value)
    if not settings.FAULT_INJECTION:
        values.pop("FAULT_TABLE", None)
    if settings.is_local(settings.ENDPOINT_URL):
        # Each AWS call the function makes goes to its log, for the suite's privilege check
        # (lambdas/shared/aws_calls.py, tests/integration/test_least_privilege_calls.py).
        values["AUDIT_AWS_CALLS"] = "1"
    return values


def function_configuration(
    function: Function, role_arn: str, queue_urls: dict[str, str], secrets: dict[str, str] | None = None
) -> dict:
    return {
        "FunctionName": function.name,
        "Runtime": function.runtime,
        "Handler": function.handler,
        "Role": role_arn,
        "Timeout": function.timeout,
        "MemorySize": function.memory,
        "Environment": {"Variables": environment_of(function, queue_urls, secrets)},
    }


def function_code(function: Function) -> dict:
    if settings.HOT_RELOAD:
        # LocalStack's hot-reload bucket: the key is a folder on the machine that runs the functions.
        return {"S3Bucket": "hot-reload", "S3Key": f"{settings.HOST_PROJECT_DIR}/build/hot-reload/{function.name}"}
    return {"ZipFile": (ARCHIVES_DIR / f"{function.name}.zip").read_bytes()}


def _deployed(lambda_client, function: Function, code: dict) -> bool:
    """Whether the function already runs this code: the same archive, or the same hot-reload folder."""
    current = lambda_client.get_function(FunctionName=function.name)
    if "ZipFile" in code:
        return (
            current["Configuration"]["CodeSha256"]
            == base64.b64encode(hashlib.sha256(code["ZipFile"]).digest()).decode()
        )
    return current["Code"].get("Location") == f"file://{code['S3Key']}"


def _create_function(lambda_client, configuration: dict, code: dict) -> None:
    for attempt in range(ROLE_PROPAGATION_ATTEMPTS):
        try:
            lambda_client.create_function(Code=code, **configuration)
            return
        except lambda_client.exceptions.InvalidParameterValueException as e:
            if "cannot be assumed" not in str(e) or attempt == ROLE_PROPAGATION_ATTEMPTS - 1:
                raise
            time.sleep(ROLE_PROPAGATION_DELAY)


def ensure_function(
    target: Target, function: Function, role_arn: str, queue_urls: dict[str, str], secrets: dict[str, str]
) -> None:
    lambda_client = target.client("lambda")
    configuration = function_configuration(function, role_arn, queue_urls, secrets)
    code = function_code(function)
    hot = " (hot reload)" if "S3Key" in code else ""
    try:
        current = lambda_client.get_function_configuration(FunctionName=function.name)
    except lambda_client.exceptions.ResourceNotFoundException:
        _create_function(lambda_client, configuration, code)
        log(f"function {function.name} created{hot}")
        return
    if not _deployed(lambda_client, function, code):
        lambda_client.update_function_code(FunctionName=function.name, **code)
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName=function.name)
        log(f"function {function.name}: code updated{hot}")
    if any(current.get(key) != value for key, value in configuration.items()):
        lambda_client.update_function_configuration(**configuration)
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName=function.name)
        log(f"function {function.name}: configuration updated")


class FunctionFailed(RuntimeError):
    """A function went to State Failed: its StateReason names why (an embedded-mode runtime that is
    missing, such as a Node.js of the wrong major, says which and how to install it)."""


def wait_until_active(target: Target, function: Function) -> None:
    lambda_client = target.client("lambda")
    try:
        lambda_client.get_waiter("function_active_v2").wait(FunctionName=function.name)
    except WaiterError:
        configuration = lambda_client.get_function_configuration(FunctionName=function.name)
        reason = configuration.get("StateReason") or "no StateReason given"
        raise FunctionFailed(
            f"function {function.name} ({function.runtime}) is {configuration.get('State')}, not Active: {reason}"
        ) from None


def ensure_async_invoke_config(target: Target, function: Function) -> None:
    lambda_client, config = target.client("lambda"), function.async_invoke
    destinations = {}
    if config.on_success:
        destinations["OnSuccess"] = {"Destination": target.arns(config.on_success)}
    if config.on_failure:
        destinations["OnFailure"] = {"Destination": target.arns(config.on_failure)}
    wanted = {
        "MaximumRetryAttempts": config.max_retries,
        "MaximumEventAgeInSeconds": config.max_event_age,
        "DestinationConfig": destinations,
    }
    try:
        current = lambda_client.get_function_event_invoke_config(FunctionName=function.name)
        # An unset destination reads back as {}.
        current["DestinationConfig"] = {k: v for k, v in current.get("DestinationConfig", {}).items() if v}
        if all(current.get(key) == value for key, value in wanted.items()):
            return
    except lambda_client.exceptions.ResourceNotFoundException:
        pass
    lambda_client.put_function_event_invoke_config(FunctionName=function.name, **wanted)
    log(f"function {function.name}: async invoke config set")


def delete_function(target: Target, function: Function) -> None:
    """With it go its async invoke config and the permissions to invoke it."""
    lambda_client = target.client("lambda")
    try:
        lambda_client.delete_function(FunctionName=function.name)
    except lambda_client.exceptions.ResourceNotFoundException:
        return
    log(f"function {function.name} deleted")


def permission_source(target: Target, permission: InvokePermission, api_ids: dict[str, str]) -> str:
    match permission.source:
        case RestApi(name=name):
            return target.arns.api_source(api_ids[name])
        case Rule() as rule:
            return target.arns(rule)
        case source:
            return target.arns.bucket(source)


def ensure_invoke_permission(target: Target, permission: InvokePermission, source_arn: str) -> None:
    lambda_client = target.client("lambda")
    try:
        lambda_client.add_permission(
            FunctionName=permission.function.name,
            StatementId=permission.statement_id,
            Action="lambda:InvokeFunction",
            Principal=permission.principal,
            SourceArn=source_arn,
        )
    except lambda_client.exceptions.ResourceConflictException:
        pass  # granted by an earlier run


def _mapping_settings(subscription: QueueSubscription) -> dict:
    return {
        "BatchSize": subscription.batch_size,
        "MaximumBatchingWindowInSeconds": long_poll.batching_window(subscription.batching_window),
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }


def _mappings(target: Target, subscription: QueueSubscription) -> list[dict]:
    return target.client("lambda").list_event_source_mappings(
        EventSourceArn=target.arns(subscription.queue), FunctionName=subscription.function.name
    )["EventSourceMappings"]


def ensure_subscription(target: Target, subscription: QueueSubscription) -> None:
    lambda_client, wanted = target.client("lambda"), _mapping_settings(subscription)
    mappings = _mappings(target, subscription)
    if not mappings:
        mapping = lambda_client.create_event_source_mapping(
            EventSourceArn=target.arns(subscription.queue), FunctionName=subscription.function.name, **wanted
        )
        log(f"{subscription.queue.name} -> {subscription.function.name} mapping created")
    else:
        mapping = mappings[0]
        if any(mapping.get(key) != value for key, value in wanted.items()):
            lambda_client.update_event_source_mapping(UUID=mapping["UUID"], **wanted)
            log(f"{subscription.queue.name} -> {subscription.function.name} mapping updated")
    wait_until_mapping_enabled(lambda_client, mapping["UUID"])


def delete_subscription(target: Target, subscription: QueueSubscription) -> None:
    lambda_client = target.client("lambda")
    try:
        mappings = _mappings(target, subscription)
    except lambda_client.exceptions.ResourceNotFoundException:
        return  # the function is gone, and its mappings with it
    for mapping in mappings:
        try:
            lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
        except lambda_client.exceptions.ResourceNotFoundException:
            continue
        log(f"{subscription.queue.name} -> {subscription.function.name} mapping deleted")
