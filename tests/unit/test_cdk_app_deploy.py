"""The parts of the CDK deploy (embedded_localstack/apps/cdk.py, cdk_cli.py, cdk_assembly.py) that need no
LocalStack: the environment cdklocal runs in, the checks of an app folder, and the stack names of a cloud
assembly."""

import json
from pathlib import Path

import pytest

from embedded_localstack.apps import cdk, cdk_assembly, cdk_cli
from embedded_localstack.apps.errors import AppError


def test_cdklocal_gets_the_endpoint_for_s3_too_and_no_profile(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.amazonaws.com")

    env = cdk_cli.tool_environment({"LOCALSTACK_PORT": "4711", "AWS_DEFAULT_REGION": "eu-west-1"}, Path("/app"))

    assert env["AWS_ENDPOINT_URL"] == env["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:4711"
    assert (env["LOCALSTACK_HOSTNAME"], env["EDGE_PORT"]) == ("127.0.0.1", "4711")
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert "AWS_PROFILE" not in env  # never: a real account's profile reaching the CDK
    assert env["PATH"].split(":")[:2] == [str(cdk_cli.TOOLCHAIN_BIN), "/app/node_modules/.bin"]


def test_a_real_aws_endpoint_is_refused_naming_the_fix():
    with pytest.raises(
        AppError, match=r"refusing to deploy to https://dynamodb\.us-east-1\.amazonaws\.com.*LOCALSTACK_PORT"
    ):
        cdk_cli.tool_environment({"AWS_ENDPOINT_URL": "https://dynamodb.us-east-1.amazonaws.com"}, Path("/app"))


def test_a_folder_without_cdk_json_is_not_a_cdk_app(tmp_path):
    with pytest.raises(AppError, match=r"has no cdk\.json"):
        cdk.deploy(tmp_path, {})


def test_an_app_whose_npm_ci_has_not_run_is_told_to_run_it(tmp_path):
    (tmp_path / "cdk.json").write_text('{"app": "npx tsx bin/app.ts"}')
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "package-lock.json").write_text("{}")

    with pytest.raises(AppError, match=r"no node_modules.*Run `npm ci` in"):
        cdk.deploy(tmp_path, {})


def test_stack_names_come_from_the_assembly_nested_stages_included(tmp_path):
    (tmp_path / "stage").mkdir()
    for folder, artifacts in {
        tmp_path: {
            "Top": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Top.json"}},
            "Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "stage"}},
            "Tree": {"type": "cdk:tree"},
        },
        tmp_path / "stage": {
            "Inner": {
                "type": "aws:cloudformation:stack",
                "properties": {"templateFile": "I.json", "stackName": "Prod-Inner"},
            }
        },
    }.items():
        (folder / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    (tmp_path / "Top.json").write_text("{}")
    (tmp_path / "stage" / "I.json").write_text("{}")

    assert cdk_assembly.stack_names(tmp_path) == ["Top", "Prod-Inner"]
