"""docker-compose.yml is validated without a Docker engine, so a broken file fails CI even though
CI never starts the Docker mode."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = PROJECT / "docker-compose.yml"


def compose_validator() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


def rendered() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]["localstack"]


def test_compose_file_is_valid():
    validator = compose_validator()
    if validator is None:
        if os.environ.get("CI"):
            pytest.fail("no Compose validator on this CI machine; .ci/run installs docker-compose")
        pytest.skip("no Compose validator installed (apt-get install docker-compose)")

    env = os.environ | {"HOST_PROJECT_DIR": str(PROJECT)}  # as `make up` sets it
    result = subprocess.run([*validator, "-f", str(COMPOSE_FILE), "config", "-q"], capture_output=True, text=True, env=env)

    assert result.returncode == 0, result.stderr


def test_lambda_containers_see_the_project_at_its_host_path_for_hot_reload():
    environment = rendered()["environment"]
    assert environment["HOST_PROJECT_DIR"].startswith("${HOST_PROJECT_DIR:?")
    assert environment["LAMBDA_DOCKER_FLAGS"] == "-v ${HOST_PROJECT_DIR}:${HOST_PROJECT_DIR}:ro"


def test_image_is_pinned_to_the_last_release_that_runs_without_an_account():
    assert rendered()["image"] == "${LOCALSTACK_IMAGE:-localstack/localstack:4.14.0}"


def test_embedded_mode_pins_the_same_localstack_release():
    pins = (PROJECT / "requirements" / "localstack.txt").read_text().splitlines()
    assert "localstack-core==4.14.0" in pins


def test_lambda_containers_join_the_compose_network():
    service = rendered()
    network = service["environment"]["LAMBDA_DOCKER_NETWORK"]
    assert network in service["networks"]
    assert yaml.safe_load(COMPOSE_FILE.read_text())["networks"][network]["name"] == network


def test_docker_socket_and_init_hooks_are_mounted():
    volumes = rendered()["volumes"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in volumes
    assert "./init:/etc/localstack/init" in volumes


def test_healthcheck_requires_completed_init_hooks():
    check = " ".join(rendered()["healthcheck"]["test"])
    assert "/_localstack/init/ready" in check
    assert "completed" in check and "ERROR" in check


def test_both_modes_read_the_same_localstack_settings():
    assert rendered()["env_file"] == ["config/localstack.env"]
