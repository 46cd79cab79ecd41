"""What Docker mode needs beyond docker-compose.yml, read from LocalStack 4.14.0's own code so it matches
what the Docker Lambda executor does (services/lambda_/invocation/docker_runtime_executor.py):

- the flags every Lambda container gets (LAMBDA_DOCKER_FLAGS), checked with LocalStack's own flag
  parser, so a project path the flags cannot carry is refused before anything starts;
- the runtime images the functions run on, which `make up` pulls while online;
- marking those images as pulled when they are already present, from the init hook, so provisioning
  works offline.

It also waits, on the host, for the ready hooks (`make up`): `docker compose up --wait` would only
report a failed hook once the healthcheck's start period and retries ran out (minutes); and reports
their state (`make status`) as embedded mode does (embedded_localstack/lifecycle/hook_state.py).

Run on the host by scripts/localenv.sh: python -m tools.docker_mode lambda-docker-flags|runtime-images|wait-ready|status
"""

import json
import logging
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request

from client.waiting import eventually
from embedded_localstack import hook_state
from infra.node_archives import BUNDLES_DIR
from infra.paths import LAMBDA_SOURCES, PROJECT_DIR
from infra.stack import FUNCTIONS

LOG = logging.getLogger(__name__)

# Read by the runtime's init binary (lambda-runtime-init, cmd/localstack/main.go): a comma-separated list.
HOT_RELOADING_PATHS = "LOCALSTACK_HOT_RELOADING_PATHS"
# Provisioning sets no Architectures, so every function gets AWS's default.
FUNCTION_ARCHITECTURE = "x86_64"
# Where the hot-reload folders' symlinks lead (infra/archives.py, infra/node_archives.py): the Python
# sources, and the Node.js bundles that `python -m infra.archives` rebuilds. Relative to the project.
CODE_FOLDERS = tuple(str(folder.relative_to(PROJECT_DIR)) for folder in (LAMBDA_SOURCES, BUNDLES_DIR))


class UnsupportedProjectPath(ValueError):
    pass


def lambda_docker_flags(project_dir: str) -> str:
    """Flags for every Lambda container, for a project at project_dir (the host's resolved path).

    - `-v P:P`: hot-reload folders (build/hot-reload/<function>, mounted at /var/task by LocalStack) are
      absolute symlinks into P/lambdas, so the project must sit at the same path in the container.
      No `:ro`: LocalStack's parser drops volume options (it logs "currently ignored").
    - The runtime's file watcher: LocalStack points it at /var/task, which it walks with
      filepath.WalkDir, which does not follow symlinks, so it never saw an edit under lambdas/ or a
      rebuilt Node.js bundle under build/node/ (CODE_FOLDERS). Flags are applied after LocalStack's
      own environment, so this value replaces "/var/task". /var/task stays in the list so relinking
      the folder still restarts the runtime.
    """
    from localstack.utils.container_utils.container_client import Util

    watched = ",".join(["/var/task", *(f"{project_dir}/{folder}" for folder in CODE_FOLDERS)])
    flags = f"-v {shlex.quote(f'{project_dir}:{project_dir}')} -e {shlex.quote(f'{HOT_RELOADING_PATHS}={watched}')}"
    problem = None
    if not project_dir.startswith("/"):
        problem = "it is not absolute"
    elif "," in project_dir:
        problem = f"{HOT_RELOADING_PATHS} is a comma-separated list"
    else:
        # The parser matches volumes with a regular expression that takes letters, digits, '_', '-',
        # '.', '/' and white space only, and silently keeps a shorter match or skips the volume.
        # (Quietly: the refusal below says what its "Unable to parse volume mount" warning would.)
        parser_log = logging.getLogger(Util.__module__)
        level = parser_log.level
        parser_log.setLevel(logging.ERROR)
        try:
            parsed = Util.parse_additional_flags(flags)
        finally:
            parser_log.setLevel(level)
        if parsed.volumes != [(project_dir, project_dir)]:
            problem = "LocalStack's LAMBDA_DOCKER_FLAGS parser cannot mount it (it takes letters, digits, '_', '-', '.', '/' and spaces)"
        elif parsed.env_vars != {HOT_RELOADING_PATHS: watched}:
            problem = f"LocalStack's LAMBDA_DOCKER_FLAGS parser does not pass {HOT_RELOADING_PATHS} through"
    if problem:
        raise UnsupportedProjectPath(
            f"Docker mode cannot use the project at {project_dir!r}: {problem}. Move the checkout to a path "
            "made of letters, digits, '_', '-', '.', '/' and spaces (a symlink does not help: the resolved "
            "path is what gets mounted), or use embedded mode (LOCALSTACK_MODE=embedded)."
        )
    return flags


def runtime_images() -> list[tuple[str, str]]:
    """(image, platform) pairs, as the Docker executor pulls them when a function is created."""
    from localstack.services.lambda_.invocation.docker_runtime_executor import docker_platform, resolver

    runtimes = sorted({function.runtime for function in FUNCTIONS})  # python3.12 and nodejs20.x
    return [(resolver.get_image_for_runtime(runtime), docker_platform(FUNCTION_ARCHITECTURE)) for runtime in runtimes]


def mark_present_images_as_pulled() -> list[str]:
    """Inside LocalStack (Docker mode): tell the Docker executor that runtime images already present
    locally are pulled. Its "already pulled" set (PULLED_IMAGES) is in memory and empty at each start,
    so it runs `docker pull` for the first function of each runtime, which fails offline even when the
    image is cached: the function goes to Failed. Online, `make up` has just pulled them.
    Internals of LocalStack 4.14.0, pinned: tests/unit/test_docker_mode.py fails if they change."""
    from localstack import config

    if config.LAMBDA_RUNTIME_EXECUTOR not in ("", "docker"):
        return []  # embedded mode: no containers, nothing is pulled (nor the Docker executor imported, 40 ms)
    from localstack.services.lambda_.invocation import docker_runtime_executor as executor
    from localstack.utils.container_utils.container_client import ContainerException

    marked = []
    for image, platform in runtime_images():
        try:
            details = inspect_image_for_platform(executor.CONTAINER_CLIENT, image, platform)
        except ContainerException as error:  # NoSuchImage included: the executor will pull it
            LOG.info("runtime image %s not present locally (%s); LocalStack will pull it", image, error)
            continue
        present = f"{details.get('Os')}/{details.get('Architecture')}"
        if platform is not None and present != str(platform):
            LOG.info(
                "runtime image %s is present for %s, functions need %s; LocalStack will pull it",
                image,
                present,
                platform,
            )
            continue
        executor.PULLED_IMAGES.add((image, platform))
        marked.append(image)
    return marked


def inspect_image_for_platform(client, image: str, platform) -> dict:
    """The image's details for that platform. A multi-platform image store (containerd: Docker Desktop's
    default) keeps several platforms under one name, and LocalStack's inspect_image describes the host's
    (arm64 on Apple silicon) even when the functions' linux/amd64 one is there too. Engine API 1.49+
    selects one with the `platform` parameter; older engines ignore it and describe the one they hold.
    Raises ContainerException (NoSuchImage when absent), as LocalStack's inspect_image does."""
    from docker.errors import APIError, NotFound
    from localstack.utils.container_utils.container_client import ContainerException, NoSuchImage
    from localstack.utils.container_utils.docker_sdk_client import SdkDockerClient

    if platform is None or not isinstance(client, SdkDockerClient):
        return client.inspect_image(image, pull=False)
    os_name, _, architecture = str(platform).partition("/")
    api = client.client().api
    try:
        # docker-py's own request helpers; its public inspect_image takes no platform.
        return api._result(
            api._get(
                api._url("/images/{0}/json", image),
                params={"platform": json.dumps({"os": os_name, "architecture": architecture})},
            ),
            True,
        )
    except NotFound as error:
        raise NoSuchImage(image) from error
    except APIError as error:
        raise ContainerException(str(error)) from error


def init_status(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/_localstack/init/ready", timeout=2) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def container_running() -> bool | None:
    """Whether Compose reports the localstack service running; None when Compose does not answer."""
    try:
        result = subprocess.run(
            ["docker", "compose", "ps", "--status", "running", "--quiet", "localstack"],
            capture_output=True,
            text=True,
            timeout=20,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return bool(result.stdout.strip()) if result.returncode == 0 else None


class StartFailed(RuntimeError):
    pass


def wait_ready(url: str, timeout: float, poll: float = 0.5, container_check: float = 5) -> int:
    """After `docker compose up -d`: 0 once every ready hook completed; 1 as soon as one is in ERROR
    (naming it, as embedded mode does), the container stopped, or timeout seconds passed."""
    started = time.monotonic()
    seen = {"status": None, "next_check": started}

    def completed():
        status = seen["status"] = init_status(url)
        if status:
            # The same test as embedded mode's, so both modes name a failed hook alike.
            failed = hook_state.failed_hooks(status)
            if failed:
                raise StartFailed(f"init hooks failed: {', '.join(failed)}")
            if status.get("completed"):
                return status
        if time.monotonic() >= seen["next_check"]:
            # A container that exited (bad image, crash) never answers: say so now, not at the deadline.
            if container_running() is False:
                raise StartFailed("the localstack container is not running")
            seen["next_check"] = time.monotonic() + container_check
        return None

    try:
        eventually(completed, timeout=timeout, interval=poll, what="the init hooks", fatal=(StartFailed,))
    except StartFailed as failure:
        print(failure, file=sys.stderr)
        return 1
    except TimeoutError:
        print(
            f"init hooks not completed after {timeout:.0f} s (DOCKER_READY_TIMEOUT); last status: {seen['status']}",
            file=sys.stderr,
        )
        return 1
    print(f"==> init hooks completed in {time.monotonic() - started:.1f} s: {url}")
    return 0


def compose_logs() -> str:
    """The localstack service's whole log, without Compose's per-line prefix ("" when Compose does not answer)."""
    try:
        result = subprocess.run(
            ["docker", "compose", "logs", "--no-color", "--no-log-prefix", "localstack"],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout


def status(url: str) -> int:
    """`make status` once Compose reports the container running: 0 when every ready hook succeeded,
    4 while one is pending or running, 5 when one failed, naming it and its error (from the log)."""
    init = init_status(url)
    errors = hook_state.logged_errors(compose_logs()) if hook_state.failed_hooks(init or {}) else {}
    return hook_state.show(
        f"LocalStack (Docker): {{state}} on {url}",
        init,
        errors,
        "fix the hook, then `make down && make up` (`make logs` shows LocalStack's log)",
    )


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "lambda-docker-flags" and len(argv) == 3:
        try:
            print(lambda_docker_flags(argv[2]))
        except UnsupportedProjectPath as error:
            print(error, file=sys.stderr)
            return 1
        return 0
    if command == "runtime-images":
        for image, platform in runtime_images():
            print(platform or "", image)
        return 0
    if command == "wait-ready" and len(argv) == 4:
        return wait_ready(argv[2], float(argv[3]))
    if command == "status" and len(argv) == 3:
        return status(argv[2])
    print(
        "usage: python -m tools.docker_mode lambda-docker-flags <project dir> | runtime-images"
        " | wait-ready <url> <seconds> | status <url>",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
