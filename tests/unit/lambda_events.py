"""What the unit tests build Lambda's inputs from, as the Powertools examples do: events from JSON files
(tests/unit/events/) and a fake Lambda context."""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

EVENTS = Path(__file__).parent / "events"
# Nothing listens on the discard port: a handler path that reached AWS would fail at once, never
# reach a real endpoint.
UNREACHABLE = "http://127.0.0.1:9"


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


@dataclass
class FakeLambdaContext:
    """What Powertools and the shop read of Lambda's context object."""

    function_name: str = "test-function"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:test-function"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"
    timeout_seconds: float = 10
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int((self.started + self.timeout_seconds - time.monotonic()) * 1000)


def api_event(
    method: str, resource: str, path: str, path_parameters: dict | None = None, body=None, query: dict | None = None
) -> dict:
    """api_gateway_proxy.json for another request."""
    event = load_event("api_gateway_proxy")
    event |= {
        "httpMethod": method,
        "resource": resource,
        "path": path,
        "pathParameters": path_parameters,
        "queryStringParameters": query,
    }
    event["body"] = body if body is None or isinstance(body, str) else json.dumps(body)
    event["requestContext"] |= {"httpMethod": method, "resourcePath": resource, "path": f"/prod{path}"}
    return event


def sqs_event(*bodies: str, message_ids: list[str] | None = None) -> dict:
    """sqs_batch.json with one record per body, each with its own messageId (message-0, ...)."""
    template = load_event("sqs_batch")["Records"][0]
    message_ids = message_ids or [f"message-{i}" for i in range(len(bodies))]
    return {
        "Records": [
            template | {"messageId": message_id, "body": body}
            for message_id, body in zip(message_ids, bodies, strict=True)
        ]
    }
