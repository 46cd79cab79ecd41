#!/usr/bin/env bash
# up | down | status | logs for whichever mode applies: Docker Compose when a Docker engine answers,
# the embedded LocalStack otherwise. LOCALSTACK_MODE=docker|embedded forces one.
set -euo pipefail
cd "$(dirname "$0")/.."
command=${1:?usage: localenv.sh up|down|status|logs}

mode=${LOCALSTACK_MODE:-auto}
if [ "$mode" = auto ]; then
  if command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1; then mode=docker; else mode=embedded; fi
fi

if [ "$command" = up ]; then
  # Both modes deploy the same archives, built here on the host.
  scripts/venv.sh
  .venv/bin/python -m shop.archives
fi
# Where the ready hook finds the project's Python code (docker-compose.yml mounts it at /opt/shop),
# and the project's path on this machine, for hot-reload functions.
export SHOP_PROJECT_DIR="$PWD" HOST_PROJECT_DIR="$PWD"

case "$mode" in
  docker)
    case "$command" in
      up)
        echo "==> Docker engine found: docker compose up (image ${LOCALSTACK_IMAGE:-localstack/localstack:4.14.0})"
        start=$(date +%s)
        if ! docker compose up -d --wait; then
          docker compose logs --tail 80 localstack >&2
          echo "LocalStack did not become healthy; see the log above, fix it, then 'make down && make up'" >&2
          exit 1
        fi
        echo "==> ready in $(( $(date +%s) - start )) s" ;;
      down) docker compose down --remove-orphans ;;
      # Exit 3 when not running, as the embedded mode does (scripts/with-localstack.sh tells them apart).
      status) if docker compose ps --status running --quiet localstack | grep -q .; then docker compose ps; else exit 3; fi ;;
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
