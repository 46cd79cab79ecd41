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
from shop.resources import APIS, ARCHIVES_DIR, FUNCTIONS, LAMBDA_RUNTIME, OPENAPI_DOCUMENT, STAGE, TABLES, Function, RestApi, Table

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def log(message: str) -> None:
    print(f"[provision] {message}", flush=True)


def table_arn(account: str, table: Table) -> str:
    return f"arn:aws:dynamodb:{settings.REGION}:{account}:table/{table.name}"


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
    log(f"table {table.name} created")


def role_policy(account: str, function: Function) -> dict:
    """Least privilege: the function's own table, the actions its code calls, its own log group."""
    log_group = f"arn:aws:logs:{settings.REGION}:{account}:log-group:/aws/lambda/{function.name}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "OwnTable", "Effect": "Allow", "Action": list(function.table_actions), "Resource": [table_arn(account, function.table)]},
            {"Sid": "OwnLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogGroup"], "Resource": [log_group]},
            {"Sid": "OwnLogStreams", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": [f"{log_group}:*"]},
        ],
    }


def ensure_role(iam, account: str, function: Function) -> str:
    name = f"{function.name}-function"
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="least-privilege", PolicyDocument=json.dumps(role_policy(account, function)))
    return arn


def function_configuration(function: Function, role_arn: str) -> dict:
    return {
        "FunctionName": function.name,
        "Runtime": LAMBDA_RUNTIME,
        "Handler": function.handler,
        "Role": role_arn,
        "Timeout": function.timeout,
        "MemorySize": function.memory,
        "Environment": {
            "Variables": {"TABLE_NAME": function.table.name, "POWERTOOLS_SERVICE_NAME": function.name} | function.environment
        },
    }


def ensure_function(lambda_client, function: Function, role_arn: str) -> None:
    code = (ARCHIVES_DIR / f"{function.name}.zip").read_bytes()
    sha = base64.b64encode(hashlib.sha256(code).digest()).decode()
    wanted = function_configuration(function, role_arn)
    try:
        current = lambda_client.get_function_configuration(FunctionName=function.name)
    except lambda_client.exceptions.ResourceNotFoundException:
        _create_function(lambda_client, wanted, code)
        log(f"function {function.name} created")
        return
    if current["CodeSha256"] != sha:
        lambda_client.update_function_code(FunctionName=function.name, ZipFile=code)
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName=function.name)
        log(f"function {function.name}: code updated")
    if any(current.get(key) != value for key, value in wanted.items()):
        lambda_client.update_function_configuration(**wanted)
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName=function.name)
        log(f"function {function.name}: configuration updated")


def _create_function(lambda_client, configuration: dict, code: bytes) -> None:
    # On AWS a new role takes a few seconds before Lambda may assume it.
    deadline = time.monotonic() + 30
    while True:
        try:
            lambda_client.create_function(Code={"ZipFile": code}, **configuration)
            return
        except lambda_client.exceptions.InvalidParameterValueException as e:
            if "cannot be assumed" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(2)


def openapi_for(api: RestApi, function_arn: str) -> dict:
    """The contract's operations tagged for this API, each wired to the function (Lambda proxy).

    Two catch-alls go to the function too, so that it answers 405 for a method a path does not
    have and 404 for an unknown path, as JSON; API Gateway alone answers both with 403."""
    document = yaml.safe_load(OPENAPI_DOCUMENT.read_text())
    wired = {
        "x-amazon-apigateway-integration": {
            "type": "aws_proxy",
            "httpMethod": "POST",
            "passthroughBehavior": "when_no_match",
            "uri": f"arn:aws:apigateway:{settings.REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        }
    }
    paths = {}
    for path, item in document["paths"].items():
        operations = {
            method: operation | wired
            for method, operation in item.items()
            if isinstance(operation, dict) and api.tag in operation.get("tags", [])
        }
        if operations:
            paths[path] = operations | {key: value for key, value in item.items() if key == "parameters"}
            paths[path]["x-amazon-apigateway-any-method"] = wired
    proxy = {"name": "proxy", "in": "path", "required": True, "schema": {"type": "string"}}
    paths["/{proxy+}"] = {"x-amazon-apigateway-any-method": wired | {"parameters": [proxy]}}
    document = copy.deepcopy(document) | {"paths": paths}
    document["info"] = document["info"] | {"title": api.name}
    return document


def _find_api(apigateway, name: str) -> dict | None:
    for page in apigateway.get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            if api["name"] == name:
                return api
    return None


def ensure_api(apigateway, lambda_client, account: str, api: RestApi) -> str:
    function_arn = lambda_client.get_function_configuration(FunctionName=api.function.name)["FunctionArn"]
    document = openapi_for(api, function_arn)
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
    try:
        lambda_client.add_permission(
            FunctionName=api.function.name,
            StatementId=f"apigateway-{api.custom_id}",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{settings.REGION}:{account}:{api_id}/*",
        )
    except lambda_client.exceptions.ResourceConflictException:
        pass  # granted by an earlier run
    return api_id


def provision() -> None:
    started = time.monotonic()
    log(f"provisioning against {settings.require_local_endpoint()} in {settings.REGION}")
    account = client("sts").get_caller_identity()["Account"]
    dynamodb, iam, lambda_client, apigateway = (client(name) for name in ("dynamodb", "iam", "lambda", "apigateway"))
    for table in TABLES:
        ensure_table(dynamodb, table)
    for function in FUNCTIONS:
        ensure_function(lambda_client, function, ensure_role(iam, account, function))
    for function in FUNCTIONS:
        lambda_client.get_waiter("function_active_v2").wait(FunctionName=function.name)
    for api in APIS:
        ensure_api(apigateway, lambda_client, account, api)
    log(f"done in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    try:
        provision()
    except (ClientError, settings.RealAwsRefused) as e:
        raise SystemExit(f"provisioning failed: {e}")
