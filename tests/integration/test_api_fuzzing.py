"""Requests generated from the OpenAPI document (schemathesis), valid and invalid, against every
operation of all three APIs, the invoice included: no input gets a 5xx, and every response the
contract documents has the documented shape (errors: {"message": ..., "errors": [...]})."""

import os
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from infra import settings
from infra.paths import OPENAPI_DOCUMENT, PROJECT_DIR
from infra.stack import APIS, BASKET_API, PRODUCT_API, api_url

SCHEMATHESIS = PROJECT_DIR / ".venv-fuzz" / "bin" / "schemathesis"
HOOKS = Path(__file__).with_name("fuzz_hooks.py")
EXAMPLES_PER_OPERATION = 60  # README states it: keep both the same
# Not the stateful phase: it chains operations through links schemathesis infers from the response
# schemas (GET /basket -> DELETE /basket/{userName}, GET /product -> PUT or DELETE /product/{id},
# GET /order -> the invoice), and a list answers every item in the table, so the chain deletes,
# overwrites and checks out the data of the tests running alongside (a burst test's checkouts got
# 404: the fuzzer had deleted their baskets in between). The other phases reuse such values too,
# unless told not to (CONFIG).
PHASES = "examples,coverage,fuzzing"
CONFIG = PROJECT_DIR / "config" / "schemathesis.toml"


def someone_elses_data() -> dict[str, dict]:
    """A basket and a product as another test would own them: their URLs and bodies as saved."""
    basket_url, product_url = api_url(settings.ENDPOINT_URL, BASKET_API), api_url(settings.ENDPOINT_URL, PRODUCT_API)
    basket = {
        "userName": f"bystander-{uuid.uuid4().hex[:10]}",
        "items": [{"productId": "p-1", "productName": "Pen", "price": 2, "quantity": 1}],
    }
    saved = requests.post(f"{basket_url}/basket", json=basket)
    assert saved.status_code == 201, saved.text
    product = requests.post(f"{product_url}/product", json={"name": "Bystander", "category": "office", "price": 3})
    assert product.status_code == 201, product.text
    return {
        f"{basket_url}/basket/{basket['userName']}": saved.json(),
        f"{product_url}/product/{product.json()['id']}": product.json(),
    }


@pytest.mark.parametrize("api", APIS, ids=lambda api: api.tag)
def test_generated_requests_never_get_a_5xx_and_match_the_contract(api):
    bystanders = someone_elses_data()
    assert SCHEMATHESIS.exists(), "scripts/venv.sh installs schemathesis into .venv-fuzz"
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        str(OPENAPI_DOCUMENT),
        "--url",
        api_url(settings.ENDPOINT_URL, api),
        "--include-tag",
        api.tag,
        "--phases",
        PHASES,
        "--checks",
        "not_a_server_error,response_schema_conformance,content_type_conformance",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--workers",
        "2",
        "--generation-deterministic",
        # Beside the rest of the suite on two cores a request may wait; the check is "no 5xx", not speed.
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
    ]
    env = os.environ | {"SCHEMATHESIS_HOOKS": str(HOOKS)}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=PROJECT_DIR, env=env)

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    # The suite runs alongside: what the fuzzer did not make, it must leave as it was.
    for url, saved in bystanders.items():
        now = requests.get(url)
        assert (now.status_code, now.json()) == (200, saved), f"the fuzzer changed {url}"
        requests.delete(url)
