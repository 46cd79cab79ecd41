"""The names the shop's resources hold, by CloudFormation type, for the app deployment's collision check
(embedded_localstack/apps/collisions.py): an app that declares one of them while the shop is deployed
is refused with this fix. Read from the stack, never listed by hand."""

from infra.stack import STACK

OWNER = "the shop (infra/stack.py)"
FIX = "Start a bare environment without the shop (`make down && SHOP=0 make up`)"


def shop() -> tuple[dict[str, dict[str, str]], str]:
    names = {
        "AWS::DynamoDB::Table": [t.name for t in STACK.tables],
        "AWS::SQS::Queue": [q.name for q in STACK.queues],
        "AWS::Lambda::Function": [f.name for f in STACK.functions],
        "AWS::S3::Bucket": [b.name for b in STACK.buckets],
        "AWS::Events::EventBus": [b.name for b in STACK.buses],
        "AWS::SSM::Parameter": [s.name for s in STACK.secrets],
    }
    return {kind: dict.fromkeys(values, OWNER) for kind, values in names.items()}, FIX
