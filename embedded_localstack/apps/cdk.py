"""Deploying and destroying a CDK app through cdklocal (the tool chain: cdk_cli.py).

A deploy synthesises the app once, bootstraps the environment if it has never been, then deploys every
stack of the cloud assembly. A stack that a failed deploy created is deleted again, so nothing is left
half-made.
"""

import json
import shutil
import time
import urllib.parse
from pathlib import Path

from embedded_localstack.apps import cdk_cli, collisions, leftovers
from embedded_localstack.apps.cdk_assembly import stack_names
from embedded_localstack.apps.cdk_cli import TOOLCHAIN_DIR, client_of, progress, run
from embedded_localstack.apps.cloudformation import delete_stack, first_failure, stack_status
from embedded_localstack.apps.errors import AppError
from embedded_localstack.apps.locks import locked

# LocalStack's default account for any access key; the bootstrap stack is per account and region.
ACCOUNT = "000000000000"
BOOTSTRAP_STACK = "CDKToolkit"
# CreateStack/UpdateStack straight away instead of through change sets: fewer round trips to LocalStack.
DEPLOY_FLAGS = ["--all", "--require-approval", "never", "--method", "direct"]
FAILED_STATUSES = {"CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"}


def deploy(
    app_dir: Path, stack_env: dict[str, str], reserved: dict[str, dict[str, str]] | None = None, fix: str = ""
) -> list[str]:
    """Deploys every stack of the CDK app in app_dir; returns their names. stack_env holds the
    environment the app is deployed with: the endpoint (AWS_ENDPOINT_URL or LOCALSTACK_PORT), the
    region, and any variables of the app's own. `reserved` names what others in the environment own
    ({type: {name: owner}}), so that a collision with one of them names its owner and `fix`."""
    app_dir = _checked_app(app_dir)
    env = cdk_cli.tool_environment(stack_env, app_dir)
    client = client_of(env)
    cfn = client("cloudformation")
    cdk_cli.ensure_toolchain()
    assembly = app_dir / "cdk.out"
    started = time.monotonic()
    run(["cdklocal", "synth", "--quiet", "--output", str(assembly)], app_dir, env, "synth")
    stacks = stack_names(assembly)
    progress(f"synthesised {', '.join(stacks) or 'no stacks'} in {time.monotonic() - started:.1f} s")
    if not stacks:
        raise AppError(f"the CDK app in {app_dir} declares no stack: its cdk.json 'app' ran but added none to the App")
    existed = {name for name in stacks if stack_status(cfn, name) not in (None, "DELETE_COMPLETE")}
    collisions.check_assembly(assembly, cfn, existed, reserved or {}, client, fix)
    _bootstrap(env, cfn)
    started = time.monotonic()
    # The events of this deploy are those after this moment (CloudFormation stamps them in wall-clock time).
    since = time.time()
    try:
        run(["cdklocal", "deploy", "--app", str(assembly), *DEPLOY_FLAGS], app_dir, env, "deploy")
    except AppError as tool_error:
        raise AppError(_undo_failed_deploy(client, stacks, existed, since, tool_error)) from None
    progress(f"deployed {', '.join(stacks)} in {time.monotonic() - started:.1f} s")
    return stacks


def destroy(app_dir: Path, stack_env: dict[str, str]) -> None:
    """Deletes every stack of the CDK app in app_dir, then checks that none of their resources is left."""
    app_dir = _checked_app(app_dir)
    env = cdk_cli.tool_environment(stack_env, app_dir)
    client = client_of(env)
    cfn = client("cloudformation")
    cdk_cli.ensure_toolchain()
    # `cdk list` synthesises without bundling assets, so it is the cheap way to learn the names.
    listing = run(["cdklocal", "list", "--long", "--json"], app_dir, env, "list")
    names = [stack["name"] for stack in json.loads(listing[listing.index("[") :])]
    started = time.monotonic()
    left = []
    for name in names:
        if stack_status(cfn, name) in (None, "DELETE_COMPLETE"):
            continue
        resources = leftovers.stack_resources(cfn, name)
        delete_stack(cfn, name)
        left += [
            f"{kind} {physical_id}"
            for kind, physical_id in resources
            if leftovers.still_there(kind, physical_id, client)
        ]
    if left:
        raise AppError(
            f"destroyed the stacks of {app_dir}, but these resources are still there: {', '.join(left)}. "
            "They have DeletionPolicy Retain, or LocalStack could not delete them; delete them by hand."
        )
    progress(f"destroyed {', '.join(names)} in {time.monotonic() - started:.1f} s")


def _checked_app(app_dir: Path) -> Path:
    app_dir = Path(app_dir).resolve()
    if not (app_dir / "cdk.json").is_file():
        raise AppError(f"{app_dir} has no cdk.json, so it is not a CDK app: give the folder that holds cdk.json")
    if not shutil.which("node"):
        raise AppError(
            "node not found: the CDK needs Node.js 20 or later. Install it (e.g. apt-get install nodejs npm, "
            "or from nodejs.org), then deploy again."
        )
    if (app_dir / "package.json").is_file() and not (app_dir / "node_modules").is_dir():
        lock = "package-lock.json" if (app_dir / "package-lock.json").is_file() else None
        command = "npm ci" if lock else "npm install"
        raise AppError(
            f"the CDK app in {app_dir} has no node_modules: its dependencies (aws-cdk-lib and the functions' "
            f"packages) are not installed. Run `{command}` in {app_dir} once, then deploy again."
        )
    return app_dir


def _bootstrap(env: dict[str, str], cfn) -> None:
    """Bootstraps the environment (the assets bucket and roles the CDK deploys through) once."""
    if stack_status(cfn, BOOTSTRAP_STACK) in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        return
    port = urllib.parse.urlsplit(env["AWS_ENDPOINT_URL"]).port
    with locked(TOOLCHAIN_DIR.parent / f"cdk-bootstrap-{port}.lock"):
        status = stack_status(cfn, BOOTSTRAP_STACK)
        if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            return
        if status is not None and status != "DELETE_COMPLETE":
            delete_stack(cfn, BOOTSTRAP_STACK)  # a bootstrap that failed half-way is made again
        progress(f"bootstrapping the CDK in this environment ({ACCOUNT}, {env['AWS_REGION']}), once")
        started = time.monotonic()
        run(["cdklocal", "bootstrap", f"aws://{ACCOUNT}/{env['AWS_REGION']}"], TOOLCHAIN_DIR, env, "bootstrap")
        progress(f"bootstrapped in {time.monotonic() - started:.1f} s")


def _undo_failed_deploy(client, stacks: list[str], existed: set[str], since: float, tool_error: AppError) -> str:
    """Deletes the stacks that the failed deploy created; returns the message that explains the failure."""
    cfn = client("cloudformation")
    reasons = []
    for name in stacks:
        status = stack_status(cfn, name)
        if status is None or status == "DELETE_COMPLETE":
            continue
        failure = first_failure(cfn, name, since)
        if failure:
            reasons.append(f"stack {name}: {failure}")
        if name not in existed:
            resources = leftovers.stack_resources(cfn, name)
            unrecorded = leftovers.unrecorded_resources(cfn, name, client)
            delete_stack(cfn, name)
            for kind, physical_id in unrecorded:
                leftovers.delete_resource(kind, physical_id, client)
            left = [
                f"{kind} {physical}"
                for kind, physical in resources + unrecorded
                if leftovers.still_there(kind, physical, client)
            ]
            if left:
                reasons.append(f"stack {name} is deleted, but these of its resources are left: {', '.join(left)}")
        elif status in FAILED_STATUSES:
            reasons.append(f"stack {name} is in {status}; `destroy` removes it")
    if not reasons:
        return str(tool_error)
    return (
        "the CDK deploy failed, and every stack it created has been deleted again.\n"
        + "\n".join(reasons)
        + "\nFix that resource in the app and deploy again."
    )
