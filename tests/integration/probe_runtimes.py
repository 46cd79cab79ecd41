"""The runtimes the runtime tests (test_lambda_runtime.py) run their probe functions on. Kept apart from
the tests, without imports, so that scripts/test.sh can install their Node.js majors before the suite."""

PROBE_RUNTIMES = ["python3.12", "nodejs18.x", "nodejs20.x", "nodejs22.x"]
