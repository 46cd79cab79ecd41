"""What is switched off or changed to make a checkout cheaper keeps the platform's behaviour:
the shop's SQS mappings long-poll on LocalStack without holding a message back, CloudWatch's API
works with the per-invocation metrics off, and a function's log lines, stored without a gateway
round trip, still feed a metric filter."""

import time
import uuid

from client import deadlines
from client.queues import Queues
from client.waiting import eventually
from infra import long_poll
from infra.aws import client
from infra.stack import ORDER_QUEUE, SUBSCRIPTIONS
from tests.integration.invocations import BATCH_FORWARDER, TEST_FUNCTION_TIMEOUT, zip_sources


def mapping_of(subscription) -> dict:
    sqs = client("sqs")
    arn = sqs.get_queue_attributes(
        QueueUrl=sqs.get_queue_url(QueueName=subscription.queue.name)["QueueUrl"], AttributeNames=["QueueArn"]
    )
    mappings = client("lambda").list_event_source_mappings(
        EventSourceArn=arn["Attributes"]["QueueArn"], FunctionName=subscription.function.name
    )
    return mappings["EventSourceMappings"][0]


def test_the_shops_sqs_mappings_long_poll_on_localstack():
    for subscription in SUBSCRIPTIONS:
        assert subscription.batching_window == 0, "the declared (AWS) window stays 0"
        assert mapping_of(subscription)["MaximumBatchingWindowInSeconds"] == long_poll.LOCALSTACK_LONG_POLL_SECONDS


def test_a_message_is_handed_over_well_within_the_long_poll_window(create_function, own_queues, lambda_client):
    # A sceptic's question: does the window the shop's order mapping gets on LocalStack (20 s) hold a
    # lone message back for 20 s? Asked of a queue and a function of the test's own with the same
    # mapping settings: the shop's order queue is shared with tests that fill it with slow or poisoned
    # messages, which the mapping works through first. One message with the usual deadline (the
    # environment may be cold), then one that must beat half the window.
    order_mapping = next(s for s in SUBSCRIPTIONS if s.queue == ORDER_QUEUE)
    suffix = uuid.uuid4().hex[:8]
    source_url, source_arn = own_queues(f"lp-source-{suffix}")
    results_url, _ = own_queues(f"lp-results-{suffix}")
    name = create_function(
        code={"ZipFile": zip_sources({"app.py": BATCH_FORWARDER})}, Environment={"Variables": {"RESULTS": results_url}}
    )
    mapping = lambda_client.create_event_source_mapping(
        EventSourceArn=source_arn,
        FunctionName=name,
        BatchSize=order_mapping.batch_size,
        MaximumBatchingWindowInSeconds=long_poll.batching_window(order_mapping.batching_window),
    )
    try:
        sqs, queues = client("sqs"), Queues()
        for deadline in (deadlines.queue_delivery(TEST_FUNCTION_TIMEOUT), long_poll.LOCALSTACK_LONG_POLL_SECONDS / 2):
            body = f"lp-{uuid.uuid4().hex[:8]}"
            started = time.monotonic()
            sqs.send_message(QueueUrl=source_url, MessageBody=body)
            assert queues.take(
                results_url.rsplit("/", 1)[-1], lambda bodies, body=body: body in bodies, timeout=deadline
            )
        assert time.monotonic() - started < long_poll.LOCALSTACK_LONG_POLL_SECONDS / 2
    finally:
        lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])


def test_cloudwatch_api_works_with_per_invocation_metrics_off():
    cloudwatch = client("cloudwatch")
    namespace, metric = f"Test/{uuid.uuid4().hex[:8]}", "Checkouts"
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": metric, "Value": 3, "Unit": "Count"}])

    def listed():
        return cloudwatch.list_metrics(Namespace=namespace)["Metrics"]

    assert [m["MetricName"] for m in eventually(listed, timeout=10, what=f"{namespace} listed")] == [metric]
    end = time.time() + 60
    statistics = cloudwatch.get_metric_statistics(
        Namespace=namespace, MetricName=metric, StartTime=end - 600, EndTime=end, Period=60, Statistics=["Sum"]
    )["Datapoints"]
    assert sum(point["Sum"] for point in statistics) == 3


def test_a_metric_filter_on_a_functions_log_group_counts_its_lines(create_function, invoke, logs_client):
    # Embedded mode stores invocation logs straight in the logs backend (embedded_localstack/executor/log_events.py),
    # except for groups with metric filters: those must still turn matching lines into metrics.
    name = create_function(
        code={"ZipFile": zip_sources({"app.py": "def handler(event, context):\n    print('ORDER-PLACED', event)\n"})}
    )
    group, namespace = f"/aws/lambda/{name}", f"Test/{uuid.uuid4().hex[:8]}"
    invoke(name, {"n": 0})  # the first invocation's lines make the group
    logs_client.put_metric_filter(
        logGroupName=group,
        filterName="placed",
        filterPattern="ORDER-PLACED",
        metricTransformations=[{"metricName": "Placed", "metricNamespace": namespace, "metricValue": "1"}],
    )
    for n in range(1, 4):
        invoke(name, {"n": n})
    cloudwatch = client("cloudwatch")

    def counted() -> float:
        end = time.time() + 60
        points = cloudwatch.get_metric_statistics(
            Namespace=namespace, MetricName="Placed", StartTime=end - 600, EndTime=end, Period=60, Statistics=["Sum"]
        )["Datapoints"]
        return sum(point["Sum"] for point in points)

    # Every line of the three invocations, START to REPORT: LocalStack Community's filter-pattern matcher
    # matches every line (localstack/services/logs/provider.py, get_pattern_matcher).
    eventually(lambda: counted() == 12, timeout=10, what=f"the 3 invocations' 12 lines counted in {namespace}")

    def every_line() -> list[str]:
        pages = logs_client.get_paginator("filter_log_events").paginate(logGroupName=group)
        placed = [
            event["message"] for page in pages for event in page["events"] if event["message"].startswith("ORDER")
        ]
        return sorted(placed) if len(placed) == 4 else []

    lines = eventually(every_line, timeout=10, what=f"the 4 invocations' lines in {group}")
    assert lines == [f"ORDER-PLACED {{'n': {n}}}\n" for n in range(4)]
