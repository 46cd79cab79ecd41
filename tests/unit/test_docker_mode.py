"""Docker mode's flags and offline image handling, checked against LocalStack 4.14.0's own code (the
installed package): its LAMBDA_DOCKER_FLAGS parser and its Docker executor's pull step. There is no
Docker engine here, so the executor's Docker client is replaced by a stand-in that answers like an
offline engine: it knows which images are present, and every pull fails."""

import json
import socketserver
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
from localstack.services.lambda_.invocation import docker_runtime_executor as executor
from localstack.utils.container_utils.container_client import ContainerException, NoSuchImage, Util
from localstack.utils.container_utils.docker_sdk_client import SdkDockerClient

from infra import node_archives
from infra.paths import LAMBDA_SOURCES, PROJECT_DIR
from infra.stack import FUNCTIONS
from tools import docker_mode
from tools.docker_mode import HOT_RELOADING_PATHS, UnsupportedProjectPath, lambda_docker_flags

RUNTIME_IMAGE = ("public.ecr.aws/lambda/python:3.12", "linux/amd64")


@pytest.mark.parametrize("project", ["/home/ann/shop", "/Users/Ann Lee/src/shop", "/srv/café_1/shop-2.x"])
def test_lambda_containers_get_the_project_at_its_host_path_and_watch_lambdas(project):
    parsed = Util.parse_additional_flags(lambda_docker_flags(project))

    assert parsed.volumes == [(project, project)]
    assert parsed.env_vars == {HOT_RELOADING_PATHS: f"/var/task,{project}/lambdas,{project}/build/node"}


def test_watcher_setting_replaces_the_one_localstack_gives_hot_reload_containers():
    # Given the environment LocalStack's executor builds for a hot-reload function
    env_vars = {HOT_RELOADING_PATHS: "/var/task", "AWS_LAMBDA_FUNCTION_NAME": "product"}

    # When the flags are applied to it, as create_container does
    Util.parse_additional_flags(lambda_docker_flags("/home/ann/shop"), env_vars=env_vars)

    # Then the watcher also walks the real lambdas/ folder, not only the symlinks in /var/task
    assert env_vars[HOT_RELOADING_PATHS] == "/var/task,/home/ann/shop/lambdas,/home/ann/shop/build/node"


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda function: function.name)
def test_the_runtime_watches_where_each_hot_reload_function_code_really_is(function):
    # Where its hot-reload folder's links lead: the Python sources (infra/archives.py), or the bundle
    # that `python -m infra.archives` rebuilds from lambdas_node/ (infra/node_archives.py).
    node = function.runtime.startswith("nodejs")
    code = node_archives.BUNDLES_DIR / function.name if node else LAMBDA_SOURCES / function.package
    flags = Util.parse_additional_flags(lambda_docker_flags(str(PROJECT_DIR)))

    watched = [Path(path) for path in flags.env_vars[HOT_RELOADING_PATHS].split(",")]

    assert any(code.is_relative_to(folder) for folder in watched), f"{code} is not under {watched}"


def test_flags_carry_no_volume_option_that_localstack_ignores():
    assert ":ro" not in lambda_docker_flags("/home/ann/shop")


@pytest.mark.parametrize(
    "project",
    [
        "/tmp/c++/shop",
        "/Volumes/a:b/shop",
        "/home/ann/shop,old",
        "relative/shop",
        "/home/ann/(copy)",
        "/home/$USER/shop",
        "/home/ann's/shop",
    ],
)
def test_project_paths_the_flags_cannot_carry_are_refused(project):
    with pytest.raises(UnsupportedProjectPath, match="LOCALSTACK_MODE=embedded"):
        lambda_docker_flags(project)


def test_cli_refuses_with_a_message_and_a_failing_exit_code(capsys):
    assert docker_mode.main(["docker_mode", "lambda-docker-flags", "/tmp/c++/shop"]) == 1
    assert "cannot use the project at '/tmp/c++/shop'" in capsys.readouterr().err


def test_runtime_images_are_the_ones_the_docker_executor_pulls_for_the_functions():
    # The shop's Python functions and its Node.js one (checkout-audit)
    assert docker_mode.runtime_images() == [("public.ecr.aws/lambda/nodejs:20", "linux/amd64"), RUNTIME_IMAGE]


class OfflineEngine:
    """Answers inspect_image for the images it holds; every pull fails, as offline."""

    def __init__(self, present: dict[str, str]):
        self.present = present  # image -> "os/architecture"
        self.pulls = []

    def inspect_image(self, image, pull=True):
        assert pull is False, "inspecting must not pull"
        if image not in self.present:
            raise NoSuchImage(image)
        os_name, architecture = self.present[image].split("/")
        return {"Os": os_name, "Architecture": architecture}

    def pull_image(self, image, platform=None, **_):
        self.pulls.append((image, platform))
        raise ContainerException("Get https://public.ecr.aws/v2/: dial tcp: lookup public.ecr.aws: no such host")


@pytest.fixture
def docker_executor(monkeypatch):
    """LocalStack's Docker executor as it is at start: nothing pulled yet, Docker runtime executor."""
    monkeypatch.setattr(executor, "PULLED_IMAGES", set())
    monkeypatch.setattr(executor.config, "LAMBDA_RUNTIME_EXECUTOR", "docker")

    def with_engine(engine: OfflineEngine) -> OfflineEngine:
        monkeypatch.setattr(executor, "CONTAINER_CLIENT", engine)
        return engine

    return with_engine


def test_offline_the_executor_fails_to_prepare_a_function_even_with_the_image_present(docker_executor):
    engine = docker_executor(OfflineEngine({RUNTIME_IMAGE[0]: "linux/amd64"}))

    with pytest.raises(ContainerException):
        executor._ensure_runtime_image_present(*RUNTIME_IMAGE)
    assert engine.pulls == [RUNTIME_IMAGE]


def test_present_runtime_image_is_marked_pulled_so_no_pull_happens_offline(docker_executor):
    engine = docker_executor(OfflineEngine({RUNTIME_IMAGE[0]: "linux/amd64"}))

    assert docker_mode.mark_present_images_as_pulled() == [RUNTIME_IMAGE[0]]
    executor._ensure_runtime_image_present(*RUNTIME_IMAGE)

    assert engine.pulls == []


def test_missing_runtime_image_is_left_for_localstack_to_pull(docker_executor):
    engine = docker_executor(OfflineEngine({}))

    assert docker_mode.mark_present_images_as_pulled() == []
    with pytest.raises(ContainerException):
        executor._ensure_runtime_image_present(*RUNTIME_IMAGE)
    assert engine.pulls == [RUNTIME_IMAGE]


def test_runtime_image_present_for_another_architecture_is_not_marked(docker_executor):
    docker_executor(OfflineEngine({RUNTIME_IMAGE[0]: "linux/arm64"}))

    assert docker_mode.mark_present_images_as_pulled() == []
    assert set() == executor.PULLED_IMAGES


def test_marking_is_a_no_op_in_embedded_mode(docker_executor, monkeypatch):
    engine = docker_executor(OfflineEngine({RUNTIME_IMAGE[0]: "linux/amd64"}))
    monkeypatch.setattr(executor.config, "LAMBDA_RUNTIME_EXECUTOR", "local-process")
    engine.inspect_image = None  # embedded mode must not even ask

    assert docker_mode.mark_present_images_as_pulled() == []
    assert set() == executor.PULLED_IMAGES


class MultiPlatformEngine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """A Docker Engine API (1.49) on a unix socket, with a multi-platform image store holding each image
    for the host's platform (linux/arm64, as on Apple silicon) and for linux/amd64. Like the engine,
    it describes the host's platform unless `platform` selects another."""

    daemon_threads = True
    HOST_PLATFORM: ClassVar[dict] = {"os": "linux", "architecture": "arm64"}
    PLATFORMS: ClassVar[list] = [HOST_PLATFORM, {"os": "linux", "architecture": "amd64"}]

    def __init__(self, path: str):
        engine = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                if url.path.endswith("/version"):
                    return self.answer(200, {"ApiVersion": "1.49", "Version": "28.1.0"})
                image = urllib.parse.unquote(url.path.split("/images/", 1)[1].removesuffix("/json"))
                engine.inspected.append(image)
                if engine.failing:
                    return self.answer(500, {"message": "engine trouble"})
                wanted = urllib.parse.parse_qs(url.query).get("platform")
                platform = json.loads(wanted[0]) if wanted else engine.HOST_PLATFORM
                if platform not in engine.PLATFORMS:
                    return self.answer(404, {"message": f"image {image} does not provide the specified platform"})
                return self.answer(
                    200, {"Id": "sha256:0", "Os": platform["os"], "Architecture": platform["architecture"]}
                )

            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def address_string(self):
                return "engine"

            def log_message(self, *args):
                pass

        self.inspected = []
        self.failing = False
        super().__init__(path, Handler)


@pytest.fixture
def multi_platform_engine(tmp_path, monkeypatch, docker_executor):
    socket_path = str(tmp_path / "docker.sock")
    engine = MultiPlatformEngine(socket_path)
    thread = threading.Thread(target=engine.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{socket_path}")
    monkeypatch.setattr(executor, "CONTAINER_CLIENT", SdkDockerClient())
    yield engine
    engine.shutdown()
    engine.server_close()


def test_a_runtime_image_held_for_several_platforms_is_marked_for_the_functions_one(multi_platform_engine):
    # LocalStack's own Docker client, against an engine whose plain inspect describes the host's arm64
    marked = docker_mode.mark_present_images_as_pulled()

    assert marked == [image for image, _ in docker_mode.runtime_images()]
    assert RUNTIME_IMAGE in executor.PULLED_IMAGES
    assert RUNTIME_IMAGE[0] in multi_platform_engine.inspected


def test_a_runtime_image_held_only_for_another_platform_is_left_for_localstack_to_pull(multi_platform_engine):
    multi_platform_engine.PLATFORMS = [MultiPlatformEngine.HOST_PLATFORM]

    assert docker_mode.mark_present_images_as_pulled() == []
    assert set() == executor.PULLED_IMAGES


def test_an_engine_error_leaves_the_runtime_images_for_localstack_to_pull(multi_platform_engine):
    multi_platform_engine.failing = True

    assert docker_mode.mark_present_images_as_pulled() == []
    assert set() == executor.PULLED_IMAGES
