"""An SQS event source mapping without a batching window (what the CDK, SAM and the console create by
default) gets each message as soon as it is sent, and reads back the window it was given
(embedded_localstack/sqs_wake.py; the latency itself is measured by `make bench`, not asserted here)."""

import uuid

from client import deadlines
from client.queues import Queues
from infra.aws import client
from tests.integration.invocations import BATCH_FORWARDER, TEST_FUNCTION_TIMEOUT, zip_sources


def test_a_mapping_without_a_batching_window_delivers_each_message_and_keeps_its_window(
    create_function, own_queues, lambda_client
):
    # Given a queue mapped to a function with the default window (none), and a queue for what it saw
    suffix = uuid.uuid4().hex[:8]
    source_url, source_arn = own_queues(f"wake-source-{suffix}")
    results_url, _ = own_queues(f"wake-results-{suffix}")
    name = create_function(
        code={"ZipFile": zip_sources({"app.py": BATCH_FORWARDER})}, Environment={"Variables": {"RESULTS": results_url}}
    )
    mapping = lambda_client.create_event_source_mapping(EventSourceArn=source_arn, FunctionName=name, BatchSize=10)
    try:
        lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)

        # When messages are sent one at a time
        sqs = client("sqs")
        sent = [f"m{i}-{suffix}" for i in range(3)]
        for body in sent:
            sqs.send_message(QueueUrl=source_url, MessageBody=body)

        # Then every one reaches the function, once
        seen: list[str] = []
        queues = Queues(sqs)
        deadline = deadlines.queue_delivery(TEST_FUNCTION_TIMEOUT) * len(sent)
        while len(seen) < len(sent):
            seen += queues.take(results_url.rsplit("/", 1)[-1], lambda bodies: True, timeout=deadline)
        assert sorted(seen) == sorted(sent)
        # And the mapping still says what it was given: only the poller waits on the queue
        config = lambda_client.get_event_source_mapping(UUID=mapping["UUID"])
        assert config.get("MaximumBatchingWindowInSeconds", 0) == 0
    finally:
        lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
