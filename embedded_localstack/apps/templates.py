"""Reading CloudFormation and SAM templates (YAML with short-form intrinsics, or JSON), and the
explicit resource names they declare."""

import json
import re
from pathlib import Path

import yaml

from embedded_localstack.apps.errors import AppError

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


class _TemplateLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict:
    # !GetAtt a.b is the short form of {"Fn::GetAtt": ["a", "b"]}; !Ref x of {"Ref": x}.
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)
# CloudFormation keeps dates as strings (AWSTemplateFormatVersion: 2010-09-09).
_TemplateLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse(text: str, source: Path) -> dict:
    """The template as a dict; a syntax error names the file, line and column."""
    try:
        # _TemplateLoader is a SafeLoader: it builds plain values only.
        document = json.loads(text) if source.suffix == ".json" else yaml.load(text, Loader=_TemplateLoader)
    except json.JSONDecodeError as e:
        raise AppError(
            f"{source}: JSON syntax error at line {e.lineno}, column {e.colno}: {e.msg}; fix the template"
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise AppError(f"{source}: YAML syntax error{where}: {problem}; fix the template") from None
    if not isinstance(document, dict):
        raise AppError(
            f"{source}: a template is a mapping with a Resources section; this file holds a {type(document).__name__}"
        )
    return document


def check_resources(template: dict, source: Path) -> None:
    """What CloudFormation needs of the Resources section before it is sent (its own errors say less)."""
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise AppError(
            f"{source}: Resources must be a mapping of logical ids to resources, and not empty; fix the template"
        )
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise AppError(
                f"{source}: resource {logical_id} must be a mapping with a Type (such as AWS::SQS::Queue); fix the template"
            )


def load(path: Path) -> dict:
    return parse(path.read_text(), path)


def looks_like_template(path: Path) -> bool:
    """A CloudFormation template by its content: AWSTemplateFormatVersion or Resources at the top level."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return False
    if path.suffix == ".json":
        try:
            document = json.loads(text)
        except ValueError:
            return '"AWSTemplateFormatVersion"' in text or '"Resources"' in text  # parse() will say what is wrong
        return isinstance(document, dict) and bool({"AWSTemplateFormatVersion", "Resources"} & document.keys())
    return any(line.startswith(("AWSTemplateFormatVersion", "Resources:")) for line in text.splitlines())


# The property that carries a resource's explicit name, per type (SAM's own types included).
NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::SSM::Parameter": "Name",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Logs::LogGroup": "LogGroupName",
}
# What a name stands for when it is not written out (and nothing names it otherwise).
UNRESOLVED = None
_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


def resolve(value: object, variables: dict[str, str]) -> str | None:
    """The text a name property comes to when CloudFormation deploys it: a literal, a Ref to a parameter or
    a pseudo parameter, or Fn::Sub / Fn::Join of those; None when it depends on anything else."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        return UNRESOLVED
    [(function, argument)] = value.items()
    if function == "Ref" and isinstance(argument, str):
        return variables.get(argument)
    if function == "Fn::Sub":
        own: object
        if isinstance(argument, str):
            text, own = argument, {}
        elif isinstance(argument, list) and argument:
            text, own = argument[0], (argument[1] if len(argument) > 1 else {})
        else:
            return UNRESOLVED
        if not isinstance(text, str) or not isinstance(own, dict):
            return UNRESOLVED
        known = variables | {k: v for k, v in ((k, resolve(v, variables)) for k, v in own.items()) if v is not None}
        names = _VARIABLE.findall(text)
        if any(name not in known for name in names):
            return UNRESOLVED
        return _VARIABLE.sub(lambda m: known[m.group(1)], text)
    if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], list):
        parts = [resolve(part, variables) for part in argument[1]]
        resolved = [part for part in parts if part is not None]
        if not isinstance(argument[0], str) or len(resolved) != len(parts):
            return UNRESOLVED
        return argument[0].join(resolved)
    return UNRESOLVED


def template_variables(template: dict, stack_name: str, region: str, account: str = "000000000000") -> dict[str, str]:
    """Parameters (their defaults: the deploy passes no others) and the pseudo parameters."""
    variables = {
        "AWS::StackName": stack_name,
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    for name, parameter in (template.get("Parameters") or {}).items():
        if isinstance(parameter, dict) and "Default" in parameter:
            variables[name] = str(parameter["Default"])
    return variables


def declared_names(template: dict, variables: dict[str, str] | None = None) -> list[tuple[str, str, str | None]]:
    """(logical id, type, name) of each resource that names itself, the name as resolve() makes it of the
    template's `variables`: None when the deploy cannot tell what it will be."""
    found = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            continue
        kind = resource["Type"]
        properties = resource.get("Properties") or {}
        key = NAME_PROPERTIES.get(kind, "")
        if isinstance(properties, dict) and key in properties:
            found.append((logical_id, kind, resolve(properties[key], variables or {})))
    return found
