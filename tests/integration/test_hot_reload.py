"""Hot reload of the shop's own functions: an edit under lambdas/ changes the next response, with no
re-provisioning. Works on a temporary copy of lambdas/, so the checkout is never touched."""

import json
import shutil
import uuid

import pytest

from shop.archives import link_hot_reload_folder
from shop.aws import client
from shop.resources import LAMBDA_RUNTIME, LAMBDA_SOURCES, PRODUCT_FUNCTION, PRODUCT_TABLE


@pytest.fixture
def hot_product_function(tmp_path, test_role_arn):
    sources = tmp_path / "lambdas"
    shutil.copytree(LAMBDA_SOURCES, sources, ignore=shutil.ignore_patterns("__pycache__"))
    folder = link_hot_reload_folder(PRODUCT_FUNCTION, sources=sources, target_root=tmp_path / "hot-reload")
    lambda_client = client("lambda")
    name = f"product-hot-{uuid.uuid4().hex[:6]}"
    lambda_client.create_function(
        FunctionName=name,
        Runtime=LAMBDA_RUNTIME,
        Handler=PRODUCT_FUNCTION.handler,
        Role=test_role_arn,
        Code={"S3Bucket": "hot-reload", "S3Key": str(folder)},
        Environment={"Variables": {"TABLE_NAME": PRODUCT_TABLE.name}},
    )
    lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)
    yield name, sources
    lambda_client.delete_function(FunctionName=name)


def get_missing_product(function_name: str) -> dict:
    event = {
        "httpMethod": "GET",
        "path": "/product/nothing-here",
        "resource": "/product/{id}",
        "pathParameters": {"id": "nothing-here"},
        "headers": {},
        "requestContext": {"requestId": "hot-reload-test", "stage": "prod"},
        "body": None,
        "isBase64Encoded": False,
    }
    response = client("lambda").invoke(FunctionName=function_name, Payload=json.dumps(event))
    return json.loads(json.load(response["Payload"])["body"])


def test_edited_handler_code_changes_the_next_response(hot_product_function):
    name, sources = hot_product_function
    before = get_missing_product(name)

    logic = sources / "product" / "logic.py"
    logic.write_text(logic.read_text().replace('f"product {product_id} not found"', 'f"no product called {product_id}"'))
    after = get_missing_product(name)

    assert before["message"] == "product nothing-here not found"
    assert after["message"] == "no product called nothing-here"
