"""ARNs of the stack's resources in one account and region."""

from dataclasses import dataclass

from infra.model import Bucket, EmailSender, EventBus, Function, Queue, Rule, Table


@dataclass(frozen=True)
class Arns:
    account: str
    region: str

    def __call__(self, resource) -> str:
        prefix = f"{self.region}:{self.account}"
        match resource:
            case Table(name=name):
                return f"arn:aws:dynamodb:{prefix}:table/{name}"
            case Queue(name=name):
                return f"arn:aws:sqs:{prefix}:{name}"
            case EventBus(name=name):
                return f"arn:aws:events:{prefix}:event-bus/{name}"
            case Bucket(name=name):
                return f"arn:aws:s3:::{name}/*"  # objects: the functions read and write objects only
            case EmailSender(address=address):
                return f"arn:aws:ses:{prefix}:identity/{address}"
            case Function(name=name):
                return f"arn:aws:lambda:{prefix}:function:{name}"
            case Rule(name=name, bus=bus):
                return f"arn:aws:events:{prefix}:rule/{bus.name}/{name}"
        raise TypeError(f"no ARN for {resource!r}")

    def bucket(self, bucket: Bucket) -> str:
        return f"arn:aws:s3:::{bucket.name}"

    def api_source(self, api_id: str) -> str:
        """Any method and path of one REST API, as the source of a Lambda invoke permission."""
        return f"arn:aws:execute-api:{self.region}:{self.account}:{api_id}/*"

    def log_group(self, function: Function) -> str:
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:/aws/lambda/{function.name}"
