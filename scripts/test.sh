#!/usr/bin/env bash
# Unit tests and the integration suite, against a running LocalStack (started and stopped if needed).
# Tests run side by side in TEST_WORKERS processes: most of the suite waits on LocalStack (queues,
# retries, timeouts), so more workers than cores pay off. Each test owns its data, so order does not
# matter. The ten slowest tests are listed at the end, to make a regression visible.
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with-localstack.sh .venv/bin/python -m pytest -n "${TEST_WORKERS:-4}" --dist loadgroup --durations=10 "$@"
