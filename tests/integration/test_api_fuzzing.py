"""Requests generated from the OpenAPI document (schemathesis), valid and invalid, against every
operation of all three APIs, the invoice included: no input gets a 5xx, and every response the
contract documents has the documented shape (errors: {"message": ..., "errors": [...]})."""

import os
import subprocess
from pathlib import Path

import pytest

from infra import settings
from infra.paths import OPENAPI_DOCUMENT, PROJECT_DIR
from infra.stack import APIS, api_url

SCHEMATHESIS = PROJECT_DIR / ".venv-fuzz" / "bin" / "schemathesis"
HOOKS = Path(__file__).with_name("fuzz_hooks.py")
EXAMPLES_PER_OPERATION = 60  # README states it: keep both the same


@pytest.mark.parametrize("api", APIS, ids=lambda api: api.tag)
def test_generated_requests_never_get_a_5xx_and_match_the_contract(api):
    assert SCHEMATHESIS.exists(), "scripts/venv.sh installs schemathesis into .venv-fuzz"
    command = [
        str(SCHEMATHESIS),
        "run",
        str(OPENAPI_DOCUMENT),
        "--url",
        api_url(settings.ENDPOINT_URL, api),
        "--include-tag",
        api.tag,
        "--checks",
        "not_a_server_error,response_schema_conformance,content_type_conformance",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--workers",
        "2",
        "--generation-deterministic",
        # Not the stateful phase: it follows links from the list operations (GET /basket, /product)
        # to DELETE, so it deleted baskets and products of the tests running beside it.
        "--phases",
        "examples,coverage,fuzzing",
        # Beside the rest of the suite on two cores a request may wait; the check is "no 5xx", not speed.
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
    ]
    env = os.environ | {"SCHEMATHESIS_HOOKS": str(HOOKS)}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=PROJECT_DIR, env=env)

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
