"""Reading CloudFormation and SAM templates (YAML with short-form intrinsics, or JSON), and the
explicit resource names they declare."""

import json
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
}


def declared_names(template: dict) -> list[tuple[str, str, str]]:
    """(logical id, type, name) of each resource that names itself with a literal string."""
    found = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, dict):
            continue
        kind = resource.get("Type")
        name = (resource.get("Properties") or {}).get(NAME_PROPERTIES.get(kind, ""))
        if isinstance(name, str):
            found.append((logical_id, kind, name))
    return found
