"""Deploys the stack (infra/stack.py), or with --destroy deletes what it declares. Both are safe to
run any number of times, against LocalStack or (with ALLOW_REAL_AWS=1) a real account. The ready
hook init/ready.d/10_provision.py deploys in both modes.

python -m infra.deploy [--destroy]   (make deploy, make destroy)"""

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from infra import settings
from infra.model import Stack, Table
from infra.reconcilers import apigateway, dynamodb, events, iam, lambda_, s3, ses, sqs, ssm
from infra.stack import STACK
from infra.target import Target, log

# What destroying deletes, dependants first: each kind of resource the stack holds, and its deletion.
TEARDOWN = (
    ("subscriptions", lambda_.delete_subscription),
    ("buckets", s3.delete_bucket),  # with its notifications and objects
    ("rules", events.delete_rule),  # with its targets
    ("buses", events.delete_bus),
    ("apis", apigateway.delete_api),
    ("functions", lambda_.delete_function),  # with its async invoke config and invoke permissions
    ("functions", iam.delete_role),
    ("email_senders", ses.delete_sender),
    ("queues", sqs.delete_queue),
    ("tables", dynamodb.delete_table),
    ("secrets", ssm.delete_secret),
)


def deploy(stack: Stack = STACK, target: Target | None = None) -> None:
    started = time.monotonic()
    log(f"deploying to {settings.require_local_endpoint()} in {settings.REGION}")
    target = target or Target()
    # The tables on a thread of their own, beside the queues, senders and secrets, which do not need them:
    # LocalStack answers those while the first DynamoDB call waits for the DynamoDB process to start
    # (embedded mode, on the other core) or for DynamoDB Local (Docker mode). `make up` with the shop,
    # eight interleaved pairs: the deploy took 5.5/3.8/3.7/4.0/4.6/4.2/4.6/4.2 s with the tables first,
    # 3.5/3.1/2.9/3.3/3.7/4.1/3.8/4.3 s with them beside.
    target.client("dynamodb")  # created here: boto3's default session is not for two threads at once
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="deploy-tables") as beside:
        tables = beside.submit(_ensure_tables, target, stack.tables)
        for queue in stack.queues:
            sqs.ensure_queue(target, queue)
        queue_urls = {queue.name: target.queue_url(queue.name) for queue in stack.queues}
        for sender in stack.email_senders:
            ses.ensure_sender(target, sender)
        secrets = {secret.name: ssm.ensure_secret(target, secret) for secret in stack.secrets}
        tables.result()  # the tables' failure, if any, is the deploy's
    for function in stack.functions:
        lambda_.ensure_function(target, function, iam.ensure_role(target, function), queue_urls, secrets)
    for function in stack.functions:
        lambda_.wait_until_active(target, function)
        if function.async_invoke:
            lambda_.ensure_async_invoke_config(target, function)
    api_ids = {api.name: apigateway.ensure_api(target, api) for api in stack.apis}
    for bus in stack.buses:
        events.ensure_bus(target, bus)
    for rule in stack.rules:
        events.ensure_rule(target, rule)
    for policy in stack.queue_policies:
        sqs.ensure_queue_policy(target, policy)
    for bucket in stack.buckets:
        s3.ensure_bucket(target, bucket)
    for permission in stack.invoke_permissions:
        lambda_.ensure_invoke_permission(target, permission, lambda_.permission_source(target, permission, api_ids))
    for bucket in stack.buckets:
        notifications = [n for n in stack.notifications if n.bucket == bucket]
        if notifications:
            s3.ensure_notifications(target, bucket, notifications)
    for subscription in stack.subscriptions:
        lambda_.ensure_subscription(target, subscription)
    log(f"done in {time.monotonic() - started:.1f} s")


def _ensure_tables(target: Target, tables: tuple[Table, ...]) -> None:
    for table in tables:
        dynamodb.ensure_table(target, table)


def destroy(stack: Stack = STACK, target: Target | None = None) -> None:
    """Deletes what the stack declares, dependants first; what is already gone is skipped."""
    started = time.monotonic()
    log(f"destroying on {settings.require_local_endpoint()} in {settings.REGION}")
    target = target or Target()
    for kind, delete in TEARDOWN:
        for resource in getattr(stack, kind):
            delete(target, resource)
    log(f"destroyed in {time.monotonic() - started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description=__doc__.splitlines()[0])
    parser.add_argument("--destroy", action="store_true", help="delete what the stack declares instead")
    args = parser.parse_args(argv)
    try:
        destroy() if args.destroy else deploy()
    except (ClientError, settings.RealAwsRefused) as e:
        print(f"{'destroying' if args.destroy else 'deploying'} failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
