#!/usr/bin/env bash
# Runs the unit tests and the integration suite against a running LocalStack. Starts one if none
# is running, and stops it again afterwards, so the environment is left as it was found.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
if scripts/localenv.sh status >/dev/null 2>&1; then
  echo "==> using the LocalStack that is already running"
else
  # The tests of the archives: deploy the built archives, not hot-reload folders.
  HOT_RELOAD=0 scripts/localenv.sh up
  trap 'scripts/localenv.sh down' EXIT
fi
start=$(date +%s)
.venv/bin/python -m pytest "$@"
echo "==> tests took $(( $(date +%s) - start )) s"
