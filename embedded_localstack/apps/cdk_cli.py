"""The CDK command line (the CDK CLI, cdklocal and esbuild for NodejsFunction), pinned in cdk-toolchain/:
installed on first use from the npm registry into build/toolchains/cdk from the committed
package-lock.json, after which it needs no network; the environment it runs in; running it."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import boto3
from botocore.config import Config

from embedded_localstack import settings
from embedded_localstack.apps.errors import AppError
from embedded_localstack.apps.locks import locked
from embedded_localstack.apps.toolchains import PROJECT_DIR

TOOLCHAIN_SOURCE = Path(__file__).parent / "cdk-toolchain"
TOOLCHAIN_DIR = PROJECT_DIR / "build" / "toolchains" / "cdk"
TOOLCHAIN_BIN = TOOLCHAIN_DIR / "node_modules" / ".bin"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "localhost.localstack.cloud"}
# A synth or deploy that runs longer than this is stuck (a big app deploys in a few minutes).
TOOL_TIMEOUT = 20 * 60


def ensure_toolchain() -> None:
    """Installs the pinned CDK tool chain into build/toolchains/cdk unless its lock file is installed already."""
    lock = TOOLCHAIN_SOURCE / "package-lock.json"
    want = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = TOOLCHAIN_DIR / ".package-lock.sha256"
    if _read(stamp) == want:
        return
    with locked(TOOLCHAIN_DIR.parent / "cdk.lock"):
        if _read(stamp) == want:  # another process installed it while this one waited
            return
        npm = shutil.which("npm")
        if not npm:
            raise AppError(
                "npm not found: the CDK tool chain is installed with npm. Install Node.js 20 or later with npm "
                "(e.g. apt-get install nodejs npm, or from nodejs.org), then deploy again."
            )
        pins = json.loads((TOOLCHAIN_SOURCE / "package.json").read_text())["dependencies"]
        progress(
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
        progress(f"CDK tool chain installed in {time.monotonic() - started:.1f} s")


def tool_environment(stack_env: dict[str, str], app_dir: Path) -> dict[str, str]:
    """The environment of cdklocal: the endpoint of the running LocalStack in every form that cdklocal
    and the SDKs inside the CDK read, dummy credentials, and the tool chain on PATH."""
    given = os.environ | stack_env
    endpoint = settings.endpoint_url(given)
    parts = urllib.parse.urlsplit(endpoint)
    host = parts.hostname or ""
    if host not in LOCAL_HOSTS and not host.startswith("127."):
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
        "LOCALSTACK_HOSTNAME": host,
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


def client_of(env: dict[str, str]):
    """boto3 clients of the endpoint that tool_environment gave the tool chain: client_of(env)("sqs")."""

    def client(service: str):
        return boto3.client(
            service,
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            config=Config(retries={"max_attempts": 2}),
        )

    return client


def run(command: list[str], cwd: Path, env: dict[str, str], step: str) -> str:
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


def progress(message: str) -> None:
    print(f"==> cdk: {message}", file=sys.stderr, flush=True)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def _tail(output: str, lines: int = 30) -> str:
    return "\n".join(output.rstrip().splitlines()[-lines:])
