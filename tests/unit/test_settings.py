import os
import subprocess
import sys

import pytest

from infra import settings
from infra.paths import PROJECT_DIR


@pytest.mark.parametrize("url", ["http://127.0.0.1:4566", "http://localhost:4566", "http://localstack:4566"])
def test_local_endpoints_are_accepted(url):
    assert settings.require_local_endpoint(url) == url


@pytest.mark.parametrize("url", ["https://lambda.us-east-1.amazonaws.com", "http://10.0.0.5:4566"])
def test_non_local_endpoints_are_refused_unless_real_aws_is_allowed(url, monkeypatch):
    monkeypatch.setattr(settings, "ALLOW_REAL_AWS", False)
    with pytest.raises(settings.RealAwsRefused, match="ALLOW_REAL_AWS=1"):
        settings.require_local_endpoint(url)

    monkeypatch.setattr(settings, "ALLOW_REAL_AWS", True)
    assert settings.require_local_endpoint(url) == url


def test_provisioning_refuses_real_aws_before_sending_anything():
    env = {k: v for k, v in os.environ.items() if k != "ALLOW_REAL_AWS"} | {
        "AWS_ENDPOINT_URL": "https://dynamodb.us-east-1.amazonaws.com"
    }
    result = subprocess.run(
        [sys.executable, "-m", "infra.deploy"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    assert "refusing to talk to https://dynamodb.us-east-1.amazonaws.com" in result.stdout + result.stderr
    assert "[deploy] deploying to" not in result.stdout


def test_integration_suite_refuses_real_aws():
    env = {k: v for k, v in os.environ.items() if k != "ALLOW_REAL_AWS"} | {
        "AWS_ENDPOINT_URL": "https://lambda.us-east-1.amazonaws.com"
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/integration/test_provisioning.py", "-q", "-p", "no:cacheprovider"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "refusing to talk to https://lambda.us-east-1.amazonaws.com" in result.stdout + result.stderr
