#!/usr/bin/env bash
# Creates .venv from the pinned requirements, or refreshes it when they changed. Prints its path.
# LocalStack 4.14.0 needs Python >= 3.13 in practice: 3.12 runs the gateway, but Lambda's
# CreateFunction fails there (localstack.utils.tagging imports warnings.deprecated, new in 3.13).
set -euo pipefail
self=$(realpath "$0")
cd "$(dirname "$self")/.."
VENV=.venv
STAMP="$VENV/.requirements.sha256"
want=$(cat requirements/*.txt lambdas/requirements.txt pyproject.toml "$self" | sha256sum | cut -d' ' -f1)

is_usable() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; }

find_python() {
  local candidate
  for candidate in ${PYTHON:-} python3.13 python3.14 python3; do
    candidate=$(command -v "$candidate" 2>/dev/null) || continue
    if is_usable "$candidate"; then echo "$candidate"; return; fi
  done
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[3-9]*/bin/python3; do
    if [ -x "$candidate" ] && is_usable "$candidate"; then echo "$candidate"; return; fi
  done
  return 1
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && is_usable "$VENV/bin/python"; then
  exit 0
fi
python=$(find_python) || {
  echo "Python >= 3.13 not found (LocalStack 4.14.0 needs it). Install it with 'pyenv install 3.13'" \
       "or your package manager, or point PYTHON=/path/to/python3.13 at one." >&2
  exit 1
}
start=$(date +%s)
echo "==> creating $VENV with $python ($("$python" --version))"
rm -rf "$VENV"
"$python" -m venv "$VENV"
log=$(mktemp)
# --no-deps: the lock file is the complete set. Resolving would pull in argparse 1.4.0 (via kclpy-ext),
# a backport that shadows the standard library's argparse.
# lambda-runtime/: what the AWS Lambda Python runtime provides (boto3), for embedded-mode functions.
if ! { "$VENV/bin/pip" install --no-deps -r requirements/dev.txt && "$VENV/bin/pip" install --no-deps -e . \
       && "$VENV/bin/pip" install --no-deps --target "$VENV/lambda-runtime" -r requirements/lambda-runtime.txt; } >"$log" 2>&1; then
  grep -v '^WARNING: Location' "$log" | tail -40 >&2
  echo "installing the pinned requirements failed (full log: $log)" >&2
  exit 1
fi
# Schemathesis, for API fuzzing, in a venv of its own: its dependencies are newer than LocalStack's pins.
rm -rf .venv-fuzz
if ! { "$python" -m venv .venv-fuzz && .venv-fuzz/bin/pip install --no-deps -r requirements/fuzz.txt; } >"$log" 2>&1; then
  grep -v '^WARNING: Location' "$log" | tail -40 >&2
  echo "installing schemathesis into .venv-fuzz failed (full log: $log)" >&2
  exit 1
fi
echo "$want" > "$STAMP"
echo "==> $VENV ready in $(( $(date +%s) - start )) s"
