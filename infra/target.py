"""Where a stack is deployed: an account and region behind the configured endpoint, with the clients
the reconcilers share, and what one reconciler learns that another needs (queue URLs)."""

from infra import settings
from infra.arns import Arns
from infra.aws import client


def log(message: str) -> None:
    print(f"[deploy] {message}", flush=True)


class Target:
    def __init__(self, account: str | None = None):
        self._clients: dict = {}
        self.arns = Arns(account or self.client("sts").get_caller_identity()["Account"], settings.REGION)

    def client(self, service: str):
        # One client per service for the deployment's life (a Target lives as long as one deploy).
        if service not in self._clients:
            self._clients[service] = client(service)
        return self._clients[service]

    def queue_url(self, name: str) -> str:
        return self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
