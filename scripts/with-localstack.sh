#!/usr/bin/env bash
# Runs a command against a running LocalStack. Starts one (deploying the built archives, HOT_RELOAD=0)
# if none is running, and stops it again afterwards, so the environment is left as it was found.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
# status: 0 ready, 3 not running; anything else (starting, an init hook failed) is not ours to use or stop.
code=0
scripts/localenv.sh status >/dev/null 2>&1 || code=$?
case $code in
  0) echo "==> using the LocalStack that is already running" ;;
  3) HOT_RELOAD=0 scripts/localenv.sh up
     trap 'scripts/localenv.sh down' EXIT ;;
  *) scripts/localenv.sh status >&2 || true
     echo "LocalStack is running but not ready (see above); fix it or 'make down', then try again" >&2
     exit 1 ;;
esac
start=$(date +%s)
"$@"
echo "==> $1 took $(( $(date +%s) - start )) s"
