"""docker-compose.yml is validated without a Docker engine, so a broken file fails CI even though
CI never starts the Docker mode."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from localstack.utils.container_utils.container_client import Util

from tools.docker_mode import lambda_docker_flags

PROJECT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = PROJECT / "docker-compose.yml"


def compose_v2_validator() -> list[str] | None:
    """Compose v2 if installed (the plugin, or a standalone v2 docker-compose), as `make up` requires it."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]):
            version = subprocess.run([*command, "version", "--short"], capture_output=True, text=True)
            if version.returncode == 0 and not version.stdout.strip().lstrip("v").startswith("1."):
                return command
    return None


def compose_validator() -> list[str] | None:
    # Without v2 (Debian 12 packages only v1, which .ci/run installs), the v1 tool still catches a
    # malformed file and bad interpolation.
    return compose_v2_validator() or (["docker-compose"] if shutil.which("docker-compose") else None)


def rendered() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]["localstack"]


# What `make up` (scripts/localenv.sh) sets for every compose command.
MAKE_UP_ENV = {
    "HOST_PROJECT_DIR": str(PROJECT),
    "SHOP_LAMBDA_DOCKER_FLAGS": lambda_docker_flags(str(PROJECT)),
    "AWS_DEFAULT_REGION": "us-east-1",
}


def compose_config(extra_env: dict | None = None) -> subprocess.CompletedProcess:
    validator = compose_validator()
    if validator is None:
        if os.environ.get("CI"):
            pytest.fail("no Compose validator on this CI machine; .ci/run installs docker-compose")
        pytest.skip("no Compose validator installed (apt-get install docker-compose, or the Compose v2 plugin)")
    env = os.environ | MAKE_UP_ENV | (extra_env or {})
    return subprocess.run([*validator, "-f", str(COMPOSE_FILE), "config"], capture_output=True, text=True, env=env)


def test_compose_file_is_valid():
    result = compose_config()

    assert result.returncode == 0, result.stderr


def test_compose_passes_the_lambda_flags_through_unchanged_for_a_path_with_spaces():
    project = "/Users/Ann Lee/src/shop"
    flags = lambda_docker_flags(project)

    result = compose_config({"HOST_PROJECT_DIR": project, "SHOP_LAMBDA_DOCKER_FLAGS": flags})

    assert result.returncode == 0, result.stderr
    environment = yaml.safe_load(result.stdout)["services"]["localstack"]["environment"]
    assert environment["LAMBDA_DOCKER_FLAGS"] == flags
    assert Util.parse_additional_flags(environment["LAMBDA_DOCKER_FLAGS"]).volumes == [(project, project)]


def test_compose_refuses_to_start_without_what_make_up_sets():
    result = compose_config({"SHOP_LAMBDA_DOCKER_FLAGS": ""})

    assert result.returncode != 0
    assert "SHOP_LAMBDA_DOCKER_FLAGS" in result.stderr


def test_lambda_containers_join_the_compose_network():
    service = rendered()
    network = service["environment"]["LAMBDA_DOCKER_NETWORK"]
    assert network in service["networks"]
    assert yaml.safe_load(COMPOSE_FILE.read_text())["networks"][network]["name"] == network


def test_both_modes_run_the_same_localstack_release():
    image_tag = rendered()["image"].rsplit(":", 1)[1].rstrip("}")
    lines = (PROJECT / "requirements" / "localstack.txt").read_text().splitlines()
    pins = dict(line.split("#")[0].strip().split("==") for line in lines if "==" in line.split("#")[0])
    assert image_tag == pins["localstack-core"]
