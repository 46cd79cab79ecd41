"""Queues, with their redrive policies, and the policies that let rules send to them."""

import json

from infra.model import Queue, QueuePolicy
from infra.policies import queue_policy
from infra.target import Target, log


def queue_attributes(target: Target, queue: Queue) -> dict:
    attributes = {"VisibilityTimeout": str(queue.visibility_timeout)}
    if queue.dead_letter:
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": target.arns(queue.dead_letter), "maxReceiveCount": str(queue.max_receive_count)}
        )
    return attributes


def _comparable(attributes: dict) -> dict:
    # SQS may answer maxReceiveCount as a number where it was set as a string.
    result = dict(attributes)
    if "RedrivePolicy" in result:
        policy = json.loads(result["RedrivePolicy"])
        result["RedrivePolicy"] = (policy["deadLetterTargetArn"], int(policy["maxReceiveCount"]))
    return result


def ensure_queue(target: Target, queue: Queue) -> None:
    sqs = target.client("sqs")
    attributes = queue_attributes(target, queue)
    try:
        url = target.queue_url(queue.name)
    except sqs.exceptions.QueueDoesNotExist:
        sqs.create_queue(QueueName=queue.name, Attributes=attributes)
        log(f"queue {queue.name} created")
        return
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(attributes))["Attributes"]
    if _comparable(current) != _comparable(attributes):
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        log(f"queue {queue.name} updated")


def ensure_queue_policy(target: Target, policy: QueuePolicy) -> None:
    sqs = target.client("sqs")
    document = json.dumps(queue_policy(target.arns, policy))
    url = target.queue_url(policy.queue.name)
    if (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {}).get("Policy")
        != document
    ):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": document})


def delete_queue(target: Target, queue: Queue) -> None:
    sqs = target.client("sqs")
    try:
        sqs.delete_queue(QueueUrl=target.queue_url(queue.name))
    except sqs.exceptions.QueueDoesNotExist:
        return
    log(f"queue {queue.name} deleted")
