"""SAM apps: `sam build` when a function has dependencies to install, `samlocal package` to put the code
in the environment's S3, then the packaged template deployed as one stack (cloudformation.py)."""

import os
import re
import subprocess
import time
from pathlib import Path

from embedded_localstack import clients, settings
from embedded_localstack.apps import toolchains
from embedded_localstack.apps.errors import AppError
from embedded_localstack.runtimes import interpreters

# Files that make `sam build` install a function's dependencies; without them the code deploys as it is.
DEPENDENCY_FILES = ("requirements.txt", "package.json")


def functions(template: dict) -> list[tuple[str, dict]]:
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    return [
        (logical_id, globals_ | (resource.get("Properties") or {}))
        for logical_id, resource in (template.get("Resources") or {}).items()
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::Function"
    ]


def _needs_build(template: dict, folder: Path) -> list[str]:
    """The runtimes of functions whose code folder lists dependencies."""
    runtimes = []
    for _, properties in functions(template):
        code = properties.get("CodeUri")
        if isinstance(code, str) and any((folder / code / name).is_file() for name in DEPENDENCY_FILES):
            runtimes.append(properties.get("Runtime") or "")
    return runtimes


def _run(command: list[str], what: str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode:
        output = (result.stderr.strip() or result.stdout.strip())[-3000:]
        raise AppError(f"{what} failed:\n{output}")
    return result.stdout


def _tool_env(bin_dir: Path, extra_path: list[str]) -> dict[str, str]:
    path = os.pathsep.join([str(bin_dir), *extra_path, settings.PATH.read()])
    # SAM's telemetry and update check would reach the network.
    return {
        "PATH": path,
        "HOME": settings.HOME.read(),
        "LANG": settings.LANG.read(),
        "SAM_CLI_TELEMETRY": "0",
        "DISABLE_DEPRECATION_NOTICE": "1",
        "SAM_CLI_CONTEXT": "embedded",
        **clients.environment(),
    }


def package(app_template: Path, template: dict, work_dir: Path, bucket: str, prefix: str) -> str:
    """The template with each function's code uploaded to s3://bucket/prefix, as text."""
    folder = app_template.parent
    bin_dir = toolchains.sam_bin()
    work_dir.mkdir(parents=True, exist_ok=True)
    extra_path = []
    source = app_template
    runtimes = _needs_build(template, folder)
    if runtimes:
        # sam build installs dependencies with a Python (or Node.js) of each function's runtime, on PATH.
        for runtime in sorted(set(runtimes)):
            try:
                extra_path.append(str(Path(interpreters.interpreter_for_runtime(runtime)).parent))
            except interpreters.UnsupportedRuntime as e:
                raise AppError(f"`sam build` needs a {runtime} on this machine: {e}") from None
        started = time.monotonic()
        build_dir = work_dir / "build"
        _run(
            [str(bin_dir / "samlocal"), "build", "--template-file", str(app_template), "--build-dir", str(build_dir)],
            "sam build",
            folder,
            _tool_env(bin_dir, extra_path),
        )
        print(f"    sam build: {time.monotonic() - started:.1f} s", flush=True)
        source = build_dir / "template.yaml"
    packaged = work_dir / "packaged.yaml"
    _run(
        [
            str(bin_dir / "samlocal"),
            "package",
            "--template-file",
            str(source),
            "--s3-bucket",
            bucket,
            "--s3-prefix",
            prefix,
            "--output-template-file",
            str(packaged),
            "--region",
            clients.region(),
            "--no-progressbar",
        ],
        "samlocal package",
        # Not the app's folder: its samconfig.toml may name a profile or bucket of a real account.
        work_dir,
        _tool_env(bin_dir, extra_path),
    )
    return packaged.read_text()


def check_http_apis(template: dict, source: Path) -> None:
    """LocalStack Community has no API Gateway v2: its CloudFormation would skip an HTTP API silently."""
    offenders = [
        logical_id
        for logical_id, resource in (template.get("Resources") or {}).items()
        if isinstance(resource, dict)
        and (re.match(r"AWS::ApiGatewayV2::|AWS::Serverless::HttpApi$", str(resource.get("Type"))))
    ]
    offenders += [
        f"{logical_id} (event {name})"
        for logical_id, properties in functions(template)
        for name, event in (properties.get("Events") or {}).items()
        if isinstance(event, dict) and event.get("Type") == "HttpApi"
    ]
    if offenders:
        raise AppError(
            f"{source}: {', '.join(offenders)}: an HTTP API (API Gateway v2), which LocalStack Community "
            "does not have; use a REST API instead (SAM: Events Type: Api; CDK: aws-apigateway's RestApi)"
        )
