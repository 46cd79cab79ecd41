"""The scripted Docker-mode path, run here without Docker: a stand-in `docker` on PATH records every
command that `make up` / `make down` (scripts/localenv.sh) run, and answers like an engine with
Compose v2 (or without it, or offline). Nothing is started: a stand-in LocalStack answers the ready
hooks' state on LOCALSTACK_PORT, which `make up` polls after `docker compose up -d`."""

import json
import os
import shlex
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
RUNTIME_IMAGE = "public.ecr.aws/lambda/python:3.12"
PRE_PULL = f"pull --platform linux/amd64 {RUNTIME_IMAGE}"

STAND_IN = r"""#!/usr/bin/env bash
# Records each call; answers from FAKE_* variables. The container runs while $FAKE_DOCKER_LOG.running
# holds its id: `compose up` starts one (keeping a running one), `compose stop` and `down` end it.
echo "$*" >> "$FAKE_DOCKER_LOG"
running="$FAKE_DOCKER_LOG.running"
case "$*" in
  info*) [ "$FAKE_NO_ENGINE" != 1 ] || exit 1 ;;
  "compose version"*)
    [ -n "$FAKE_COMPOSE_VERSION" ] || { echo "docker: unknown command: docker compose" >&2; exit 1; }
    echo "$FAKE_COMPOSE_VERSION" ;;
  "compose ps"*) [ "$FAKE_NOT_RUNNING" = 1 ] || [ ! -f "$running" ] || cat "$running" ;;
  "compose logs"*) [ -z "$FAKE_LOG" ] || cat "$FAKE_LOG" ;;
  "compose stop"*|"compose down"*) rm -f "$running" ;;
  # FAKE_IMAGE_PLATFORMS: the platforms present, the host's first (a multi-platform store answers a
  # plain inspect with it); FAKE_OLD_CLI: a CLI without `image inspect --platform`.
  "image inspect --platform"*)
    [ "$FAKE_OLD_CLI" != 1 ] || { echo "unknown flag: --platform" >&2; exit 125; }
    for platform in $FAKE_IMAGE_PLATFORMS; do [ "$platform" != "$4" ] || { echo "$platform"; exit 0; }; done
    echo "Error response from daemon: image does not provide the specified platform ($4)" >&2; exit 1 ;;
  "image inspect"*) [ -n "$FAKE_IMAGE_PLATFORMS" ] || exit 1; echo "${FAKE_IMAGE_PLATFORMS%% *}" ;;
  pull*) [ "$FAKE_OFFLINE" != 1 ] || { echo "dial tcp: lookup public.ecr.aws: no such host" >&2; exit 1; } ;;
  "compose up"*)
    printf '%s\n' "HOST_PROJECT_DIR=$HOST_PROJECT_DIR" "SHOP_LAMBDA_DOCKER_FLAGS=$SHOP_LAMBDA_DOCKER_FLAGS" \
      "AWS_DEFAULT_REGION=$AWS_DEFAULT_REGION" > "$FAKE_DOCKER_LOG.env"
    [ -f "$running" ] || echo "c$RANDOM$RANDOM" > "$running" ;;
esac
exit 0
"""

HOOKS_DONE = {"completed": True, "scripts": [{"stage": "READY", "name": "10_provision.py", "state": "SUCCESSFUL"}]}
HOOK_FAILED = {
    "completed": False,
    "scripts": [
        {"stage": "READY", "name": "05_runtime_images_offline.py", "state": "SUCCESSFUL"},
        {"stage": "READY", "name": "10_provision.py", "state": "ERROR"},
    ],
}
HOOK_RUNNING = {"completed": False, "scripts": [{"stage": "READY", "name": "10_provision.py", "state": "RUNNING"}]}


@pytest.fixture
def localstack():
    """A stand-in for the container's port: answers /_localstack/init/ready with `.status`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(server.status).encode()
            self.send_response(200 if self.path == "/_localstack/init/ready" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.status = HOOKS_DONE
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def docker(tmp_path, localstack):
    """Runs a command with the stand-in docker first on PATH; returns (result, recorded commands, env at compose up)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(STAND_IN)
    (bin_dir / "docker").chmod(0o755)
    log = tmp_path / "docker.log"

    def run(*command: str, cwd: Path = PROJECT, running: bool | None = None, **fake: str):
        """running=True/False: the container runs, or not, before the command; None: as the last command left it."""
        log.write_text("")
        if running is not None:
            state = Path(f"{log}.running")
            if running:
                state.write_text("c0123456789\n")
            else:
                state.unlink(missing_ok=True)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("LOCALSTACK_MODE", "AWS_DEFAULT_REGION", "AWS_REGION", "LINES", "DOCKER_READY_TIMEOUT")
        }
        env = {k: v for k, v in env.items() if not k.startswith("FAKE_")}
        env |= {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "FAKE_DOCKER_LOG": str(log),
            "FAKE_COMPOSE_VERSION": "2.29.7",
            "LOCALSTACK_PORT": str(localstack.server_address[1]),
        }
        env |= fake
        result = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
        env_file = Path(f"{log}.env")
        at_up = dict(line.split("=", 1) for line in env_file.read_text().splitlines()) if env_file.exists() else {}
        env_file.unlink(missing_ok=True)
        return result, log.read_text().splitlines(), at_up

    return run


def test_make_up_checks_compose_v2_pulls_the_runtime_image_then_starts_compose(docker):
    result, commands, _ = docker("make", "-s", "up")

    assert result.returncode == 0, result.stderr
    assert "init hooks completed" in result.stdout
    assert "compose version --short" in commands
    assert PRE_PULL in commands
    assert "compose up -d" in commands
    assert commands.index("compose version --short") < commands.index(PRE_PULL) < commands.index("compose up -d")


def test_make_down_brings_compose_down(docker):
    result, commands, _ = docker("make", "-s", "down")

    assert result.returncode == 0, result.stderr
    assert "compose down --remove-orphans" in commands


def test_offline_with_the_runtime_image_present_make_up_goes_on(docker):
    result, commands, _ = docker("scripts/localenv.sh", "up", FAKE_OFFLINE="1", FAKE_IMAGE_PLATFORMS="linux/amd64")

    assert result.returncode == 0, result.stderr
    assert f"pull --quiet --platform linux/amd64 {RUNTIME_IMAGE}" in commands
    assert "using the local copy" in result.stdout
    assert "compose up -d" in commands


def test_offline_without_the_runtime_image_make_up_stops_naming_it(docker):
    result, commands, _ = docker("scripts/localenv.sh", "up", FAKE_OFFLINE="1")

    assert result.returncode == 1
    # (the first image it could not pull: the shop's functions need python:3.12 and nodejs:20)
    assert any(image in result.stderr for image in (RUNTIME_IMAGE, "public.ecr.aws/lambda/nodejs:20")), result.stderr
    assert "docker pull" in result.stderr
    assert not any(c.startswith("compose up") for c in commands)


def test_runtime_image_for_another_platform_is_pulled_for_the_functions_one(docker):
    result, commands, _ = docker("scripts/localenv.sh", "up", FAKE_IMAGE_PLATFORMS="linux/arm64")

    assert result.returncode == 0, result.stderr
    assert PRE_PULL in commands


@pytest.mark.parametrize("version", ["2.29.7", "v2.40.3", "5.0.0"])
def test_compose_v2_or_later_selects_docker_mode(docker, version):
    result, commands, _ = docker("scripts/localenv.sh", "up", FAKE_COMPOSE_VERSION=version)

    assert result.returncode == 0, result.stderr
    assert "compose up -d" in commands


@pytest.mark.parametrize("version", ["", "1.29.2"])
def test_forced_docker_mode_without_compose_v2_says_so(docker, version):
    result, commands, _ = docker("scripts/localenv.sh", "up", LOCALSTACK_MODE="docker", FAKE_COMPOSE_VERSION=version)

    assert result.returncode == 2
    assert "does not report Compose v2" in result.stderr
    assert not any(c.startswith(("compose up", "pull")) for c in commands)


def test_auto_mode_without_compose_v2_says_so_and_uses_embedded_mode(docker, tmp_path):
    # A port in use makes the embedded start stop at once, after the mode was chosen.
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result, commands, _ = docker(
            "scripts/localenv.sh",
            "up",
            FAKE_COMPOSE_VERSION="",
            LOCALSTACK_PORT=port,
            EMBEDDED_STATE_DIR=str(tmp_path / "state"),
        )

    assert "does not report Compose v2 (install the Compose plugin" in result.stdout
    assert "embedded mode" in result.stdout
    assert f"port {port} is already in use" in result.stderr
    assert not any(c.startswith(("compose up", "pull")) for c in commands)


def test_compose_gets_the_resolved_project_path_through_a_symlinked_checkout(docker, tmp_path):
    link = tmp_path / "linked-checkout"
    link.symlink_to(PROJECT)

    result, _, at_up = docker(str(link / "scripts" / "localenv.sh"), "up", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert at_up["HOST_PROJECT_DIR"] == str(PROJECT)
    assert shlex.split(at_up["SHOP_LAMBDA_DOCKER_FLAGS"])[1] == f"{PROJECT}:{PROJECT}"


def test_compose_gets_the_region_the_hook_would_use_in_embedded_mode(docker):
    _, _, at_up = docker("scripts/localenv.sh", "up", AWS_REGION="eu-west-1")
    _, _, default = docker("scripts/localenv.sh", "up")

    assert at_up["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert default["AWS_DEFAULT_REGION"] == "us-east-1"


@pytest.mark.parametrize(
    ("fake", "why"),
    [
        ({"FAKE_NO_ENGINE": "1"}, "no Docker engine answers"),
        ({"FAKE_COMPOSE_VERSION": "1.29.2"}, "does not report Compose v2"),
    ],
)
def test_make_test_docker_skips_saying_why_where_docker_mode_cannot_run(docker, fake, why):
    result, commands, _ = docker("make", "-s", "test-docker", **fake)

    assert result.returncode == 0, result.stderr
    assert "make test-docker skipped: " in result.stdout and why in result.stdout
    assert not any(c.startswith(("compose up", "pull")) for c in commands)


def test_a_failed_ready_hook_fails_make_up_at_once_naming_it(docker, localstack):
    localstack.status = HOOK_FAILED
    started = time.monotonic()

    # A deadline the test's own timeout (240 s) would hit first: make up must not wait for it.
    result, commands, _ = docker("make", "-s", "up", DOCKER_READY_TIMEOUT="600")

    assert result.returncode != 0
    failed_line = result.stderr.split("init hooks failed: ")[1].splitlines()[0]
    assert failed_line == "ready.d/10_provision.py (ERROR)"
    assert "compose logs --tail 80 localstack" in commands
    assert time.monotonic() - started < 60


def test_hooks_that_never_complete_fail_make_up_after_docker_ready_timeout(docker, localstack):
    localstack.status = HOOK_RUNNING

    result, commands, _ = docker("scripts/localenv.sh", "up", DOCKER_READY_TIMEOUT="2")

    assert result.returncode == 1
    assert "not completed after 2 s (DOCKER_READY_TIMEOUT)" in result.stderr
    assert "compose logs --tail 80 localstack" in commands


def test_a_container_that_stopped_fails_make_up_without_waiting_for_the_deadline(docker):
    # Nothing answers on this port, as when the container exited.
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = str(unused.getsockname()[1])
    started = time.monotonic()

    result, _, _ = docker(
        "scripts/localenv.sh", "up", LOCALSTACK_PORT=port, FAKE_NOT_RUNNING="1", DOCKER_READY_TIMEOUT="600"
    )

    assert result.returncode == 1
    assert "the localstack container is not running" in result.stderr
    assert time.monotonic() - started < 60


# -- status and a failed up tell the truth --------------------------------------------------------

# What LocalStack 4.14.0 logs when a hook raises (localstack/runtime/init.py), as `docker compose logs` shows it.
LOGGED_HOOK_ERROR = (
    "2026-12-06T01:00:00.000  INFO --- [  MainThread] localstack.runtime.init    : running ready hooks\n"
    "2026-12-06T01:00:01.000 ERROR --- [  MainThread] localstack.runtime.init    : Error while running script "
    "Script(path='/etc/localstack/init/ready.d/10_provision.py', stage=READY, state=ERROR): "
    "table definition is wrong\n"
)


def test_status_fails_naming_the_hook_and_its_error_when_a_ready_hook_failed(docker, localstack, tmp_path):
    localstack.status = HOOK_FAILED
    log = tmp_path / "localstack.log"
    log.write_text(LOGGED_HOOK_ERROR)

    result, _, _ = docker("scripts/localenv.sh", "status", running=True, FAKE_LOG=str(log))

    assert result.returncode == 5, result.stdout + result.stderr
    assert "init hook failed: ready.d/10_provision.py (ERROR): table definition is wrong" in result.stderr
    assert "05_runtime_images_offline.py: SUCCESSFUL" in result.stdout


def test_status_is_not_ready_while_a_hook_runs_or_before_the_hooks_ran(docker, localstack):
    localstack.status = HOOK_RUNNING
    running, _, _ = docker("scripts/localenv.sh", "status", running=True)
    localstack.status = {
        "completed": False,
        "scripts": [{"stage": "READY", "name": "10_provision.py", "state": "UNKNOWN"}],
    }
    pending, _, _ = docker("scripts/localenv.sh", "status", running=True)

    assert running.returncode == 4
    assert "init hook running: ready.d/10_provision.py" in running.stderr
    assert pending.returncode == 4


def test_status_is_ready_only_when_every_hook_succeeded_and_says_not_running_otherwise(docker):
    ready, _, _ = docker("scripts/localenv.sh", "status", running=True)
    stopped, _, _ = docker("scripts/localenv.sh", "status", running=False)

    assert ready.returncode == 0, ready.stderr
    assert "10_provision.py: SUCCESSFUL" in ready.stdout
    assert stopped.returncode == 3
    assert "not running" in stopped.stdout


def test_a_failed_make_up_stops_the_container_it_started(docker, localstack):
    localstack.status = HOOK_FAILED

    up, commands, _ = docker("make", "-s", "up", running=False)
    status, _, _ = docker("scripts/localenv.sh", "status")

    assert up.returncode != 0
    assert "compose stop localstack" in commands
    assert commands.index("compose up -d") < commands.index("compose stop localstack")
    assert status.returncode == 3, "nothing is left running"


def test_a_failed_make_up_leaves_running_the_container_that_ran_before_it(docker, localstack):
    localstack.status = HOOK_FAILED

    up, commands, _ = docker("make", "-s", "up", running=True)

    assert up.returncode != 0
    assert not any(c.startswith(("compose stop", "compose down")) for c in commands)
    assert "left running; 'make down' stops it" in up.stderr


# -- runtime images, per platform -------------------------------------------------------------------


def test_offline_a_runtime_image_held_for_several_platforms_counts_for_the_functions_one(docker):
    # A multi-platform image store on Apple silicon: arm64 (the host's) and amd64 (the functions') both present.
    result, commands, _ = docker(
        "scripts/localenv.sh", "up", FAKE_OFFLINE="1", FAKE_IMAGE_PLATFORMS="linux/arm64 linux/amd64"
    )

    assert result.returncode == 0, result.stderr
    assert (
        f"image inspect --platform linux/amd64 --format {{{{.Os}}}}/{{{{.Architecture}}}} {RUNTIME_IMAGE}" in commands
    )
    assert "using the local copy" in result.stdout
    assert "compose up -d" in commands


def test_a_cli_without_inspect_platform_falls_back_to_a_plain_inspect(docker):
    result, commands, _ = docker(
        "scripts/localenv.sh", "up", FAKE_OFFLINE="1", FAKE_OLD_CLI="1", FAKE_IMAGE_PLATFORMS="linux/amd64"
    )

    assert result.returncode == 0, result.stderr
    assert f"image inspect --format {{{{.Os}}}}/{{{{.Architecture}}}} {RUNTIME_IMAGE}" in commands
    assert "compose up -d" in commands


@pytest.fixture
def plus_checkout(tmp_path):
    """A copy of the project at a path LocalStack's LAMBDA_DOCKER_FLAGS parser cannot mount ('+'),
    sharing this checkout's .venv (its requirements are the same, so scripts/venv.sh leaves it)."""
    copy = tmp_path / "shop+copy"
    shutil.copytree(
        PROJECT,
        copy,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".state", "build", "__pycache__", ".pytest_cache", ".hypothesis"
        ),
    )
    (copy / ".venv").symlink_to(PROJECT / ".venv")
    return copy


def test_at_a_path_docker_mode_cannot_mount_up_refuses_but_down_status_and_logs_work(docker, plus_checkout):
    up, up_commands, _ = docker("make", "-s", "up", cwd=plus_checkout)
    down, down_commands, _ = docker("make", "-s", "down", cwd=plus_checkout)
    status, _, _ = docker("scripts/localenv.sh", "status", cwd=plus_checkout, running=True)
    logs, logs_commands, _ = docker("scripts/localenv.sh", "logs", cwd=plus_checkout)

    assert up.returncode != 0
    assert f"Docker mode cannot use the project at '{plus_checkout}'" in up.stderr
    assert not any(c.startswith(("compose up", "pull")) for c in up_commands)
    assert down.returncode == 0, down.stderr
    assert "compose down --remove-orphans" in down_commands
    assert status.returncode == 0, status.stderr
    assert logs.returncode == 0, logs.stderr
    assert "compose logs --tail 200 localstack" in logs_commands


def _path_of(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only the named tools, as links to this machine's."""
    bin_dir = tmp_path / "only"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return str(bin_dir)


def test_bounded_runs_the_command_where_there_is_no_timeout_tool(tmp_path):
    """Stock macOS has no `timeout`: the command must still run (unbounded), not fail."""
    path = _path_of(tmp_path, "touch")
    script = f"source {PROJECT / 'scripts' / 'bounded.sh'}; bounded 5 touch ran; echo exit=$?"

    result = subprocess.run(
        [shutil.which("bash"), "-c", script],
        cwd=tmp_path,
        env={"PATH": path},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.stdout.strip() == "exit=0", result.stderr
    assert (tmp_path / "ran").exists()


def test_bounded_uses_gtimeout_where_only_that_exists(tmp_path):
    path = _path_of(tmp_path, "sleep")
    (Path(path) / "gtimeout").symlink_to(shutil.which("timeout"))
    script = f"source {PROJECT / 'scripts' / 'bounded.sh'}; bounded 0.2 sleep 30; echo exit=$?"
    started = time.monotonic()

    result = subprocess.run(
        [shutil.which("bash"), "-c", script], env={"PATH": path}, capture_output=True, text=True, timeout=30
    )

    assert result.stdout.strip() == "exit=124", result.stderr
    assert time.monotonic() - started < 10
