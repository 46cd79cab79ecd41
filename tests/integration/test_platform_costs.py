"""What issue 16 switched off or changed to make a checkout cheaper keeps the platform's behaviour:
the shop's SQS mappings long-poll on LocalStack without holding a message back, and CloudWatch's API
works with the per-invocation metrics off."""

import json
import time
import uuid

from client import deadlines
from client.waiting import eventually
from infra import long_poll
from infra.aws import client
from infra.stack import ORDER_QUEUE, SUBSCRIPTIONS
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
