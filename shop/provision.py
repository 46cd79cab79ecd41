"""Creates the shop's resources; safe to run any number of times, against LocalStack or (with
ALLOW_REAL_AWS=1) a real account. The ready hook init/ready.d/10_provision.py runs it in both modes.
Run by hand: python -m shop.provision"""

import base64
import copy
import hashlib
import json
import time

import yaml
from botocore.exceptions import ClientError

from shop import settings
from shop.aws import client
from shop.resources import (
    APIS, ARCHIVES_DIR, AUDIT_FUNCTION, AUDIT_TARGET_DLQ, CHECKOUT_DETAIL_TYPE, CHECKOUT_RULE, CHECKOUT_SOURCE, EMAIL_SENDER, EVENT_BUS, FUNCTIONS,
    IMAGE_BUCKET, IMAGE_METADATA_FUNCTION, IMAGE_PREFIX, NOTIFICATION_FUNCTION, NOTIFICATION_TARGET_DLQ,
    OPENAPI_DOCUMENT, ORDER_QUEUE, ORDER_TARGET_DLQ, QUEUES, STAGE, SUBSCRIPTIONS, TABLES, Bucket, EmailSender, EventBus,
    Function, Queue, QueueSubscription, RestApi, Table,
)

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def log(message: str) -> None:
    print(f"[provision] {message}", flush=True)


class Arns:
    """ARNs of the shop's resources in one account and region."""

    def __init__(self, account: str):
        self.account, self.region = account, settings.REGION

    def __call__(self, resource) -> str:
        prefix = f"{self.region}:{self.account}"
        match resource:
            case Table(name=name):
                return f"arn:aws:dynamodb:{prefix}:table/{name}"
            case Queue(name=name):
                return f"arn:aws:sqs:{prefix}:{name}"
            case EventBus(name=name):
                return f"arn:aws:events:{prefix}:event-bus/{name}"
            case Bucket(name=name):
                return f"arn:aws:s3:::{name}/*"  # objects: the functions read and write objects only
            case EmailSender(address=address):
                return f"arn:aws:ses:{prefix}:identity/{address}"
            case Function(name=name):
                return f"arn:aws:lambda:{prefix}:function:{name}"
        raise TypeError(f"no ARN for {resource!r}")


def ensure_table(dynamodb, table: Table) -> None:
    try:
        dynamodb.describe_table(TableName=table.name)
        return
    except dynamodb.exceptions.ResourceNotFoundException:
        pass
    keys = [(table.partition_key, "HASH")] + ([(table.sort_key, "RANGE")] if table.sort_key else [])
    dynamodb.create_table(
        TableName=table.name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": name, "KeyType": kind} for name, kind in keys],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name, _ in keys],
    )
    dynamodb.get_waiter("table_exists").wait(TableName=table.name)
    if table.ttl_attribute:
        dynamodb.update_time_to_live(TableName=table.name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute})
    log(f"table {table.name} created")


def ensure_queue(sqs, arns: Arns, queue: Queue) -> str:
    attributes = {"VisibilityTimeout": str(queue.visibility_timeout)}
    if queue.dead_letter:
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": arns(queue.dead_letter), "maxReceiveCount": str(queue.max_receive_count)}
        )
    try:
        url = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=queue.name, Attributes=attributes)["QueueUrl"]
        log(f"queue {queue.name} created")
        return url
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(attributes))["Attributes"]
    if _comparable(current) != _comparable(attributes):
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        log(f"queue {queue.name} updated")
    return url


def _comparable(attributes: dict) -> dict:
    # SQS may answer maxReceiveCount as a number where it was set as a string.
    result = dict(attributes)
    if "RedrivePolicy" in result:
        policy = json.loads(result["RedrivePolicy"])
        result["RedrivePolicy"] = (policy["deadLetterTargetArn"], int(policy["maxReceiveCount"]))
    return result


def role_policy(arns: Arns, function: Function) -> dict:
    """Least privilege: the actions the function's code calls, on its own resources, and its own logs."""
    log_group = f"arn:aws:logs:{arns.region}:{arns.account}:log-group:/aws/lambda/{function.name}"
    statements = [
        {"Sid": f"Grant{index}", "Effect": "Allow", "Action": list(grant.actions), "Resource": [arns(grant.resource)]}
        for index, grant in enumerate(function.grants)
    ]
    for on in filter(None, [function.async_invoke and function.async_invoke.on_success, function.async_invoke and function.async_invoke.on_failure]):
        statements.append({"Sid": f"Destination{on.name.replace('-', '')}", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [arns(on)]})
    statements += [
        {"Sid": "OwnLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogGroup"], "Resource": [log_group]},
        {"Sid": "OwnLogStreams", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": [f"{log_group}:*"]},
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def ensure_role(iam, arns: Arns, function: Function) -> str:
    name = f"{function.name}-function"
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="least-privilege", PolicyDocument=json.dumps(role_policy(arns, function)))
    return arn


def environment_of(function: Function, queue_urls: dict[str, str]) -> dict[str, str]:
    values = {"POWERTOOLS_SERVICE_NAME": function.name}
    for key, value in function.environment.items():
        match value:
            case Queue(name=name):
                values[key] = queue_urls[name]
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


def function_configuration(function: Function, role_arn: str, queue_urls: dict[str, str]) -> dict:
    return {
        "FunctionName": function.name,
        "Runtime": function.runtime,
        "Handler": function.handler,
        "Role": role_arn,
        "Timeout": function.timeout,
        "MemorySize": function.memory,
        "Environment": {"Variables": environment_of(function, queue_urls)},
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
        return current["Configuration"]["CodeSha256"] == base64.b64encode(hashlib.sha256(code["ZipFile"]).digest()).decode()
    return current["Code"].get("Location") == f"file://{code['S3Key']}"


def ensure_function(lambda_client, function: Function, configuration: dict) -> None:
    code = function_code(function)
    try:
        current = lambda_client.get_function_configuration(FunctionName=function.name)
    except lambda_client.exceptions.ResourceNotFoundException:
        _create_function(lambda_client, configuration, code)
        log(f"function {function.name} created{' (hot reload)' if 'S3Key' in code else ''}")
        return
    if not _deployed(lambda_client, function, code):
        lambda_client.update_function_code(FunctionName=function.name, **code)
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName=function.name)
        log(f"function {function.name}: code updated{' (hot reload)' if 'S3Key' in code else ''}")
    if any(current.get(key) != value for key, value in configuration.items()):
        lambda_client.update_function_configuration(**configuration)
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName=function.name)
        log(f"function {function.name}: configuration updated")


def _create_function(lambda_client, configuration: dict, code: dict) -> None:
    # On AWS a new role takes a few seconds before Lambda may assume it.
    deadline = time.monotonic() + 30
    while True:
        try:
            lambda_client.create_function(Code=code, **configuration)
            return
        except lambda_client.exceptions.InvalidParameterValueException as e:
            if "cannot be assumed" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(2)


def ensure_async_invoke_config(lambda_client, arns: Arns, function: Function) -> None:
    config = function.async_invoke
    destinations = {}
    if config.on_success:
        destinations["OnSuccess"] = {"Destination": arns(config.on_success)}
    if config.on_failure:
        destinations["OnFailure"] = {"Destination": arns(config.on_failure)}
    wanted = {"MaximumRetryAttempts": config.max_retries, "MaximumEventAgeInSeconds": config.max_event_age, "DestinationConfig": destinations}
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


def allow_invoke(lambda_client, function: Function, statement_id: str, principal: str, source_arn: str) -> None:
    try:
        lambda_client.add_permission(
            FunctionName=function.name,
            StatementId=statement_id,
            Action="lambda:InvokeFunction",
            Principal=principal,
            SourceArn=source_arn,
        )
    except lambda_client.exceptions.ResourceConflictException:
        pass  # granted by an earlier run


def _proxy_integration(function_arn: str) -> dict:
    return {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "passthroughBehavior": "when_no_match",
        "uri": f"arn:aws:apigateway:{settings.REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    }


def _either_way_integration(function_arn: str) -> dict:
    """Lambda non-proxy integration that the client can call synchronously or asynchronously: its
    InvocationType header becomes Lambda's X-Amz-Invocation-Type. An async call answers 202 at once."""
    either_way = (
        "#if($input.params('InvocationType') == 'Event')"
        "#set($context.responseOverride.status = 202){\"status\": \"accepted\", \"requestId\": \"$context.requestId\"}"
        "#else$input.body#end"
    )
    error = '{"message": "$util.escapeJavaScript($input.path(\'$.errorMessage\'))"}'
    return _proxy_integration(function_arn) | {
        "type": "aws",
        "passthroughBehavior": "never",
        "requestParameters": {"integration.request.header.X-Amz-Invocation-Type": "method.request.header.InvocationType"},
        "requestTemplates": {
            "application/json": '{"userName": "$util.escapeJavaScript($input.params(\'userName\'))", "request": $input.json(\'$\')}'
        },
        # Lambda errors are selected by their errorMessage; each message maps to one status.
        "responses": {
            "default": {"statusCode": "200", "responseTemplates": {"application/json": either_way}},
            "^no order [\\s\\S]*": {"statusCode": "404", "responseTemplates": {"application/json": error}},
            "^request (body|parameter) [\\s\\S]*": {"statusCode": "400", "responseTemplates": {"application/json": error}},
            "^(?!no order |request body |request parameter )[\\s\\S]+": {"statusCode": "502", "responseTemplates": {"application/json": error}},
        },
    }


def openapi_for(api: RestApi, arns: "Arns") -> dict:
    """The contract's operations tagged for this API, each wired to its function.

    Two catch-alls go to the API's function too, so that it answers 405 for a method a path does not
    have and 404 for an unknown path, as JSON; API Gateway alone answers both with 403."""
    document = yaml.safe_load(OPENAPI_DOCUMENT.read_text())
    proxy = {"x-amazon-apigateway-integration": _proxy_integration(arns(api.function))}
    paths = {}
    for path, item in document["paths"].items():
        operations = {}
        for method, operation in item.items():
            if not isinstance(operation, dict) or api.tag not in operation.get("tags", []):
                continue
            special = api.non_proxy.get(operation.get("operationId"))
            wiring = {"x-amazon-apigateway-integration": _either_way_integration(arns(special))} if special else proxy
            operations[method] = operation | wiring
        if operations:
            paths[path] = operations | {key: value for key, value in item.items() if key == "parameters"}
            paths[path]["x-amazon-apigateway-any-method"] = proxy
    proxy_parameter = {"name": "proxy", "in": "path", "required": True, "schema": {"type": "string"}}
    paths["/{proxy+}"] = {"x-amazon-apigateway-any-method": proxy | {"parameters": [proxy_parameter]}}
    document = copy.deepcopy(document) | {"paths": paths}
    document["info"] = document["info"] | {"title": api.name}
    return document


def _find_api(apigateway, name: str) -> dict | None:
    for page in apigateway.get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            if api["name"] == name:
                return api
    return None


def ensure_api(apigateway, lambda_client, arns: Arns, api: RestApi) -> str:
    document = openapi_for(api, arns)
    # The description records what was deployed, so an unchanged contract is not redeployed.
    description = "contract sha256 " + hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    document["info"]["description"] = description
    existing = _find_api(apigateway, api.name)
    if existing is None:
        existing = apigateway.create_rest_api(name=api.name, tags={"_custom_id_": api.custom_id})
    api_id = existing["id"]
    if existing.get("description") != description:
        apigateway.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(document).encode())
        apigateway.create_deployment(restApiId=api_id, stageName=STAGE)
        log(f"API {api.name} ({api_id}) deployed to stage {STAGE}")
    source = f"arn:aws:execute-api:{arns.region}:{arns.account}:{api_id}/*"
    for function in (api.function, *api.non_proxy.values()):
        allow_invoke(lambda_client, function, f"apigateway-{api.custom_id}", "apigateway.amazonaws.com", source)
    return api_id


def ensure_checkout_rule(events, sqs, lambda_client, arns: Arns, queue_urls: dict[str, str]) -> None:
    """CheckoutBasketRule on SwnEventBus: to OrderQueue and, asynchronously, the notification function;
    each target with its own dead-letter queue for events EventBridge cannot deliver."""
    try:
        events.create_event_bus(Name=EVENT_BUS.name)
        log(f"event bus {EVENT_BUS.name} created")
    except events.exceptions.ResourceAlreadyExistsException:
        pass
    pattern = {"source": [CHECKOUT_SOURCE], "detail-type": [CHECKOUT_DETAIL_TYPE]}
    rule_arn = events.put_rule(Name=CHECKOUT_RULE, EventBusName=EVENT_BUS.name, EventPattern=json.dumps(pattern))["RuleArn"]
    targets = [
        {"Id": "order-queue", "Arn": arns(ORDER_QUEUE), "DeadLetterConfig": {"Arn": arns(ORDER_TARGET_DLQ)}},
        {"Id": "notification", "Arn": arns(NOTIFICATION_FUNCTION), "DeadLetterConfig": {"Arn": arns(NOTIFICATION_TARGET_DLQ)}},
        {"Id": "checkout-audit", "Arn": arns(AUDIT_FUNCTION), "DeadLetterConfig": {"Arn": arns(AUDIT_TARGET_DLQ)}},
    ]
    current = events.list_targets_by_rule(Rule=CHECKOUT_RULE, EventBusName=EVENT_BUS.name)["Targets"]
    if sorted(current, key=lambda t: t["Id"]) != sorted(targets, key=lambda t: t["Id"]):
        events.put_targets(Rule=CHECKOUT_RULE, EventBusName=EVENT_BUS.name, Targets=targets)
        log(f"rule {CHECKOUT_RULE} targets set")
    allow_invoke(lambda_client, NOTIFICATION_FUNCTION, "eventbridge-checkout", "events.amazonaws.com", rule_arn)
    allow_invoke(lambda_client, AUDIT_FUNCTION, "eventbridge-checkout", "events.amazonaws.com", rule_arn)
    # On AWS a queue accepts EventBridge's messages only when its policy says so.
    for queue in (ORDER_QUEUE, ORDER_TARGET_DLQ, NOTIFICATION_TARGET_DLQ, AUDIT_TARGET_DLQ):
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arns(queue),
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=queue_urls[queue.name], Attributes={"Policy": json.dumps(policy)})


def ensure_image_bucket(s3, lambda_client, arns: Arns) -> None:
    try:
        s3.head_bucket(Bucket=IMAGE_BUCKET.name)
    except ClientError:
        kwargs = {} if settings.REGION == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": settings.REGION}}
        s3.create_bucket(Bucket=IMAGE_BUCKET.name, **kwargs)
        log(f"bucket {IMAGE_BUCKET.name} created")
    bucket_arn = f"arn:aws:s3:::{IMAGE_BUCKET.name}"
    allow_invoke(lambda_client, IMAGE_METADATA_FUNCTION, "s3-product-images", "s3.amazonaws.com", bucket_arn)
    notification = {
        "LambdaFunctionConfigurations": [
            {
                "Id": "image-metadata",
                "LambdaFunctionArn": arns(IMAGE_METADATA_FUNCTION),
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": IMAGE_PREFIX}]}},
            }
        ]
    }
    current = s3.get_bucket_notification_configuration(Bucket=IMAGE_BUCKET.name).get("LambdaFunctionConfigurations", [])
    # S3 reads filter rule names back capitalised ("Prefix").
    normalised = json.loads(json.dumps(current).replace('"Name": "Prefix"', '"Name": "prefix"'))
    if normalised != notification["LambdaFunctionConfigurations"]:
        s3.put_bucket_notification_configuration(Bucket=IMAGE_BUCKET.name, NotificationConfiguration=notification)
        log(f"bucket {IMAGE_BUCKET.name}: notifications to {IMAGE_METADATA_FUNCTION.name}")


def ensure_subscription(lambda_client, arns: Arns, subscription: QueueSubscription) -> None:
    wanted = {
        "BatchSize": subscription.batch_size,
        "MaximumBatchingWindowInSeconds": subscription.batching_window,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    mappings = lambda_client.list_event_source_mappings(
        EventSourceArn=arns(subscription.queue), FunctionName=subscription.function.name
    )["EventSourceMappings"]
    if not mappings:
        mapping = lambda_client.create_event_source_mapping(
            EventSourceArn=arns(subscription.queue), FunctionName=subscription.function.name, **wanted
        )
        log(f"{subscription.queue.name} -> {subscription.function.name} mapping created")
    else:
        mapping = mappings[0]
        if any(mapping.get(key) != value for key, value in wanted.items()):
            lambda_client.update_event_source_mapping(UUID=mapping["UUID"], **wanted)
            log(f"{subscription.queue.name} -> {subscription.function.name} mapping updated")
    deadline = time.monotonic() + 60
    while lambda_client.get_event_source_mapping(UUID=mapping["UUID"])["State"] != "Enabled":
        if time.monotonic() > deadline:
            raise TimeoutError(f"event source mapping {mapping['UUID']} did not become Enabled")
        time.sleep(0.2)


def provision() -> None:
    started = time.monotonic()
    log(f"provisioning against {settings.require_local_endpoint()} in {settings.REGION}")
    arns = Arns(client("sts").get_caller_identity()["Account"])
    dynamodb, iam, lambda_client, apigateway = (client(name) for name in ("dynamodb", "iam", "lambda", "apigateway"))
    sqs, events, s3, ses = (client(name) for name in ("sqs", "events", "s3", "ses"))
    for table in TABLES:
        ensure_table(dynamodb, table)
    queue_urls = {queue.name: ensure_queue(sqs, arns, queue) for queue in QUEUES}
    ses.verify_email_identity(EmailAddress=EMAIL_SENDER.address)
    for function in FUNCTIONS:
        role_arn = ensure_role(iam, arns, function)
        ensure_function(lambda_client, function, function_configuration(function, role_arn, queue_urls))
    for function in FUNCTIONS:
        lambda_client.get_waiter("function_active_v2").wait(FunctionName=function.name)
        if function.async_invoke:
            ensure_async_invoke_config(lambda_client, arns, function)
    for api in APIS:
        ensure_api(apigateway, lambda_client, arns, api)
    ensure_checkout_rule(events, sqs, lambda_client, arns, queue_urls)
    ensure_image_bucket(s3, lambda_client, arns)
    for subscription in SUBSCRIPTIONS:
        ensure_subscription(lambda_client, arns, subscription)
    log(f"done in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    try:
        provision()
    except (ClientError, settings.RealAwsRefused) as e:
        raise SystemExit(f"provisioning failed: {e}")
