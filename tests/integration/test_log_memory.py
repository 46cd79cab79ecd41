"""LocalStack's memory for a function's logs: bounded by what is stored, given back when the log group
is deleted. On a private instance, so that nothing else moves its memory meanwhile."""

import json

import boto3
import psutil

from client.waiting import eventually
from tests.integration.embedded_instances import (  # noqa: F401 (instance is a fixture)
    create_probe,
    instance,
    localstack_pid,
    make,
)

OUTPUT_BYTES = 30 * 2**20  # per invocation; BENCHMARKS.md has the same check at 100 MB
INVOCATIONS = 6
OVERHEAD = 0.2  # of the stored bytes
RETURNED_WITHIN_BYTES = 50 * 2**20


def test_logs_cost_at_most_what_is_stored_and_deleting_the_group_gives_the_memory_back(instance):
    # Given a function that prints 30 MB per invocation, warm
    assert make("up", instance).returncode == 0
    name = "log-memory"
    client = create_probe(instance, name, source="runtime_probe", Timeout=120, MemorySize=512)
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    logs = session.client("logs", endpoint_url=f"http://127.0.0.1:{instance['LOCALSTACK_PORT']}")
    group = f"/aws/lambda/{name}"
    client.invoke(FunctionName=name, Payload=b"{}")

    def stored() -> int:
        return sum(stream["storedBytes"] for stream in logs.describe_log_streams(logGroupName=group)["logStreams"])

    eventually(stored, what="the warm-up's log")
    localstack = psutil.Process(localstack_pid(instance))
    before = localstack.memory_info().rss

    # When it is invoked six times, and every line is stored
    for invocation in range(1, INVOCATIONS + 1):
        response = client.invoke(FunctionName=name, Payload=json.dumps({"action": "print", "bytes": OUTPUT_BYTES}))
        assert "FunctionError" not in response
        eventually(
            lambda n=invocation: stored() >= n * OUTPUT_BYTES, timeout=30, what=f"invocation {invocation}'s log stored"
        )
    kept = stored()

    # Then LocalStack's memory grew by no more than the stored bytes and a fifth
    def growth() -> int:
        return localstack.memory_info().rss - before

    eventually(lambda: growth() <= kept * (1 + OVERHEAD), timeout=15, what=f"growth within {kept} B + 20%")

    # and once the group is deleted, it comes back to within 50 MB of where it was
    logs.delete_log_group(logGroupName=group)
    eventually(lambda: growth() <= RETURNED_WITHIN_BYTES, timeout=15, what="memory given back")
