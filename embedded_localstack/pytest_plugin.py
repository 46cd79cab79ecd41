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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from embedded_localstack import clients
from embedded_localstack.waiting import eventually as _eventually

if TYPE_CHECKING:  # the apps package is imported when an app is deployed, not when pytest loads plugins
    from embedded_localstack.apps import Deployment

# A boto3 client: boto3 ships no types for its clients, which it builds at run time.
Client = Any


@pytest.fixture(scope="session")
def aws_client() -> Callable[..., Client]:
    """aws_client("dynamodb") -> a client of the running environment (dummy credentials, its region)."""
    made: dict[tuple[str, str], Client] = {}

    def make(service: str, **config: Any) -> Client:
        key = (service, json.dumps(config, sort_keys=True, default=str))
        if key not in made:
            made[key] = clients.client(service, **config)
        return made[key]

    return make


@pytest.fixture(scope="session")
def eventually() -> Callable[..., Any]:
    return _eventually


def _queue_url(sqs: Client, queue: str) -> str:
    return queue if queue.startswith("http") else sqs.get_queue_url(QueueName=queue)["QueueUrl"]


def drain(sqs: Client, queue: str, wait: float = 0) -> list[Any]:
    """Receives and deletes every message of a queue (by name or URL); returns their bodies, parsed
    where they are JSON. With wait > 0, keeps reading until a receive of that long comes back empty."""
    url = _queue_url(sqs, queue)
    bodies: list[Any] = []
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
def drain_queue(aws_client: Callable[..., Client]) -> Callable[..., list[Any]]:
    """drain_queue("my-queue") -> the bodies it held, now deleted."""
    return lambda queue, wait=0: drain(aws_client("sqs"), queue, wait)


@pytest.fixture
def assert_dead_letters(aws_client: Callable[..., Client]) -> Callable[..., list[Any]]:
    """assert_dead_letters("my-dlq", count=1, timeout=30) waits until the queue holds exactly `count`
    messages and returns their bodies (deleted); count=0 asserts that it holds none right now."""

    def check(queue: str, count: int = 0, timeout: float = 30) -> list[Any]:
        sqs = aws_client("sqs")
        url = _queue_url(sqs, queue)
        if count == 0:
            present = drain(sqs, url)
            assert present == [], f"{queue} holds dead letters: {present}"
            return present
        held: list[Any] = []

        def all_held() -> bool:
            held.extend(drain(sqs, url, wait=1))
            return len(held) >= count

        _eventually(all_held, timeout, what=f"{count} dead letters on {queue}")
        assert len(held) == count, f"{queue} holds {len(held)} dead letters, expected {count}: {held}"
        return held

    return check


@pytest.fixture
def deploy_app() -> Iterator[Callable[..., "Deployment"]]:
    """deploy_app("path/to/app") -> Deployment (.outputs, .urls, .stacks); destroyed after the test."""
    from embedded_localstack import apps

    deployed: list[Path] = []

    def deploy(folder: str | Path, **options: Any) -> "Deployment":
        deployment = apps.deploy(folder, **options)
        deployed.append(deployment.folder)
        return deployment

    yield deploy
    for folder in reversed(deployed):
        apps.destroy(folder)
