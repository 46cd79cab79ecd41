#!/usr/bin/env bash
# Runs a command against a running LocalStack. Starts one (deploying the built archives, HOT_RELOAD=0)
# if none is running, and stops it again afterwards, so the environment is left as it was found.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
if scripts/localenv.sh status >/dev/null 2>&1; then
  echo "==> using the LocalStack that is already running"
else
  HOT_RELOAD=0 scripts/localenv.sh up
  trap 'scripts/localenv.sh down' EXIT
fi
start=$(date +%s)
"$@"
echo "==> $1 took $(( $(date +%s) - start )) s"
