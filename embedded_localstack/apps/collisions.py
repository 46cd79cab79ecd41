"""An app that names a resource the way another owner in the environment already does (the shop, for one)
would fail half-way with ResourceInUse or, worse, take the resource over. Checked before anything is made.

The owners' names come in as a mapping, {resource type: {name: owner}}, from whoever knows them (the
project's tools pass the shop's, from infra/stack.py): the platform itself knows no app."""

from pathlib import Path

from botocore.exceptions import ClientError

from embedded_localstack.apps import cdk_assembly, leftovers, templates
from embedded_localstack.apps.errors import AppError

Reserved = dict[str, dict[str, str]]


def exists(kind: str, name: str, client) -> bool:
    probes = {
        "AWS::DynamoDB::Table": ("dynamodb", lambda c: c.describe_table(TableName=name)),
        "AWS::Serverless::SimpleTable": ("dynamodb", lambda c: c.describe_table(TableName=name)),
        "AWS::SQS::Queue": ("sqs", lambda c: c.get_queue_url(QueueName=name)),
        "AWS::S3::Bucket": ("s3", lambda c: c.head_bucket(Bucket=name)),
        "AWS::Lambda::Function": ("lambda", lambda c: c.get_function(FunctionName=name)),
        "AWS::Serverless::Function": ("lambda", lambda c: c.get_function(FunctionName=name)),
        "AWS::Events::EventBus": ("events", lambda c: c.describe_event_bus(Name=name)),
        "AWS::Events::Rule": ("events", lambda c: c.describe_rule(Name=name)),
        "AWS::IAM::Role": ("iam", lambda c: c.get_role(RoleName=name)),
        "AWS::SSM::Parameter": ("ssm", lambda c: c.get_parameter(Name=name)),
        "AWS::SNS::Topic": (
            "sns",
            lambda c: c.get_topic_attributes(TopicArn=f"arn:aws:sns:{c.meta.region_name}:000000000000:{name}"),
        ),
        "AWS::Logs::LogGroup": (
            "logs",
            lambda c: next(
                g for g in c.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name
            ),
        ),
    }
    if kind not in probes:
        return True  # cannot look: counts as taken
    service, probe = probes[kind]
    try:
        probe(client(service))
        return True
    except (ClientError, StopIteration):
        return False


def check(
    template: dict,
    reserved: Reserved,
    client,
    app: str,
    fix: str = "",
    own: frozenset[str] = frozenset(),
    stack_name: str = "",
) -> None:
    """Refuses the template if it names a resource that exists already and is not the app's own (`own`:
    the names its stack holds). An owner in `reserved` is named with its `fix`, said before the app's own
    (rename). Checked up front because LocalStack, deleting a stack whose create failed on such a name,
    deletes the other owner's resource of that name too."""
    # SAM's table and function types name the same resources as the plain ones.
    aliases = {
        "AWS::Serverless::SimpleTable": "AWS::DynamoDB::Table",
        "AWS::Serverless::Function": "AWS::Lambda::Function",
    }
    region = client("sts").meta.region_name
    for logical_id, kind, name in templates.declared_names(
        template, templates.template_variables(template, stack_name, region)
    ):
        if name is None:
            raise AppError(
                f"{app}: {logical_id} ({kind}) is named by an expression this deploy cannot work out before it "
                "runs, so it cannot check that no one else in this environment holds that name (LocalStack, "
                "undoing a failed stack, deletes whatever has the names the stack declares). Name it with "
                "text, a parameter's default or ${AWS::StackName}, or leave the name out and let CloudFormation "
                "make one"
            )
        if name in own:
            continue
        owner = reserved.get(aliases.get(kind, kind), {}).get(name)
        if not exists(kind, name, client):
            continue
        if owner:
            raise AppError(
                f"{app}: {logical_id} ({kind}) is named {name!r}, and {name!r} belongs to {owner}, which is deployed "
                f"in this environment. {fix + ', or r' if fix else 'R'}ename {logical_id} in your app"
            )
        raise AppError(
            f"{app}: {logical_id} ({kind}) is named {name!r}, and a resource of that name already exists in this "
            f"environment, made by something other than this app. Rename {logical_id} in your app, or delete the other one"
        )


# The kinds whose names a CDK app's stacks are checked for (the name property: templates.NAME_PROPERTIES).
# LocalStack 4.14's CloudFormation deletes a failed stack's resources by their declared properties,
# created or not: a failed stack that named an existing table takes that table with it.
ASSEMBLY_KINDS = (
    "AWS::DynamoDB::Table",
    "AWS::Lambda::Function",
    "AWS::SQS::Queue",
    "AWS::S3::Bucket",
    "AWS::SNS::Topic",
    "AWS::Events::EventBus",
)


def check_assembly(assembly: Path, cfn, existed: set[str], reserved: Reserved, client, fix: str = "") -> None:
    """Stops a CDK deploy before it starts when a stack of the synthesised `assembly` names a resource that
    exists outside the stack (`existed`: the stacks deployed already, whose own resources do not count)."""
    found = []
    for stack, template in cdk_assembly.templates(assembly):
        owned = {physical_id for _, physical_id in leftovers.stack_resources(cfn, stack)} if stack in existed else set()
        for logical_id, resource in template.get("Resources", {}).items():
            kind = resource.get("Type")
            if kind not in ASSEMBLY_KINDS:
                continue
            name = resource.get("Properties", {}).get(templates.NAME_PROPERTIES[kind])
            if not isinstance(name, str) or name in owned or any(owned_id.endswith(name) for owned_id in owned):
                continue
            if not exists(kind, name, client):
                continue
            owner = reserved.get(kind, {}).get(name)
            whose = f"it belongs to {owner}, which is deployed in this environment" if owner else "one exists"
            found.append(f"stack {stack}: {logical_id} ({kind}) is named {name}, and {whose}")
    if found:
        raise AppError(
            "the CDK app names resources that already exist in this environment outside its stacks, so it was "
            "not deployed:\n"
            + "\n".join(found)
            + "\nRename them in the app (or let the CDK name them)"
            + (f", or {fix[:1].lower()}{fix[1:]}." if fix else ", or deploy into an environment without them.")
        )
