"""Deploying and destroying a CDK app through cdklocal, with the tool chain pinned in cdk-toolchain/.

The tool chain (the CDK CLI, cdklocal and esbuild for NodejsFunction) is installed on first use from
the npm registry into build/toolchains/cdk, from the committed package-lock.json; after that a
deploy needs no network. A deploy synthesises the app once, bootstraps the environment if it has
never been, then deploys every stack of the cloud assembly. A stack that a failed deploy created is
deleted again, so nothing is left half-made.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from embedded_localstack import settings
from embedded_localstack.apps.cloudformation import delete_stack, stack_status
from embedded_localstack.apps.errors import AppError

PROJECT_DIR = Path(__file__).resolve().parents[2]
TOOLCHAIN_SOURCE = Path(__file__).parent / "cdk-toolchain"
TOOLCHAIN_DIR = PROJECT_DIR / "build" / "toolchains" / "cdk"
TOOLCHAIN_BIN = TOOLCHAIN_DIR / "node_modules" / ".bin"
# LocalStack's default account for any access key; the bootstrap stack is per account and region.
ACCOUNT = "000000000000"
BOOTSTRAP_STACK = "CDKToolkit"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "localhost.localstack.cloud"}
# A synth or deploy that runs longer than this is stuck (a big app deploys in a few minutes).
TOOL_TIMEOUT = 20 * 60
STACK_TIMEOUT = 5 * 60
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
    env = tool_environment(stack_env, app_dir)
    cfn = _client("cloudformation", env)
    ensure_toolchain()
    assembly = app_dir / "cdk.out"
    started = time.monotonic()
    _run(["cdklocal", "synth", "--quiet", "--output", str(assembly)], app_dir, env, "synth")
    stacks = stack_names(assembly)
    _progress(f"synthesised {', '.join(stacks) or 'no stacks'} in {time.monotonic() - started:.1f} s")
    if not stacks:
        raise AppError(f"the CDK app in {app_dir} declares no stack: its cdk.json 'app' ran but added none to the App")
    existed = {name for name in stacks if stack_status(cfn, name) not in (None, "DELETE_COMPLETE")}
    _refuse_name_collisions(env, cfn, assembly, existed, reserved or {}, fix)
    _bootstrap(env, cfn)
    started = time.monotonic()
    try:
        _run(
            ["cdklocal", "deploy", "--app", str(assembly), *DEPLOY_FLAGS],
            app_dir,
            env,
            "deploy",
        )
    except AppError as tool_error:
        raise AppError(_undo_failed_deploy(env, cfn, stacks, existed, tool_error)) from None
    _progress(f"deployed {', '.join(stacks)} in {time.monotonic() - started:.1f} s")
    return stacks


def destroy(app_dir: Path, stack_env: dict[str, str]) -> None:
    """Deletes every stack of the CDK app in app_dir, then checks that none of their resources is left."""
    app_dir = _checked_app(app_dir)
    env = tool_environment(stack_env, app_dir)
    cfn = _client("cloudformation", env)
    ensure_toolchain()
    # `cdk list` synthesises without bundling assets, so it is the cheap way to learn the names.
    listing = _run(["cdklocal", "list", "--long", "--json"], app_dir, env, "list")
    names = [stack["name"] for stack in json.loads(listing[listing.index("[") :])]
    started = time.monotonic()
    leftovers = []
    for name in names:
        if stack_status(cfn, name) in (None, "DELETE_COMPLETE"):
            continue
        resources = _stack_resources(cfn, name)
        delete_stack(cfn, name)
        leftovers += [
            f"{kind} {physical_id}" for kind, physical_id in resources if _still_there(env, kind, physical_id)
        ]
    if leftovers:
        raise AppError(
            f"destroyed the stacks of {app_dir}, but these resources are still there: {', '.join(leftovers)}. "
            "They have DeletionPolicy Retain, or LocalStack could not delete them; delete them by hand."
        )
    _progress(f"destroyed {', '.join(names)} in {time.monotonic() - started:.1f} s")


def ensure_toolchain() -> None:
    """Installs the pinned CDK tool chain into build/toolchains/cdk unless its lock file is installed already."""
    lock = TOOLCHAIN_SOURCE / "package-lock.json"
    want = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = TOOLCHAIN_DIR / ".package-lock.sha256"
    if _read(stamp) == want:
        return
    TOOLCHAIN_DIR.parent.mkdir(parents=True, exist_ok=True)
    with _locked(TOOLCHAIN_DIR.parent / "cdk.lock"):
        if _read(stamp) == want:  # another process installed it while this one waited
            return
        npm = shutil.which("npm")
        if not npm:
            raise AppError(
                "npm not found: the CDK tool chain is installed with npm. Install Node.js 20 or later with npm "
                "(e.g. apt-get install nodejs npm, or from nodejs.org), then deploy again."
            )
        pins = json.loads((TOOLCHAIN_SOURCE / "package.json").read_text())["dependencies"]
        _progress(
            "installing the CDK tool chain ("
            + ", ".join(f"{name} {version}" for name, version in pins.items())
            + f") into {TOOLCHAIN_DIR.relative_to(PROJECT_DIR)}, once"
        )
        started = time.monotonic()
        shutil.rmtree(TOOLCHAIN_DIR, ignore_errors=True)
        TOOLCHAIN_DIR.mkdir()
        shutil.copy(TOOLCHAIN_SOURCE / "package.json", TOOLCHAIN_DIR)
        shutil.copy(lock, TOOLCHAIN_DIR)
        # esbuild's own install script only checks the binary that its platform package brings.
        result = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=TOOLCHAIN_DIR,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise AppError(
                f"installing the CDK tool chain with npm failed:\n{_tail(result.stdout + result.stderr)}\n"
                "npm needs the package registry once; after that the tool chain works offline. Check the "
                "network or npm's proxy settings (npm config get registry), then deploy again."
            )
        stamp.write_text(want)
        _progress(f"CDK tool chain installed in {time.monotonic() - started:.1f} s")


def tool_environment(stack_env: dict[str, str], app_dir: Path) -> dict[str, str]:
    """The environment of cdklocal: the endpoint of the running LocalStack in every form that cdklocal
    and the SDKs inside the CDK read, dummy credentials, and the tool chain on PATH."""
    given = os.environ | stack_env
    endpoint = settings.endpoint_url(given)
    parts = urllib.parse.urlsplit(endpoint)
    if parts.hostname not in LOCAL_HOSTS and not (parts.hostname or "").startswith("127."):
        raise AppError(
            f"refusing to deploy to {endpoint}: it is not a local LocalStack endpoint. "
            "Unset AWS_ENDPOINT_URL, or set LOCALSTACK_PORT to the port of the running environment."
        )
    region = settings.region(given)
    env = {key: value for key, value in given.items() if not key.startswith("AWS_") and key != "CDK_DEFAULT_ACCOUNT"}
    path = [str(TOOLCHAIN_BIN), str(app_dir / "node_modules" / ".bin"), given.get("PATH", os.defpath)]
    return env | {
        "AWS_ENDPOINT_URL": endpoint,
        # cdklocal refuses AWS_ENDPOINT_URL alone, and its default S3 endpoint is a public DNS name
        # (s3.localhost.localstack.cloud) that does not resolve offline: path-style S3 on the same port.
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_S3_FORCE_PATH_STYLE": "1",
        "LOCALSTACK_HOSTNAME": parts.hostname,
        "EDGE_PORT": str(parts.port or 80),
        "AWS_ACCESS_KEY_ID": given.get("AWS_ACCESS_KEY_ID") or "test",
        "AWS_SECRET_ACCESS_KEY": given.get("AWS_SECRET_ACCESS_KEY") or "test",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        # cdklocal drops every other AWS_* variable (profiles, SSO) unless it is on this list.
        "AWS_ENVAR_ALLOWLIST": "AWS_REGION,AWS_DEFAULT_REGION,AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY",
        "CDK_DEFAULT_REGION": region,
        # aws-cdk-lib's built-in template lint (warnings only) costs about 80 % of a synth's CPU; an
        # app that wants it locally sets CDK_VALIDATION=true.
        "CDK_VALIDATION": given.get("CDK_VALIDATION", "false"),
        # Offline: no check for a newer CLI, no telemetry, no notices.
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "PATH": os.pathsep.join(path),
    }


def stack_names(assembly: Path) -> list[str]:
    """The CloudFormation stack names that a synthesised cloud assembly deploys, nested stages included."""
    return [name for name, _ in _templates(assembly)]


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


def _run(command: list[str], cwd: Path, env: dict[str, str], step: str) -> str:
    """Runs a tool of the tool chain; returns its output, or raises AppError with the end of it."""
    executable = shutil.which(command[0], path=env["PATH"])
    try:
        result = subprocess.run(
            [executable or command[0], *command[1:], "--no-notices"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
        )
    except subprocess.TimeoutExpired as e:
        raise AppError(f"cdk {step} of {cwd} did not finish within {TOOL_TIMEOUT} s: {_tail(e.output or '')}") from None
    if result.returncode:
        raise AppError(f"cdk {step} of {cwd} failed:\n{_tail(result.stdout + result.stderr)}")
    return result.stdout


def _bootstrap(env: dict[str, str], cfn) -> None:
    """Bootstraps the environment (the assets bucket and roles the CDK deploys through) once."""
    if stack_status(cfn, BOOTSTRAP_STACK) in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        return
    port = urllib.parse.urlsplit(env["AWS_ENDPOINT_URL"]).port
    with _locked(TOOLCHAIN_DIR.parent / f"cdk-bootstrap-{port}.lock"):
        status = stack_status(cfn, BOOTSTRAP_STACK)
        if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            return
        if status is not None and status != "DELETE_COMPLETE":
            delete_stack(cfn, BOOTSTRAP_STACK)  # a bootstrap that failed half-way is made again
        _progress(f"bootstrapping the CDK in this environment ({ACCOUNT}, {env['AWS_REGION']}), once")
        started = time.monotonic()
        _run(["cdklocal", "bootstrap", f"aws://{ACCOUNT}/{env['AWS_REGION']}"], TOOLCHAIN_DIR, env, "bootstrap")
        _progress(f"bootstrapped in {time.monotonic() - started:.1f} s")


# Resources that an app may name itself, the property that names them, and how to see whether one of
# that name exists. LocalStack 4.14's CloudFormation deletes a failed stack's resources by their declared
# properties, created or not: a failed stack that named an existing table takes that table with it.
NAMED_KINDS = {
    "AWS::DynamoDB::Table": ("TableName", "dynamodb", lambda c, name: c.describe_table(TableName=name)),
    "AWS::Lambda::Function": ("FunctionName", "lambda", lambda c, name: c.get_function(FunctionName=name)),
    "AWS::SQS::Queue": ("QueueName", "sqs", lambda c, name: c.get_queue_url(QueueName=name)),
    "AWS::S3::Bucket": ("BucketName", "s3", lambda c, name: c.head_bucket(Bucket=name)),
    "AWS::SNS::Topic": (
        "TopicName",
        "sns",
        lambda c, name: c.get_topic_attributes(TopicArn=f"arn:aws:sns:{c.meta.region_name}:{ACCOUNT}:{name}"),
    ),
    "AWS::Events::EventBus": ("Name", "events", lambda c, name: c.describe_event_bus(Name=name)),
    "AWS::ApiGateway::RestApi": ("Name", None, None),  # names of APIs need not be unique
}


def _refuse_name_collisions(
    env: dict[str, str], cfn, assembly: Path, existed: set[str], reserved: dict[str, dict[str, str]], fix: str
) -> None:
    """Stops a deploy before it starts when a stack names a resource that exists outside the stack."""
    collisions = []
    for stack, template in _templates(assembly):
        owned = {physical_id for _, physical_id in _stack_resources(cfn, stack)} if stack in existed else set()
        for logical_id, resource in template.get("Resources", {}).items():
            kind = resource.get("Type")
            if kind not in NAMED_KINDS or NAMED_KINDS[kind][1] is None:
                continue
            key, service, probe = NAMED_KINDS[kind]
            name = resource.get("Properties", {}).get(key)
            if not isinstance(name, str) or name in owned or any(owned_id.endswith(name) for owned_id in owned):
                continue
            try:
                probe(_client(service, env), name)
            except ClientError:
                continue
            owner = reserved.get(kind, {}).get(name)
            whose = f"it belongs to {owner}, which is deployed in this environment" if owner else "one exists"
            collisions.append(f"stack {stack}: {logical_id} ({kind}) is named {name}, and {whose}")
    if collisions:
        raise AppError(
            "the CDK app names resources that already exist in this environment outside its stacks, so it was "
            "not deployed:\n"
            + "\n".join(collisions)
            + "\nRename them in the app (or let the CDK name them)"
            + (f", or {fix[:1].lower()}{fix[1:]}." if fix else ", or deploy into an environment without them.")
        )


def _templates(assembly: Path) -> Iterator[tuple[str, dict]]:
    manifest = json.loads((assembly / "manifest.json").read_text())
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        properties = artifact.get("properties", {})
        if artifact.get("type") == "aws:cloudformation:stack":
            template = json.loads((assembly / properties["templateFile"]).read_text())
            yield properties.get("stackName") or artifact_id, template
        elif artifact.get("type") == "cdk:cloud-assembly":
            yield from _templates(assembly / properties["directoryName"])


def _undo_failed_deploy(env: dict[str, str], cfn, stacks: list[str], existed: set[str], tool_error: AppError) -> str:
    """Deletes the stacks that the failed deploy created; returns the message that explains the failure."""
    reasons = []
    for name in stacks:
        status = stack_status(cfn, name)
        if status is None or status == "DELETE_COMPLETE":
            continue
        failure = _first_failure(cfn, name)
        if failure:
            reasons.append(f"stack {name}: {failure}")
        if name not in existed:
            resources = _stack_resources(cfn, name)
            unrecorded = _unrecorded_resources(env, cfn, name)
            delete_stack(cfn, name)
            for kind, physical_id in unrecorded:
                _delete_resource(env, kind, physical_id)
            left = [
                f"{kind} {physical}" for kind, physical in resources + unrecorded if _still_there(env, kind, physical)
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


def _unrecorded_resources(env: dict[str, str], cfn, stack: str) -> list[tuple[str, str]]:
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
        for name in GENERATED_NAME_LISTINGS[kind](_client(GENERATED_NAME_SERVICES[kind], env)):
            if name.startswith(prefix) or (len(name) >= 60 and prefix.startswith(name[: name.rfind("-")])):
                found.append((kind, name))
    return found


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


def _delete_resource(env: dict[str, str], kind: str, physical_id: str) -> None:
    try:
        if kind == "AWS::Lambda::Function":
            _client("lambda", env).delete_function(FunctionName=physical_id)
        elif kind == "AWS::DynamoDB::Table":
            _client("dynamodb", env).delete_table(TableName=physical_id)
    except ClientError:
        pass  # gone already; _still_there has the last word


def _first_failure(cfn, stack: str) -> str | None:
    """The first resource that failed in the stack's latest operation, with CloudFormation's reason."""
    events = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
        events += page["StackEvents"]
    events.sort(key=lambda event: event["Timestamp"])
    for event in events:
        if event["ResourceStatus"].endswith("_FAILED") and event["LogicalResourceId"] != stack:
            reason = event.get("ResourceStatusReason") or "no reason given"
            physical = _declared_name(event) or event.get("PhysicalResourceId")
            named = f" named {physical}" if physical else ""
            return f"{event['LogicalResourceId']} ({event['ResourceType']}{named}) {event['ResourceStatus']}: {reason}"
    return None


def _declared_name(event: dict) -> str | None:
    try:
        properties = json.loads(event.get("ResourceProperties") or "{}")
    except ValueError:
        return None
    for key, value in properties.items():
        if key.endswith("Name") and isinstance(value, str) and key[: -len("Name")] in event["ResourceType"]:
            return value
    return None


def _stack_resources(cfn, name: str) -> list[tuple[str, str]]:
    resources = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name):
        resources += [
            (item["ResourceType"], item["PhysicalResourceId"])
            for item in page["StackResourceSummaries"]
            if item.get("PhysicalResourceId")
        ]
    return resources


def _still_there(env: dict[str, str], kind: str, physical_id: str) -> bool:
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
        probe(_client(service, env))
    except ClientError:
        return False
    return True


def _client(service: str, env: dict[str, str]):
    return boto3.client(
        service,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"max_attempts": 2}),
    )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (parallel test workers, two deploys at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def _tail(output: str, lines: int = 30) -> str:
    return "\n".join(output.rstrip().splitlines()[-lines:])


def _progress(message: str) -> None:
    print(f"==> cdk: {message}", file=sys.stderr, flush=True)
