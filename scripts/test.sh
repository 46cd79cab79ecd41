#!/usr/bin/env bash
# Unit tests and the integration suite, against a running LocalStack (started and stopped if needed).
# `scripts/test.sh <pytest args>` runs just those.
#
# Tests run side by side in TEST_WORKERS processes: most of the suite waits on LocalStack (queues,
# retries, timeouts), so more workers than cores pay off, and each test owns its data, so order does
# not matter. Checks that read what the whole suite did (marker after_suite) run once it has finished.
# The ten slowest tests are listed, so that a regression shows.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != --with-localstack ]; then
  exec scripts/with-localstack.sh scripts/test.sh --with-localstack "$@"
fi
shift
pytest=(.venv/bin/python -m pytest -n "${TEST_WORKERS:-6}" --durations=10)
if [ $# -gt 0 ]; then
  exec "${pytest[@]}" "$@"
fi
"${pytest[@]}" -m "not after_suite"
echo "==> checks over the whole suite's calls"
exec .venv/bin/python -m pytest -q -m after_suite
