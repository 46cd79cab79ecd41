"""What a deleted stack can leave behind, and removing it. `client` is a callable that gives a boto3
client of the environment for a service name."""

from botocore.exceptions import ClientError

# Resources that a failed create can make without the stack recording them, found by the name
# CloudFormation generates for them (see unrecorded_resources).
GENERATED_NAME_SERVICES = {"AWS::Lambda::Function": "lambda", "AWS::DynamoDB::Table": "dynamodb"}
GENERATED_NAME_LISTINGS = {
    "AWS::Lambda::Function": lambda c: [
        function["FunctionName"]
        for page in c.get_paginator("list_functions").paginate()
        for function in page["Functions"]
    ],
    "AWS::DynamoDB::Table": lambda c: [
        name for page in c.get_paginator("list_tables").paginate() for name in page["TableNames"]
    ],
}


def stack_resources(cfn, name: str) -> list[tuple[str, str]]:
    """(type, physical id) of each resource the stack records as made."""
    resources = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name):
        resources += [
            (item["ResourceType"], item["PhysicalResourceId"])
            for item in page["StackResourceSummaries"]
            if item.get("PhysicalResourceId")
        ]
    return resources


def unrecorded_resources(cfn, stack: str, client) -> list[tuple[str, str]]:
    """Resources that a failed create made although the stack records none for them. LocalStack 4.14
    creates a function whose runtime it then refuses (CREATE_FAILED, no physical id), so the stack's
    deletion does not remove it. Found by the name CloudFormation generates: <stack>-<logical id>-<suffix>."""
    failed = [
        (item["ResourceType"], item["LogicalResourceId"])
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
        for item in page["StackResourceSummaries"]
        if not item.get("PhysicalResourceId") and item["ResourceType"] in GENERATED_NAME_LISTINGS
    ]
    found = []
    for kind, logical_id in failed:
        prefix = f"{stack}-{logical_id}"
        for name in GENERATED_NAME_LISTINGS[kind](client(GENERATED_NAME_SERVICES[kind])):
            if name.startswith(prefix) or (len(name) >= 60 and prefix.startswith(name[: name.rfind("-")])):
                found.append((kind, name))
    return found


def delete_resource(kind: str, physical_id: str, client) -> None:
    try:
        if kind == "AWS::Lambda::Function":
            client("lambda").delete_function(FunctionName=physical_id)
        elif kind == "AWS::DynamoDB::Table":
            client("dynamodb").delete_table(TableName=physical_id)
    except ClientError:
        pass  # gone already; still_there has the last word


def still_there(kind: str, physical_id: str, client) -> bool:
    """Whether a deleted stack's resource still exists, for the kinds an app's data or traffic lives in."""
    probes = {
        "AWS::DynamoDB::Table": ("dynamodb", lambda c: c.describe_table(TableName=physical_id)),
        "AWS::Lambda::Function": ("lambda", lambda c: c.get_function(FunctionName=physical_id)),
        "AWS::SQS::Queue": ("sqs", lambda c: c.get_queue_attributes(QueueUrl=physical_id)),
        "AWS::Events::Rule": ("events", lambda c: c.describe_rule(Name=physical_id.split("|")[-1])),
        "AWS::ApiGateway::RestApi": ("apigateway", lambda c: c.get_rest_api(restApiId=physical_id)),
        "AWS::S3::Bucket": ("s3", lambda c: c.head_bucket(Bucket=physical_id)),
    }
    if kind not in probes:
        return False
    service, probe = probes[kind]
    try:
        probe(client(service))
    except ClientError:
        return False
    return True
