#!/usr/bin/env bash
# Unit tests and the integration suite, against a running LocalStack (started and stopped if needed).
# `scripts/test.sh <pytest args>` runs just those.
#
# Tests run side by side in TEST_WORKERS processes: most of the suite waits on LocalStack (queues,
# retries, timeouts), so more workers than cores pay off, and each test owns its data, so order does
# not matter. Checks that read what the whole suite did (marker after_suite) run once it has finished.
# The ten slowest tests are listed, so that a regression shows.
#
# Coverage of lambdas/ (COVERAGE=0 turns it off): the test processes through pytest-cov, and every
# function process through coverage.py started in its environment (embedded_localstack/executor/instrumentation.py),
# whether it runs from a hot-reload folder or an archive. Written to build/coverage/ (coverage.xml,
# html/), with a per-package summary. A LocalStack this script starts gets EMBEDDED_FUNCTION_COVERAGE; one
# already running (`make up`, embedded mode) is asked through a file in its state directory, read by each
# environment it starts meanwhile (environments still warm from before are not measured).
set -euo pipefail
cd "$(dirname "$0")/.."
COVERAGE_DIR=build/coverage
if [ "${1:-}" != --with-localstack ]; then
  if [ "${COVERAGE:-1}" = 1 ]; then
    scripts/venv.sh
    rm -rf "$COVERAGE_DIR" && mkdir -p "$COVERAGE_DIR/functions"
    export EMBEDDED_FUNCTION_COVERAGE="$(pwd -P)/$COVERAGE_DIR/functions"
    # Installed now, not by LocalStack at a function's first start (where it would count against start-up).
    .venv/bin/python -c 'from embedded_localstack import debugging; from infra.model import LAMBDA_RUNTIME; debugging.tools_path("coverage", LAMBDA_RUNTIME.removeprefix("python"))'
    request="${EMBEDDED_STATE_DIR:-.state}/function-coverage"
    mkdir -p "$(dirname "$request")" && echo "$EMBEDDED_FUNCTION_COVERAGE" > "$request"
    trap 'rm -f "$request"' EXIT
  fi
  # The SAM tool chain of the own-app tests, installed once into build/toolchains/ (a few minutes) before
  # the suite rather than inside a test's time limit; a second run finds it there.
  scripts/venv.sh && .venv/bin/python -c 'from embedded_localstack.apps import toolchains; toolchains.sam_bin()'
  # The Node.js majors the runtime tests run functions on (tests/integration/probe_runtimes.py), installed
  # before the suite where the machine lacks them (`make node`, from the npm registry into build/node/).
  # A test installing one during the run came too late for the tests that had looked already: a fresh
  # clone, as in CI, skipped 27 of them.
  .venv/bin/python - <<'PY'
import subprocess, sys
from embedded_localstack.runtimes.node_runtime import find_node, major_of
from tests.integration.probe_runtimes import PROBE_RUNTIMES
for major in filter(None, map(major_of, PROBE_RUNTIMES)):
    if not find_node(major) and subprocess.run(["make", "-s", "node", f"MAJOR={major}"]).returncode:
        print(f"==> Node.js {major} could not be installed (make node MAJOR={major}): "
              f"the runtime tests on nodejs{major}.x skip", file=sys.stderr)
PY
  # Not exec: the coverage request above is removed on exit.
  scripts/with-localstack.sh scripts/test.sh --with-localstack "$@" && exit 0 || exit $?
fi
shift
pytest=(.venv/bin/python -m pytest -n "${TEST_WORKERS:-6}" --durations=10)
if [ "${COVERAGE:-1}" = 1 ]; then
  export COVERAGE_FILE="$COVERAGE_DIR/.coverage"
  pytest+=(--cov --cov-config=config/coverage.ini --cov-report=)
fi

report() {
  [ "${COVERAGE:-1}" = 1 ] || return 0
  local coverage=(.venv/bin/coverage)
  # --keep: function processes still running may write their files again.
  "${coverage[@]}" combine --rcfile=config/coverage.ini --append --keep --quiet "$COVERAGE_DIR/functions" || true
  "${coverage[@]}" xml --rcfile=config/coverage.ini --quiet
  "${coverage[@]}" html --rcfile=config/coverage.ini --quiet
  echo "==> coverage of lambdas/ (test processes and function processes): $COVERAGE_DIR/coverage.xml, $COVERAGE_DIR/html/index.html"
  .venv/bin/python scripts/coverage_summary.py "$COVERAGE_DIR/coverage.xml"
  if [ -z "$(ls -A "$COVERAGE_DIR/functions")" ]; then
    echo "    (no data from function processes: none started during the run, or Docker mode)"
  fi
}

status=0
if [ $# -gt 0 ]; then
  # Side by side with other tests, the whole-suite checks would read a partial run and the destroy
  # test would delete the stack under them: a selection leaves them out unless it picks with -m.
  case " $* " in
    *" -m "*) ;;
    *) set -- -m "not after_suite" "$@"
       echo "==> after_suite tests left out (they need the rest finished): scripts/test.sh -m after_suite -n 0 <paths>" ;;
  esac
  "${pytest[@]}" "$@" || status=$?
else
  "${pytest[@]}" -m "not after_suite" || status=$?
  if [ $status = 0 ]; then
    echo "==> checks over the whole suite's calls"
    pytest=(.venv/bin/python -m pytest -q)
    [ "${COVERAGE:-1}" = 1 ] && pytest+=(--cov --cov-config=config/coverage.ini --cov-report= --cov-append)
    "${pytest[@]}" -m after_suite || status=$?
  fi
fi
report || echo "coverage report failed (see above); the tests' own result stands"
exit $status
