#!/usr/bin/env bash
# Every benchmark, against a running LocalStack (started and stopped if needed); see bench/__main__.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with-localstack.sh .venv/bin/python -m bench
