"""Which tool deploys an app, told from its folder: cdk.json -> the CDK; template.yaml, template.yml or
samconfig.toml -> SAM; a bare CloudFormation template -> CloudFormation."""

import re
from dataclasses import dataclass
from pathlib import Path

from embedded_localstack.apps import templates
from embedded_localstack.apps.errors import AppError

SAM_TEMPLATES = ("template.yaml", "template.yml")
SERVERLESS_TRANSFORM = "AWS::Serverless-2016-10-31"


@dataclass(frozen=True)
class App:
    folder: Path
    tool: str  # "cdk", "sam" or "cloudformation"
    template: Path | None = None  # the CDK synthesises its own

    @property
    def stack_name(self) -> str:
        """The app's stack (SAM, CloudFormation): named after its folder, as CloudFormation allows."""
        name = re.sub(r"[^A-Za-z0-9-]+", "-", self.folder.name).strip("-") or "app"
        return (name if name[0].isalpha() else f"app-{name}")[:128]


def _is_serverless(template: dict) -> bool:
    transform = template.get("Transform")
    return SERVERLESS_TRANSFORM in (transform if isinstance(transform, list) else [transform])


def detect(path: str | Path) -> App:
    path = Path(path).expanduser().resolve()
    if path.is_file():  # APP=<dir>/<template>: that template, when a folder holds several
        tool = "sam" if _is_serverless(templates.load(path)) else "cloudformation"
        return App(path.parent, tool, path)
    if not path.is_dir():
        raise AppError(
            f"app folder {path} does not exist; APP=<dir> names your app's folder "
            "(the one with cdk.json, template.yaml or a CloudFormation template)"
        )
    if (path / "cdk.json").is_file():
        return App(path, "cdk")
    for name in SAM_TEMPLATES:
        if (path / name).is_file():
            return App(path, "sam", path / name)
    if (path / "samconfig.toml").is_file():
        raise AppError(
            f"{path} has samconfig.toml but no template.yaml or template.yml next to it; "
            "put the SAM template there, or point APP= at the template file"
        )
    found = sorted(
        p for p in path.iterdir() if p.suffix in templates.TEMPLATE_SUFFIXES and templates.looks_like_template(p)
    )
    if not found:
        raise AppError(
            f"{path} holds no app this environment recognises: no cdk.json (CDK), no template.yaml, template.yml "
            "or samconfig.toml (SAM), and no CloudFormation template (a .yaml, .yml or .json file with "
            "AWSTemplateFormatVersion or Resources); point APP= at your app's folder"
        )
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise AppError(f"{path} holds several templates ({names}); point APP= at one of them, e.g. APP={found[0]}")
    tool = "sam" if _is_serverless(templates.load(found[0])) else "cloudformation"
    return App(path, tool, found[0])
