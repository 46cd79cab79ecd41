"""Docker-mode smoke test, run by `make test-docker` against the Docker mode it brings up with hot
reload (scripts/test-docker.sh): the promises the README makes for Docker mode, end to end."""

import json
import os
import urllib.request
import uuid

import pytest
import requests

from client.waiting import eventually
from infra import settings
from infra.paths import LAMBDA_SOURCES
from infra.stack import (
    BASKET_API,
    ORDER_API,
    ORDER_BATCHING_WINDOW,
    ORDER_QUEUE,
    PRODUCT_API,
    PRODUCT_FUNCTION,
    api_url,
)

pytestmark = pytest.mark.skipif(
    os.environ.get("LOCALSTACK_MODE") != "docker", reason="Docker-mode smoke test: run it with make test-docker"
)

ENDPOINT = settings.require_local_endpoint()
# A Lambda container starts cold after an edit, and the first order waits for the queue's poller and
# a container: allow a few function timeouts, and the batching window plus a visibility timeout.
RELOAD_DEADLINE = 3 * PRODUCT_FUNCTION.timeout
ORDER_DEADLINE = ORDER_BATCHING_WINDOW + ORDER_QUEUE.visibility_timeout + 3 * PRODUCT_FUNCTION.timeout


def test_localstack_runs_in_docker():
    with urllib.request.urlopen(f"{ENDPOINT}/_localstack/info", timeout=5) as response:
        assert json.load(response)["is_docker"] is True


def test_a_checked_out_basket_becomes_an_order():
    http = requests.Session()
    baskets, orders = api_url(ENDPOINT, BASKET_API), api_url(ENDPOINT, ORDER_API)
    user = f"docker-smoke-{uuid.uuid4().hex[:8]}"
    item = {"productId": "p1", "productName": "Pen", "price": 1.5, "quantity": 2}

    assert http.post(f"{baskets}/basket", json={"userName": user, "items": [item]}).status_code == 201
    checkout = http.post(
        f"{baskets}/basket/checkout",
        json={
            "userName": user,
            "firstName": "Ann",
            "lastName": "Lee",
            "email": f"{user}@example.com",
            "address": "1 Market Street",
            "paymentMethod": 1,
            "cardInfo": "4111111111111111",
        },
    )
    assert checkout.status_code == 202, checkout.text

    checkout_id = checkout.json()["checkoutId"]
    eventually(
        lambda: checkout_id in http.get(f"{orders}/order/{user}").text,
        timeout=ORDER_DEADLINE,
        interval=0.5,
        what="the order",
    )


def test_an_edit_under_lambdas_reaches_the_next_invocation():
    # The real lambdas/ folder: Lambda containers watch it (tools/docker_mode.py), not a copy.
    products = api_url(ENDPOINT, PRODUCT_API)
    logic = LAMBDA_SOURCES / "product" / "logic.py"
    original = logic.read_text()
    edited = original.replace('f"product {product_id} not found"', 'f"no product called {product_id}"')
    assert edited != original, "the message this test edits is gone from lambdas/product/logic.py"

    def message() -> str:
        return requests.get(f"{products}/product/nothing-here").json()["message"]

    def answers(text: str) -> None:
        eventually(lambda: message() == text, timeout=RELOAD_DEADLINE, interval=0.5, what=f"the message {text!r}")

    assert message() == "product nothing-here not found"
    try:
        logic.write_text(edited)
        answers("no product called nothing-here")
    finally:
        logic.write_text(original)
    answers("product nothing-here not found")
