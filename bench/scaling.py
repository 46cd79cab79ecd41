"""Scaling: orders/s and latency against client concurrency and the order mapping's batch size.

Not rows of the main table but a section of BENCHMARKS.md of its own (``sections()``)."""

import time

from bench.measure import percentile
from bench.poll_orders import drive
from infra import settings
from infra.aws import client
from infra.stack import ORDER_BATCH_SIZE, ORDER_QUEUE, ORDERING_FUNCTION

COUNT = settings.BENCH_SCALING_CHECKOUTS
CONCURRENCY = (1, 4, 8, 16)
BATCH_SIZES = (1, 10)

LIMIT = """\
**The limit.** Everything a checkout does on the platform's side apart from DynamoDB (API Gateway,
the invokes, EventBridge, SQS, SES, CloudWatch Logs) runs in one LocalStack process, and a Python
process runs its code on one core at a time (the GIL): orders/s levels off at about 1000 ms /
(LocalStack CPU per checkout, in the main table), whatever the client concurrency, and more client
threads only queue in front of it (the p99 grows). DynamoDB runs in a process of its own on the other
core, which the functions call directly (embedded mode; docs/embedded-runtime.md): that halved
LocalStack's CPU per checkout. Larger batches help a little: one invoke and one DeleteMessageBatch for
up to ten orders instead of each.
**What would lift it further:** less LocalStack CPU per checkout. Every request costs its gateway
about 1.1-1.3 ms of CPU on its own server (serving/; 2.4 ms through twisted before), and a checkout
still makes about a dozen of them plus 5 invokes. Beyond that: a free-threaded Python for LocalStack, or a real AWS account.
"""


def set_batch_size(size: int) -> None:
    lambda_client = client("lambda")
    arn = client("sqs").get_queue_attributes(
        QueueUrl=client("sqs").get_queue_url(QueueName=ORDER_QUEUE.name)["QueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    mapping = lambda_client.list_event_source_mappings(EventSourceArn=arn, FunctionName=ORDERING_FUNCTION.name)[
        "EventSourceMappings"
    ][0]
    if mapping["BatchSize"] == size:
        return
    lambda_client.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=size)
    deadline = time.monotonic() + 60
    while lambda_client.get_event_source_mapping(UUID=mapping["UUID"])["State"] != "Enabled":
        if time.monotonic() > deadline:
            raise TimeoutError(f"event source mapping {mapping['UUID']} did not become Enabled again")
        time.sleep(0.2)


def sections() -> list[str]:
    lines = [
        "## Scaling",
        "",
        f"{COUNT} checkouts per cell, from N client threads; orders/s from the first checkout until the order queue is",
        "done with every message; p99 of checkout -> 202 under that load; LocalStack's CPU per checkout.",
        "",
        "| batch size | client threads | orders/s | checkout -> 202 p99 (ms) | LocalStack CPU per checkout (ms) | lost / duplicated |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    try:
        for batch_size in BATCH_SIZES:
            set_batch_size(batch_size)
            for threads in CONCURRENCY:
                print(f"    scaling: batch size {batch_size}, {threads} client thread(s)", flush=True)
                load = drive(COUNT, threads=threads)
                lines.append(
                    f"| {batch_size} | {threads} | {COUNT / load.seconds:.1f} | {percentile(load.checkout_ms, 99):.0f} | "
                    f"{load.cpu_ms_per_checkout:.0f} | {load.lost} / {load.duplicated} |"
                )
    finally:
        set_batch_size(ORDER_BATCH_SIZE)
    return ["\n".join(lines) + "\n\n" + LIMIT]
