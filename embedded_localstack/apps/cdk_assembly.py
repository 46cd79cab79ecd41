"""Reading a synthesised CDK cloud assembly (cdk.out): its stacks, nested stages included, and their
CloudFormation templates."""

import json
from collections.abc import Iterator
from pathlib import Path


def stack_names(assembly: Path) -> list[str]:
    """The CloudFormation stack names that a synthesised cloud assembly deploys, nested stages included."""
    return [name for name, _ in templates(assembly)]


def templates(assembly: Path) -> Iterator[tuple[str, dict]]:
    """(stack name, template) of each stack of the assembly."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        properties = artifact.get("properties", {})
        if artifact.get("type") == "aws:cloudformation:stack":
            template = json.loads((assembly / properties["templateFile"]).read_text())
            yield properties.get("stackName") or artifact_id, template
        elif artifact.get("type") == "cdk:cloud-assembly":
            yield from templates(assembly / properties["directoryName"])
