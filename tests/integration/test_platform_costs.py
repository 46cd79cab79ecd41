"""What is switched off or changed to make a checkout cheaper keeps the platform's behaviour:
the shop's SQS mappings long-poll on LocalStack without holding a message back, CloudWatch's API
works with the per-invocation metrics off, and a function's log lines, stored without a gateway
round trip, still feed a metric filter."""

import json
import time
import uuid

from client import deadlines
from client.waiting import eventually
from infra import long_poll
from infra.aws import client
from infra.stack import ORDER_QUEUE, SUBSCRIPTIONS
from tests.integration.invocations import zip_sources
from tests.integration.orders import checkout_event, exactly_one_order


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


def test_a_message_is_handed_over_well_within_the_long_poll_window(http, order_api):
    # A sceptic's question: does a 20 s window hold a lone message back for 20 s? First one order with
    # the usual deadline (the environment may be cold), then one that must beat the window.
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=ORDER_QUEUE.name)["QueueUrl"]
    for deadline in (deadlines.ORDER, long_poll.LOCALSTACK_LONG_POLL_SECONDS / 2):
        user = f"lp-{uuid.uuid4().hex[:8]}"
        started = time.monotonic()
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(checkout_event(user)))
        exactly_one_order(http, order_api, user, timeout=deadline)
    assert time.monotonic() - started < long_poll.LOCALSTACK_LONG_POLL_SECONDS / 2


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
