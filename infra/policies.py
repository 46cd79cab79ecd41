"""IAM documents derived from the stack: each function's role from its grants, each queue's policy
from the rules that send to it. Pure functions, unit-tested in tests/unit/test_infra_deployment_documents.py."""

from infra.arns import Arns
from infra.model import Function, QueuePolicy

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
ROLE_POLICY_NAME = "least-privilege"


def role_name(function: Function) -> str:
    return f"{function.name}-function"


def role_policy(arns: Arns, function: Function) -> dict:
    """Least privilege: the actions the function's code calls, on its own resources, its async
    invocations' destinations, and its own logs."""
    log_group = arns.log_group(function)
    statements = [
        {"Sid": f"Grant{index}", "Effect": "Allow", "Action": list(grant.actions), "Resource": [arns(grant.resource)]}
        for index, grant in enumerate(function.grants)
    ]
    statements += [
        {
            "Sid": f"Destination{queue.name.replace('-', '')}",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [arns(queue)],
        }
        for queue in function.destinations
    ]
    statements += [
        {"Sid": "OwnLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogGroup"], "Resource": [log_group]},
        {
            "Sid": "OwnLogStreams",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{log_group}:*"],
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def queue_policy(arns: Arns, policy: QueuePolicy) -> dict:
    """On AWS a queue accepts EventBridge's messages only when its policy allows the sending rule."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arns(policy.queue),
                "Condition": {"ArnEquals": {"aws:SourceArn": [arns(rule) for rule in policy.senders]}},
            }
        ],
    }
