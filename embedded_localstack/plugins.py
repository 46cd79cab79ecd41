"""The two LocalStack plugins of the embedded mode, registered as entry points in pyproject.toml.

- ``localstack.lambda.runtime_executor`` ``local-process``: Lambda environments as local processes.
- ``localstack.aws.provider`` ``dynamodb:moto`` and ``dynamodbstreams:moto``: DynamoDB served by moto.
  LocalStack's default DynamoDB is DynamoDB Local, which needs Java and downloads on first use.
"""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.plugins import Service, aws_provider


class LocalProcessRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "local-process"

    def load(self, *args, **kwargs):
        from embedded_localstack.executor import LocalProcessRuntimeExecutor
        from embedded_localstack.log_events import ship_within_cloudwatch_limits

        ship_within_cloudwatch_limits()  # whole invocation logs, however large (see log_events.py)
        return LocalProcessRuntimeExecutor


@aws_provider(api="dynamodb", name="moto")
def dynamodb_moto():
    from localstack.aws.api.dynamodb import DynamodbApi
    from localstack.services.moto import MotoFallbackDispatcher

    # Every operation of the empty API class raises NotImplementedError, so all of them go to moto.
    return Service.for_provider(DynamodbApi(), dispatch_table_factory=MotoFallbackDispatcher)


@aws_provider(api="dynamodbstreams", name="moto")
def dynamodbstreams_moto():
    from localstack.aws.api.dynamodbstreams import DynamodbstreamsApi
    from localstack.services.moto import MotoFallbackDispatcher

    return Service.for_provider(DynamodbstreamsApi(), dispatch_table_factory=MotoFallbackDispatcher)
