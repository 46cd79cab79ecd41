"""docker-compose.yml is validated without a Docker engine, so a broken file fails CI even though
CI never starts the Docker mode."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from localstack.utils.container_utils.container_client import Util

from embedded_localstack.lifecycle import shell_settings
from embedded_localstack.lifecycle.instance import SHARED_SETTINGS, Instance, load_env_file
from tools.docker_mode import lambda_docker_flags, runtime_images

PROJECT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = PROJECT / "docker-compose.yml"
DOCKER_DOCS = PROJECT / "docs" / "docker-mode.md"


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


def from_the_shell(environment: dict) -> set[str]:
    """The keys Compose fills from the shell: bare ones (None), and `KEY: ${KEY...}`."""
    return {
        key
        for key, value in environment.items()
        if value is None or (isinstance(value, str) and (value == f"${{{key}}}" or value.startswith(f"${{{key}:")))
    }


def test_compose_passes_from_the_shell_every_setting_embedded_mode_passes_to_localstack():
    # Given a shell with every candidate setting set, and a credential that must never pass
    compose = rendered()["environment"]
    candidates = set(compose) | set(shell_settings.FROM_SHELL_EMBEDDED) | {"AWS_ACCESS_KEY_ID"}
    shell = {name: f"from-the-shell-{name}" for name in candidates}
    # (config/localstack.env's settings, which both modes read, are not the shell's to pass)
    shared = set(load_env_file(SHARED_SETTINGS))

    # When embedded mode builds LocalStack's environment from it
    environment = Instance(port=4566, state_dir=PROJECT / ".state", init_dir=PROJECT / "init").environment(shell)
    embedded = {name for name in candidates - shared if environment.get(name) == shell[name]}

    # Then Compose passes the same, but for what one mode alone needs, each named with its reason
    only_embedded = set(shell_settings.PROCESS) | set(shell_settings.EMBEDDED_ONLY)
    assert embedded - only_embedded == from_the_shell(compose) - set(shell_settings.DOCKER_ONLY)
    assert from_the_shell(compose) == set(shell_settings.BOTH_MODES) | set(shell_settings.DOCKER_ONLY)
    assert "AWS_ACCESS_KEY_ID" not in embedded | from_the_shell(compose)


def test_a_setting_the_shell_does_not_set_stays_unset_in_docker_mode_as_in_embedded_mode():
    # LocalStack reads an empty LAMBDA_KEEPALIVE_MS as int("") and stops: no default of "" may stand in.
    # The exceptions are the two that make up always sets, which Compose requires.
    compose = rendered()["environment"]
    valued = {name: compose[name] for name in shell_settings.BOTH_MODES if compose[name] is not None}

    assert sorted(valued) == ["AWS_DEFAULT_REGION", "HOST_PROJECT_DIR"]
    assert all(value.startswith(f"${{{name}:?") for name, value in valued.items())


def test_the_docker_mode_docs_name_exactly_the_images_it_pulls():
    pulled = {rendered()["image"].split(":-", 1)[1].rstrip("}")} | {image for image, _ in runtime_images()}
    documented = re.findall(r"^docker pull (?:--platform \S+ )?(\S+)", DOCKER_DOCS.read_text(), re.MULTILINE)

    assert sorted(documented) == sorted(pulled)
