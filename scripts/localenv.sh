#!/usr/bin/env bash
# up | down | status | logs for whichever mode applies: Docker Compose when a Docker engine answers
# and Compose v2 is installed, the embedded LocalStack otherwise. LOCALSTACK_MODE=docker|embedded forces one.
set -euo pipefail
cd "$(dirname "$0")/.."
command=${1:?usage: localenv.sh up|down|status|logs}
source scripts/bounded.sh

# `docker compose` (the plugin, with `ps --status`) is Compose v2; the v1 tool is `docker-compose`. Compose
# went from 2.x to 5.x, so any major version from 2 on will do.
compose_v2() {
  local version
  version=$(bounded 10 docker compose version --short 2>/dev/null) || return 1
  [[ $version =~ ^v?([0-9]+)\. ]] && [ "${BASH_REMATCH[1]}" -ge 2 ]
}
# Whether the image is here for that platform. A multi-platform image store (containerd: Docker Desktop's
# default) keeps several platforms under one name, and a plain inspect describes the host's (arm64 on
# Apple silicon) even when the one asked for is there too: ask for the platform (API 1.49+). An older
# CLI or engine refuses --platform; its store then holds one platform per name, which a plain inspect shows.
image_present() {
  local image=$1 platform=$2 answer
  if answer=$(docker image inspect --platform "$platform" --format '{{.Os}}/{{.Architecture}}' "$image" 2>&1); then
    [ "$answer" = "$platform" ]
  elif [[ $answer == *"unknown flag"* || $answer == *"API version"* ]]; then
    [ "$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$image" 2>/dev/null)" = "$platform" ]
  else
    return 1
  fi
}
mode=${LOCALSTACK_MODE:-auto}
if [ "$mode" = auto ] || [ "$mode" = docker ]; then
  if ! command -v docker >/dev/null || ! bounded 5 docker info >/dev/null 2>&1; then
    why="no Docker engine answers"
  elif ! compose_v2; then
    why="a Docker engine answers, but 'docker compose version' does not report Compose v2 (install the Compose plugin: docker-compose-plugin or docker-compose-v2)"
  else
    why=""
  fi
  if [ -z "$why" ]; then
    mode=docker
  elif [ "$mode" = docker ]; then
    echo "LOCALSTACK_MODE=docker, but $why" >&2
    exit 2
  else
    mode=embedded
    # (Without an engine, the embedded branch says so itself.)
    if [ "$command" = up ] && [[ $why != no* ]]; then echo "==> $why: embedded mode"; fi
  fi
fi

if [ "$command" = up ]; then
  # Both modes deploy the same archives, built here on the host.
  scripts/venv.sh
  .venv/bin/python -m tools.debug_ports check || exit 2  # LAMBDA_DEBUG names functions that exist
  if [ "$mode" = docker ] && [ -n "${LAMBDA_DEBUG:-}" ]; then
    echo "LAMBDA_DEBUG works in embedded mode only (docs/debugging.md, Debugging and coverage in Docker mode); run 'LOCALSTACK_MODE=embedded make debug FN=...'" >&2
    exit 2
  fi
  scripts/node-runtime.sh
  .venv/bin/python -m infra.archives
  # The tool chains of the apps the init hook deploys (APPS=<dir>[,<dir>]), installed on first use.
  if [ -n "${APPS:-}" ]; then .venv/bin/python -m embedded_localstack.apps prepare "$APPS" || exit 1; fi
fi
# Where the ready hook finds the project's Python code (docker-compose.yml mounts it at /opt/shop),
# and the project's path on this machine, for hot-reload functions: resolved, as the hot-reload
# symlinks are (infra/archives.py), so a checkout reached through a symlink works too.
project_dir=$(pwd -P)
export SHOP_PROJECT_DIR="$project_dir" HOST_PROJECT_DIR="$project_dir"

case "$mode" in
  docker)
    # docker-compose.yml requires these (${...:?}), for every command. The region is the one the
    # ready hook would use in embedded mode (infra/settings.py); the flags are checked against
    # LocalStack's own parser, which refuses a project path they cannot carry. Only `up` uses them:
    # the other commands get a placeholder, so `make down` still works where `up` refuses.
    [ -x .venv/bin/python ] || scripts/venv.sh
    AWS_DEFAULT_REGION=$(.venv/bin/python -c 'from infra.settings import REGION; print(REGION)')
    if [ "$command" = up ]; then
      SHOP_LAMBDA_DOCKER_FLAGS=$(.venv/bin/python -m tools.docker_mode lambda-docker-flags "$project_dir") || exit 1
    else
      SHOP_LAMBDA_DOCKER_FLAGS="(set by make up)"
    fi
    export AWS_DEFAULT_REGION SHOP_LAMBDA_DOCKER_FLAGS
    case "$command" in
      up)
        echo "==> Docker engine and Compose v2 found: Docker mode (image ${LOCALSTACK_IMAGE:-localstack/localstack:4.14.0})"
        start=$(date +%s)
        # LocalStack pulls the functions' runtime image when it creates them; pulling it here, while
        # online, lets later starts run offline (init/ready.d/05_runtime_images_offline.py).
        images=$(.venv/bin/python -m tools.docker_mode runtime-images)
        while read -r platform image; do
          if image_present "$image" "$platform"; then
            # Present: refresh it if the registry answers, within a bound, else go on offline.
            bounded 120 docker pull --quiet --platform "$platform" "$image" >/dev/null 2>&1 \
              || echo "    could not refresh $image (offline?): using the local copy"
          elif ! docker pull --platform "$platform" "$image"; then
            echo "could not pull the Lambda runtime image $image ($platform), and there is no local copy;" \
                 "connect to the network once, or 'docker pull --platform $platform $image'" >&2
            exit 1
          fi
        done <<< "$images"
        echo "==> runtime images ready in $(( $(date +%s) - start )) s"
        mkdir -p .state/docker
        before=$(docker compose ps --status running --quiet localstack 2>/dev/null || true)
        # Not `up --wait`: the healthcheck reports a failed hook only after its start period (which
        # covers a first start pulling images) and retries. Polling the hooks' state fails as soon as
        # one is in ERROR, naming it; DOCKER_READY_TIMEOUT bounds the whole wait.
        if ! docker compose up -d \
          || ! .venv/bin/python -m tools.docker_mode wait-ready "http://127.0.0.1:${LOCALSTACK_PORT:-4566}" "${DOCKER_READY_TIMEOUT:-360}"; then
          echo "LocalStack's log, last lines:" >&2
          docker compose logs --tail 80 localstack >&2
          # A failed `up` leaves running only what was running before it: the same container.
          if [ -z "$before" ] || [ "$(docker compose ps --quiet localstack 2>/dev/null)" != "$before" ]; then
            docker compose stop localstack >&2 || true
            echo "stopped the container this 'make up' started; 'make logs' still shows its log" >&2
          else
            echo "the container was running before this 'make up' and is left running; 'make down' stops it" >&2
          fi
          echo "LocalStack did not become ready; see the log above, fix it, then 'make down && make up'" >&2
          exit 1
        fi
        echo "==> ready in $(( $(date +%s) - start )) s" ;;
      down) docker compose down --remove-orphans ;;
      # Exit codes as in embedded mode (scripts/with-localstack.sh tells them apart): 3 not running,
      # 4 a ready hook pending or running, 5 one failed (named, with its error).
      status) if ! docker compose ps --status running --quiet localstack | grep -q .; then
                echo "LocalStack (Docker): not running"; exit 3
              fi
              docker compose ps
              exec .venv/bin/python -m tools.docker_mode status "http://127.0.0.1:${LOCALSTACK_PORT:-4566}" ;;
      logs) docker compose logs --tail "${LINES:-200}" localstack ;;
    esac ;;
  embedded)
    # Only `up` refreshes .venv: rebuilding it under a running LocalStack would pull its files away.
    if [ "$command" = up ] || [ ! -x .venv/bin/python ]; then scripts/venv.sh; fi
    case "$command" in
      up) echo "==> no Docker engine answers: embedded mode (LocalStack as a host process)"
          exec .venv/bin/python -m embedded_localstack up ;;
      logs) exec .venv/bin/python -m embedded_localstack logs --lines "${LINES:-200}" ;;
      *) exec .venv/bin/python -m embedded_localstack "$command" ;;
    esac ;;
  *) echo "LOCALSTACK_MODE must be auto, docker or embedded, got '$mode'" >&2; exit 2 ;;
esac
