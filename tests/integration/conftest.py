import json
import urllib.request
import uuid
from pathlib import Path

import pytest
import requests

from client.queues import Queues
from infra import settings
from infra.archives import zip_folder
from infra.aws import client
from infra.model import RestApi
from infra.stack import BASKET_API, ORDER_API, PRODUCT_API, api_url
from tests.integration.invocations import FUNCTIONS, TEST_FUNCTION_TIMEOUT

TEST_ROLE = "integration-test-lambda"


@pytest.fixture(scope="session", autouse=True)
def localstack_ready():
    url = f"{settings.require_local_endpoint()}/_localstack/init/ready"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            status = json.load(response)
    except OSError as e:
        pytest.exit(f"LocalStack does not answer at {settings.ENDPOINT_URL} ({e}); run `make up` first", returncode=2)
    failed = [script for script in status.get("scripts", []) if script.get("state") == "ERROR"]
    if failed:
        pytest.exit(f"LocalStack's init hook failed, so the shop is not provisioned: {failed}", returncode=2)
    if not status.get("completed"):
        pytest.exit(f"LocalStack's init hooks have not completed: {status}", returncode=2)


@pytest.fixture(scope="session")
def lambda_client():
    # Long reads: some tests invoke functions that run for seconds. No retries: each invoke counts.
    return client("lambda", read_timeout=120, retries={"max_attempts": 0})


@pytest.fixture(scope="session")
def logs_client():
    return client("logs")


@pytest.fixture(scope="session")
def test_role_arn():
    iam = client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    try:
        return iam.create_role(RoleName=TEST_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        return iam.get_role(RoleName=TEST_ROLE)["Role"]["Arn"]


@pytest.fixture
def create_function(lambda_client, test_role_arn):
    """Factory: creates a function from a folder under functions/ (or a hot-reload path), waits
    until it is Active, and deletes it after the test."""
    created = []

    def create(
        source: str = "runtime_probe", *, hot_reload_path: Path | None = None, code: dict | None = None, **overrides
    ) -> str:
        name = f"{source.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
        if code is None:
            code = (
                {"S3Bucket": "hot-reload", "S3Key": str(hot_reload_path)}
                if hot_reload_path
                else {"ZipFile": zip_folder(FUNCTIONS / source)}
            )
        settings = {"Runtime": "python3.12", "Handler": "app.handler", "Timeout": TEST_FUNCTION_TIMEOUT} | overrides
        lambda_client.create_function(FunctionName=name, Role=test_role_arn, Code=code, **settings)
        created.append(name)
        lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)
        return name

    yield create
    for name in created:
        lambda_client.delete_function(FunctionName=name)


@pytest.fixture
def own_queues():
    """Factory: creates a queue of the test's own; returns (URL, ARN). Deleted after the test."""
    sqs, made = client("sqs"), []

    def create(name: str) -> tuple[str, str]:
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        made.append(url)
        return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    yield create
    for url in made:
        sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def invoke(lambda_client):
    """Invokes synchronously; returns (payload as parsed JSON, the raw response)."""

    def call(function_name: str, event: dict | None = None, **kwargs):
        response = lambda_client.invoke(FunctionName=function_name, Payload=json.dumps(event or {}), **kwargs)
        return json.loads(response["Payload"].read() or "null"), response

    return call


@pytest.fixture(scope="session")
def http():
    session = requests.Session()
    session.headers["Content-Type"] = "application/json"
    return session


def _api(api: RestApi) -> str:
    return api_url(settings.ENDPOINT_URL, api)


@pytest.fixture(scope="session")
def product_api() -> str:
    return _api(PRODUCT_API)


@pytest.fixture(scope="session")
def basket_api() -> str:
    return _api(BASKET_API)


@pytest.fixture(scope="session")
def order_api() -> str:
    return _api(ORDER_API)


@pytest.fixture
def user_name() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def create_product(http, product_api):
    """Factory: POSTs a product and deletes it after the test."""
    created = []

    def create(**fields) -> dict:
        body = {"name": "Notebook", "category": "office", "price": 4.5, "description": "A5, dotted"} | fields
        response = http.post(f"{product_api}/product", json=body)
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
        return response.json()

    yield create
    for product_id in created:
        http.delete(f"{product_api}/product/{product_id}")


@pytest.fixture(scope="session")
def queues() -> Queues:
    return Queues()


@pytest.fixture
def filled_basket(http, basket_api, user_name) -> dict:
    basket = {
        "userName": user_name,
        "items": [
            {"productId": "p-1", "productName": "Pen", "price": 1.25, "quantity": 4, "color": "blue"},
            {"productId": "p-2", "productName": "Ink", "price": 3.5, "quantity": 1, "color": "black"},
        ],
    }
    assert http.post(f"{basket_api}/basket", json=basket).status_code == 201
    return basket


@pytest.fixture(scope="session")
def embedded_only():
    """For checks of the embedded runtime itself (LocalStack's Docker executor does not enforce
    MemorySize, for one)."""
    from embedded_localstack.lifecycle.instance import Instance

    if Instance.from_env().running(remove_stale=False) is None:
        pytest.skip("checks the embedded runtime; LocalStack is not running in embedded mode")


def pytest_collection_modifyitems(items):
    # Checks that read what the other tests did run last: in a run of their own after the suite
    # (scripts/test.sh), and at the end of a run that names them with other tests.
    # The test that destroys the stack (and deploys it back) runs last of all.
    items.sort(
        key=lambda item: (
            item.get_closest_marker("after_suite") is not None,
            item.get_closest_marker("destroys_stack") is not None,
        )
    )


@pytest.fixture
def bus():
    events, name = client("events"), f"test-bus-{uuid.uuid4().hex[:8]}"
    events.create_event_bus(Name=name)
    rules: list[tuple[str, list[str]]] = []
    yield name, rules
    for rule, ids in rules:
        events.remove_targets(Rule=rule, EventBusName=name, Ids=ids)
        events.delete_rule(Name=rule, EventBusName=name)
    events.delete_event_bus(Name=name)


@pytest.fixture
def new_queue():
    sqs, urls = client("sqs"), []

    def make(fifo: bool = False) -> tuple[str, str]:
        name = f"test-evt-{uuid.uuid4().hex[:8]}" + (".fifo" if fifo else "")
        attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        urls.append(url)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    yield make
    for url in urls:
        try:
            sqs.delete_queue(QueueUrl=url)
        except sqs.exceptions.QueueDoesNotExist:
            pass
