"""API Gateway's Lambda proxy integration on an API of the test's own, as a user's CDK or SAM app
defines one: what the function answers reaches the client, and what goes wrong on the way is an
API Gateway error (502), never a hang or a LocalStack error page. Embedded mode calls the Lambda
provider in process (patches/apigateway_to_lambda.py); these are the answers it must keep."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from client.proxy_api import create_proxy_api, stage_url
from infra import settings
from infra.aws import client

STAGE = "test"


@pytest.fixture
def proxy_api():
    """Factory: a REST API whose every path goes to the function (AWS_PROXY), deployed; its base URL."""
    made = []

    def create(function_arn: str) -> str:
        made.append(create_proxy_api(function_arn, STAGE))
        return stage_url(made[-1], STAGE)

    yield create
    for api in made:
        client("apigateway").delete_rest_api(restApiId=api)


@pytest.fixture
def probe_api(create_function, lambda_client, proxy_api):
    name = create_function("runtime_probe")
    return proxy_api(lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"])


def test_the_function_gets_the_request_as_a_proxy_event_and_its_answer_reaches_the_client(probe_api):
    hostile = "x'\"<script>é\u2028"
    answer = requests.post(
        f"{probe_api}/orders/42?behave=echo&q={hostile}", data=hostile.encode(), headers={"X-Hostile": "a;b"}
    )

    assert answer.status_code == 201 and answer.headers["X-Probe"] == "yes"
    event = answer.json()
    assert (event["httpMethod"], event["path"], event["pathParameters"]) == (
        "POST",
        "/orders/42",
        {"proxy": "orders/42"},
    )
    assert event["queryStringParameters"]["q"] == hostile and event["body"] == hostile
    assert event["headers"]["X-Hostile"] == "a;b"
    assert event["requestContext"]["stage"] == STAGE and event["requestContext"]["accountId"] == "000000000000"


@pytest.mark.parametrize("behave", ["raise", "malformed"])
def test_a_function_that_fails_or_answers_no_proxy_response_is_a_502(probe_api, behave):
    answer = requests.get(f"{probe_api}/anything?behave={behave}")

    assert answer.status_code == 502
    assert answer.json() == {"message": "Internal server error"}


def test_an_integration_whose_function_does_not_exist_is_a_502(proxy_api):
    missing = f"arn:aws:lambda:{settings.REGION}:000000000000:function:never-{uuid.uuid4().hex[:8]}"
    base = proxy_api(missing)

    answer = requests.get(f"{base}/anything")

    assert answer.status_code == 502
    assert answer.json() == {"message": "Internal server error"}


def test_concurrent_requests_each_get_their_own_answer(probe_api):
    def call(n: int):
        answer = requests.post(f"{probe_api}/item/{n}?behave=echo", data=str(n))
        return answer.status_code, json.loads(answer.json()["body"]) if answer.ok else answer.text

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(call, range(32)))

    assert [answer for n, answer in enumerate(answers) if answer != (201, n)] == []
