#!/usr/bin/env bash
# Unit tests and the integration suite, against a running LocalStack (started and stopped if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with-localstack.sh .venv/bin/python -m pytest "$@"
