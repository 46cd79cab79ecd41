"""Hot reload of the shop's own functions: an edit under lambdas/ changes the next response, with no
re-provisioning. Works on a temporary copy of lambdas/, so the checkout is never touched."""

import json
import shutil

import pytest

from infra.archives import link_hot_reload_folder
from infra.paths import LAMBDA_SOURCES
from infra.stack import PRODUCT_FUNCTION, PRODUCT_TABLE
from tests.integration.invocations import proxy_event


@pytest.fixture
def hot_product_function(tmp_path, create_function):
    sources = tmp_path / "lambdas"
    shutil.copytree(LAMBDA_SOURCES, sources, ignore=shutil.ignore_patterns("__pycache__"))
    folder = link_hot_reload_folder(PRODUCT_FUNCTION, sources=sources, target_root=tmp_path / "hot-reload")
    name = create_function(
        "product-hot",
        hot_reload_path=folder,
        Handler=PRODUCT_FUNCTION.handler,
        # The list-token key only signs list pages, which this test does not read: any value will do.
        Environment={"Variables": {"TABLE_NAME": PRODUCT_TABLE.name, "LIST_TOKEN_KEY": "hot-reload-test"}},
    )
    return name, sources


def get_missing_product(invoke, function_name: str) -> dict:
    event = proxy_event("GET", "/product/nothing-here", "/product/{id}", path_parameters={"id": "nothing-here"})
    result, _ = invoke(function_name, event)
    return json.loads(result["body"])


def test_edited_handler_code_changes_the_next_response(hot_product_function, invoke):
    name, sources = hot_product_function
    before = get_missing_product(invoke, name)

    logic = sources / "product" / "logic.py"
    logic.write_text(
        logic.read_text().replace('f"product {product_id} not found"', 'f"no product called {product_id}"')
    )
    after = get_missing_product(invoke, name)

    assert before["message"] == "product nothing-here not found"
    assert after["message"] == "no product called nothing-here"
