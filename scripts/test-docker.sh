#!/usr/bin/env bash
# The Docker-mode smoke test (make test-docker): brings Docker mode up with hot reload, checks out a
# basket, sees the order, edits a function and sees the change, then brings it down. Skips, saying
# why, where Docker mode cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bounded.sh
if ! command -v docker >/dev/null || ! bounded 5 docker info >/dev/null 2>&1; then
  echo "==> make test-docker skipped: no Docker engine answers ('docker info'); Docker mode needs one"
  exit 0
fi
if ! version=$(bounded 10 docker compose version --short 2>/dev/null) || [[ ! $version =~ ^v?([2-9]|[1-9][0-9]+)\. ]]; then
  echo "==> make test-docker skipped: 'docker compose version' does not report Compose v2; install the Compose plugin"
  exit 0
fi
scripts/venv.sh
if scripts/localenv.sh status >/dev/null 2>&1; then
  echo "LocalStack is already running on port ${LOCALSTACK_PORT:-4566}; 'make down' first, so the test starts Docker mode itself" >&2
  exit 1
fi
start=$(date +%s)
trap 'LOCALSTACK_MODE=docker scripts/localenv.sh down' EXIT
LOCALSTACK_MODE=docker HOT_RELOAD=1 scripts/localenv.sh up
LOCALSTACK_MODE=docker .venv/bin/python -m pytest tests/docker -v -p no:cacheprovider
echo "==> make test-docker took $(( $(date +%s) - start )) s"
