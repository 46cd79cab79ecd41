"""Deploy, destroy and list apps: the public API behind `python -m embedded_localstack.apps` and the
pytest plugin's app fixture."""

import importlib
import importlib.util
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import ClientError

from embedded_localstack import clients
from embedded_localstack.apps import cloudformation, collisions, records, sam, templates, toolchains, urls
from embedded_localstack.apps.detect import App, detect
from embedded_localstack.apps.errors import AppError

# The code of SAM apps (and large templates), one prefix per stack.
ARTIFACTS_BUCKET = "embedded-apps-artifacts"
APP_TAG = "embedded-localstack:app"


@dataclass
class Deployment:
    folder: Path
    tool: str
    stacks: list[str]
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    resources: list[dict] = field(default_factory=list)
    urls: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"deployed {self.folder} ({self.tool}) as {', '.join(self.stacks)} in {self.seconds:.1f} s"]
        lines += [
            f"  {r['ResourceType']:32} {r['LogicalResourceId']}: {r.get('PhysicalResourceId')}" for r in self.resources
        ]
        lines += [f"  output {key}: {value}" for key, value in self.outputs.items()]
        lines += [f"  {what}: {url}" for what, url in self.urls]
        lines += [
            f"  WARNING: LocalStack Community skipped {r['LogicalResourceId']} ({r['ResourceType']}): it has no such "
            "resource type; what uses it will not work here (docs/your-own-app.md, Limits)"
            for r in self.skipped
        ]
        return "\n".join(lines)

    @property
    def skipped(self) -> list[dict]:
        """Resources of a type LocalStack cannot deploy: it marks them done, with the physical id "unknown"."""
        return [r for r in self.resources if r.get("PhysicalResourceId") == "unknown"]


def _cdk():
    if importlib.util.find_spec("embedded_localstack.apps.cdk") is None:
        raise AppError("CDK support not installed: this copy of the platform has no embedded_localstack/apps/cdk.py")
    return importlib.import_module("embedded_localstack.apps.cdk")


def _check_node_modules(app: App) -> None:
    if (app.folder / "package.json").is_file() and not (app.folder / "node_modules").is_dir():
        raise AppError(f"{app.folder} has package.json but no node_modules: run `npm ci` in {app.folder} first")


def _artifacts(s3, prefix: str) -> tuple[str, str]:
    try:
        s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    return ARTIFACTS_BUCKET, prefix


def _work_dir(stack: str) -> Path:
    """Where a SAM app is built and packaged: the project's build folder, never the app's own."""
    return toolchains.PROJECT_DIR / "build" / "apps" / stack


def _delete_artifacts(s3, prefix: str) -> None:
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ARTIFACTS_BUCKET, Prefix=f"{prefix}/"):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=ARTIFACTS_BUCKET, Delete={"Objects": keys})
    except ClientError as e:
        if e.response["Error"]["Code"] != "NoSuchBucket":
            raise


def deploy(path: str | Path, reserved: collisions.Reserved | None = None, fix: str = "") -> Deployment:
    """Deploys the app in `path` into the running environment. `reserved` names resources that others in
    the environment own ({type: {name: owner}}); an app that names one of them is refused, with `fix`."""
    started = time.monotonic()
    app = detect(path)
    cfn, s3 = clients.client("cloudformation"), clients.client("s3")
    if app.tool == "cdk":
        _check_node_modules(app)
        stacks = _cdk().deploy(app.folder, clients.environment(), reserved or {}, fix)
    else:
        assert app.template is not None  # detect() finds the template of every app but a CDK one
        template = templates.load(app.template)
        templates.check_resources(template, app.template)
        sam.check_http_apis(template, app.template)
        name = app.stack_name
        owner = records.owner_of(name)
        if owner and owner != str(app.folder):
            raise AppError(f"stack {name} already holds the app in {owner}; rename the folder of {app.folder}")
        own: frozenset[str] = frozenset()
        if cloudformation.stack_status(cfn, name):
            own = frozenset(
                r.get("PhysicalResourceId", "").rsplit("/", 1)[-1] for r in cloudformation.resources(cfn, name)
            )
        collisions.check(template, reserved or {}, clients.client, str(app.folder), fix, own, name)
        artifacts = _artifacts(s3, name)
        body = app.template.read_text()
        if app.tool == "sam":
            try:
                body = sam.package(app.template, template, _work_dir(name), *artifacts)
            except AppError:
                if cloudformation.stack_status(cfn, name) is None:  # a first deploy: leave nothing of it
                    _delete_artifacts(s3, name)
                    shutil.rmtree(_work_dir(name), ignore_errors=True)
                raise
        # Recorded first: a deploy interrupted half-way is still found by destroy.
        records.remember(app.folder, app.tool, [name])
        try:
            cloudformation.deploy_stack(cfn, s3, name, body, {APP_TAG: str(app.folder)}, artifacts)
        except AppError:
            if cloudformation.stack_status(cfn, name) is None:
                records.forget(app.folder)
                _delete_artifacts(s3, name)
                shutil.rmtree(_work_dir(name), ignore_errors=True)
            raise
        stacks = [name]
    records.remember(app.folder, app.tool, stacks)
    deployment = Deployment(app.folder, app.tool, stacks)
    for stack in stacks:
        deployment.resources += cloudformation.resources(cfn, stack)
        deployment.outputs |= cloudformation.outputs(cfn, stack)
    deployment.urls = urls.of_resources(deployment.resources)
    deployment.seconds = time.monotonic() - started
    return deployment


def destroy(path: str | Path) -> list[str]:
    """Removes what the app in `path` deployed; returns the stacks it deleted."""
    folder = Path(path).expanduser().resolve()
    record = records.recorded(folder)
    if record is None and folder.exists():
        app = detect(folder)
        record = {"tool": app.tool, "stacks": [] if app.tool == "cdk" else [app.stack_name]}
        folder = app.folder
    if record is None:
        raise AppError(f"no app from {folder} is deployed here; `make status` lists the deployed apps")
    cfn, s3 = clients.client("cloudformation"), clients.client("s3")
    if record["tool"] == "cdk":
        _cdk().destroy(folder, clients.environment())
    else:
        for stack in record["stacks"]:
            cloudformation.delete_stack(cfn, stack)
            _delete_artifacts(s3, stack)
            shutil.rmtree(_work_dir(stack), ignore_errors=True)
    records.forget(folder)
    return record["stacks"]


def status() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(app folder, tool, [(stack, its status)]) for each recorded app. An app none of whose stacks exists
    any more (LocalStack restarted: it keeps no state) is reported once, then forgotten."""
    cfn = clients.client("cloudformation")
    found = []
    for folder, record in sorted(records.all_apps().items()):
        stacks = [(stack, cloudformation.stack_status(cfn, stack)) for stack in record["stacks"]]
        if not any(state for _, state in stacks):
            records.forget(Path(folder))
        found.append(
            (folder, record["tool"], [(stack, state or "gone (LocalStack restarted?)") for stack, state in stacks])
        )
    return found


def app_urls() -> list[tuple[str, str, str]]:
    """(app folder, what, url) for every REST API and function URL of every deployed app."""
    cfn = clients.client("cloudformation")
    found = []
    for folder, record in sorted(records.all_apps().items()):
        for stack in record["stacks"]:
            if cloudformation.stack_status(cfn, stack):
                found += [(folder, what, url) for what, url in urls.of_resources(cloudformation.resources(cfn, stack))]
    return found
