#!/usr/bin/env bash
# Runs every benchmark against a running LocalStack, starting (and afterwards stopping) one if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
if scripts/localenv.sh status >/dev/null 2>&1; then
  echo "==> using the LocalStack that is already running"
else
  scripts/localenv.sh up
  trap 'scripts/localenv.sh down' EXIT
fi
.venv/bin/python -m bench
