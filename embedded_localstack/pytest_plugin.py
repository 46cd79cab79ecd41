"""pytest fixtures for testing an app in this environment, the way the shop's own tests do.

Installed with the platform and registered by entry point (pytest11), so any test suite run with the
platform's Python has them; a suite that loads plugins by hand adds one line to its conftest.py:
``pytest_plugins = ["embedded_localstack.pytest_plugin"]``. See docs/your-own-app.md.

- ``aws_client``: a factory of boto3 clients bound to the environment (``aws_client("sqs")``).
- ``eventually``: poll a condition against a deadline (embedded_localstack/waiting.py).
- ``drain_queue`` and ``assert_dead_letters``: read a queue empty; check what a dead-letter queue holds.
- ``deploy_app``: deploys an app folder, returns its Deployment (outputs, urls), destroys it afterwards.
"""

import json

import pytest

from embedded_localstack import clients
from embedded_localstack.waiting import eventually as _eventually


@pytest.fixture(scope="session")
def aws_client():
    """aws_client("dynamodb") -> a client of the running environment (dummy credentials, its region)."""
    made = {}

    def make(service: str, **config):
        key = (service, json.dumps(config, sort_keys=True, default=str))
        if key not in made:
            made[key] = clients.client(service, **config)
        return made[key]

    return make


@pytest.fixture(scope="session")
def eventually():
    return _eventually


def _queue_url(sqs, queue: str) -> str:
    return queue if queue.startswith("http") else sqs.get_queue_url(QueueName=queue)["QueueUrl"]


def drain(sqs, queue: str, wait: float = 0) -> list[dict]:
    """Receives and deletes every message of a queue (by name or URL); returns their bodies, parsed
    where they are JSON. With wait > 0, keeps reading until a receive of that long comes back empty."""
    url = _queue_url(sqs, queue)
    bodies = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=int(wait), VisibilityTimeout=30
        ).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            try:
                bodies.append(json.loads(message["Body"]))
            except ValueError:
                bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def drain_queue(aws_client):
    """drain_queue("my-queue") -> the bodies it held, now deleted."""
    return lambda queue, wait=0: drain(aws_client("sqs"), queue, wait)


@pytest.fixture
def assert_dead_letters(aws_client):
    """assert_dead_letters("my-dlq", count=1, timeout=30) waits until the queue holds exactly `count`
    messages and returns their bodies (deleted); count=0 asserts that it holds none right now."""

    def check(queue: str, count: int = 0, timeout: float = 30) -> list:
        sqs = aws_client("sqs")
        url = _queue_url(sqs, queue)
        if count == 0:
            held = drain(sqs, url)
            assert held == [], f"{queue} holds dead letters: {held}"
            return held
        held = []
        _eventually(
            lambda: held.extend(drain(sqs, url, wait=1)) or len(held) >= count,
            timeout,
            what=f"{count} dead letters on {queue}",
        )
        assert len(held) == count, f"{queue} holds {len(held)} dead letters, expected {count}: {held}"
        return held

    return check


@pytest.fixture
def deploy_app():
    """deploy_app("path/to/app") -> Deployment (.outputs, .urls, .stacks); destroyed after the test."""
    from embedded_localstack import apps

    deployed = []

    def deploy(folder, **options):
        deployment = apps.deploy(folder, **options)
        deployed.append(deployment.folder)
        return deployment

    yield deploy
    for folder in reversed(deployed):
        apps.destroy(folder)
