"""The embedded mode's LocalStack plugins, registered as entry points in pyproject.toml.

- ``localstack.lambda.runtime_executor`` ``local-process``: Lambda environments as local processes.
- ``localstack.aws.provider`` ``dynamodb:moto`` and ``dynamodbstreams:moto``: DynamoDB served by moto
  in a process of its own, one operation at a time (dynamodb_process/). LocalStack's default DynamoDB
  is DynamoDB Local, which needs Java and downloads on first use.
- ``localstack.runtime.server`` ``loopback-http``: the gateway on the configured address only,
  answering only Hosts that name this machine (patches/host_check.py), through a plain HTTP/1.1
  server (serving/).
- ``localstack.hooks.on_runtime_create`` ``validate_openapi_on_use``: LocalStack's OpenAPI validation
  imported only when switched on (patches/openapi_validation.py).
- ``localstack.hooks.on_runtime_create`` ``hand_over_the_gil_sooner``: LocalStack's threads take turns
  every millisecond (patches/gil_switch.py).
- ``localstack.hooks.on_runtime_create`` ``read_region_lists_once``: which regions a service is in, read
  once per process, not through a new boto3 Session each time (patches/region_lists.py).
- ``localstack.hooks.on_runtime_create`` ``compile_url_builders_on_use``: werkzeug compiles a routing
  rule's URL builders on first use, not as the rule is bound (patches/url_builders.py).
- ``localstack.hooks.on_runtime_create`` ``import_moto_ec2_on_use``: moto's SSM imports moto's EC2 when it
  first uses it (patches/ssm_ec2.py).
- ``localstack.hooks.on_infra_ready`` ``freeze_what_is_loaded``: what start and each service load leave
  out of the garbage collector's walk (patches/gc_freeze.py).
- ``localstack.hooks.on_infra_ready`` ``deliver_events_to_sqs_in_process``: EventBridge's SQS targets
  call the SQS provider, not two internal requests (patches/events_to_sqs.py).
- ``localstack.hooks.on_infra_ready`` ``deliver_events_to_lambda_in_process``: EventBridge's Lambda targets
  call the Lambda provider, not an internal request (patches/events_to_lambda.py).
- ``localstack.hooks.on_infra_ready`` ``start_event_rules_after_answer``: a PutEvents' rules start once
  its answer is written (patches/rules_after_answer.py, serving/after_answer.py).
- ``localstack.hooks.on_infra_ready`` ``invoke_lambda_from_apigateway_in_process``: API Gateway's Lambda
  proxy integration calls the Lambda provider, not an internal request (patches/apigateway_to_lambda.py).
- ``localstack.hooks.on_infra_ready`` ``list_moto_methods_once``: LocalStack's moto-backed services
  dispatch without listing their handler's methods per request (patches/moto_dispatch.py).
"""

import ssl
import threading

from localstack.runtime import hooks
from localstack.runtime.server.core import RuntimeServerPlugin
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.plugins import Service, aws_provider


class LocalProcessRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "local-process"

    def load(self, *args, **kwargs):
        from embedded_localstack.dynamodb_process import THE_PROCESS
        from embedded_localstack.executor.instrumentation import lift_localstack_waits
        from embedded_localstack.executor.local_process import LocalProcessRuntimeExecutor
        from embedded_localstack.executor.log_events import ship_straight_to_the_store, ship_within_cloudwatch_limits
        from embedded_localstack.executor.log_store import keep_log_events_compactly, log_limit
        from embedded_localstack.patches.failed_functions import let_failed_functions_be_deleted
        from embedded_localstack.patches.lambda_metrics import switch_off
        from embedded_localstack.patches.sqs_wake import wake_on_send

        ship_within_cloudwatch_limits()  # whole invocation logs, however large (see log_events.py)
        ship_straight_to_the_store()  # without a gateway round trip per invocation (log_events.py)
        log_limit()  # a bad EMBEDDED_LAMBDA_MAX_LOG_BYTES fails here, at start, naming the fix
        keep_log_events_compactly()  # log events in a fraction of the memory, given back on delete (log_store.py)
        switch_off()  # per-invocation CloudWatch metrics, unless EMBEDDED_LAMBDA_CLOUDWATCH_METRICS=1
        lift_localstack_waits()  # while a function is debugged (LAMBDA_DEBUG)
        wake_on_send()  # SQS mappings with no batching window long-poll, as on AWS (patches/sqs_wake.py)
        let_failed_functions_be_deleted()  # a function that never started (patches/failed_functions.py)
        THE_PROCESS.start_in_background()  # before the first environment, which gets its endpoint (dynamodb_process/)
        return LocalProcessRuntimeExecutor


@aws_provider(api="dynamodb", name="moto")
def dynamodb_moto():
    from localstack.aws.api.dynamodb import DynamodbApi

    from embedded_localstack.dynamodb_process.forward import forward_every_operation

    return Service.for_provider(DynamodbApi(), dispatch_table_factory=forward_every_operation)


@aws_provider(api="dynamodbstreams", name="moto")
def dynamodbstreams_moto():
    from localstack.aws.api.dynamodbstreams import DynamodbstreamsApi

    from embedded_localstack.dynamodb_process.forward import forward_every_operation

    return Service.for_provider(DynamodbstreamsApi(), dispatch_table_factory=forward_every_operation)


class LoopbackRuntimeServerPlugin(RuntimeServerPlugin):
    """LocalStack's gateway served by serving/server.py, on the host of each GATEWAY_LISTEN entry only.

    Selected by GATEWAY_SERVER=loopback-http (lifecycle/instance.py). LocalStack's default server,
    twisted, costs a trivial call about 60 % more CPU (serving/server.py says where), and 4.14.0's binds
    IPv4 entries to every interface (its own ``# TODO: interface = host?`` in
    localstack/runtime/server/twisted.py), so 127.0.0.1:4566 would listen on 0.0.0.0:4566: anyone on the
    network could create and run functions as the developer. HTTPS is served on the same port with
    LocalStack's certificate, as twisted did (functions whose SDK insists on the real AWS endpoint).
    """

    name = "loopback-http"

    def load(self, *args, **kwargs):
        from localstack.runtime.server.core import RuntimeServer
        from rolo.gateway.wsgi import WsgiGateway

        from embedded_localstack.dynamodb_process.forward import pass_through
        from embedded_localstack.dynamodb_process.shortcut import straight_through
        from embedded_localstack.patches.host_check import guard
        from embedded_localstack.serving.server import Listener
        from embedded_localstack.serving.short_chain import shorter_for_sqs

        class LoopbackRuntimeServer(RuntimeServer):
            def __init__(self):
                self.listeners: list[Listener] = []
                self.stopped = threading.Event()

            def register(self, gateway, listen, ssl_creds=None):
                guard(gateway)  # DNS rebinding (patches/host_check.py)
                pass_through(gateway)  # DynamoDB straight to its process (dynamodb_process/forward.py)
                # plain DynamoDB requests around the chain (dynamodb_process/shortcut.py), plain SQS
                # requests through a shorter one (serving/short_chain.py)
                app = shorter_for_sqs(gateway, straight_through(WsgiGateway(gateway)))
                tls = None
                if ssl_creds:  # LocalStack's certificate, for HTTPS on the same port (as twisted served it)
                    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                    tls.load_cert_chain(certfile=ssl_creds[0], keyfile=ssl_creds[1])
                self.listeners.append(Listener(app, [(entry.host, entry.port) for entry in listen], tls))

            def run(self):
                for listener in self.listeners:
                    listener.start()
                self.stopped.wait()

            def shutdown(self):
                for listener in self.listeners:
                    listener.stop()
                self.stopped.set()

        return LoopbackRuntimeServer()


# Before the handler chain is imported (LocalStack runs these hooks before anything else of its runtime).
@hooks.on_runtime_create()
def validate_openapi_on_use():
    from embedded_localstack.patches.openapi_validation import validate_on_use

    validate_on_use()


@hooks.on_runtime_create()
def hand_over_the_gil_sooner():
    from embedded_localstack.patches.gil_switch import hand_over_sooner

    hand_over_sooner()


# Before anything asks which regions a service is in: LocalStack's stores and region check, moto's EC2.
@hooks.on_runtime_create()
def read_region_lists_once():
    from embedded_localstack.patches.region_lists import read_once

    read_once()


# Before LocalStack's SSM imports moto's.
@hooks.on_runtime_create()
def import_moto_ec2_on_use():
    from embedded_localstack.patches.ssm_ec2 import import_on_first_use

    import_on_first_use()


# Before the gateway's router binds its rules.
@hooks.on_runtime_create()
def compile_url_builders_on_use():
    from embedded_localstack.patches.url_builders import compile_on_first_use

    compile_on_first_use()


# Before the other ready hooks: the init scripts (ready.d) load services and deploy while they run.
@hooks.on_infra_ready(priority=100)
def freeze_what_is_loaded():
    from embedded_localstack.patches.gc_freeze import freeze_at_start, freeze_loaded_services

    freeze_loaded_services()
    freeze_at_start()


# Before the ready hooks, whose deploys may start the events service.
@hooks.on_infra_ready(priority=100)
def deliver_events_to_sqs_in_process():
    from embedded_localstack.patches.events_to_sqs import on_import

    on_import()


# Before the ready hooks, whose deploys may start the events service.
@hooks.on_infra_ready(priority=100)
def deliver_events_to_lambda_in_process():
    from embedded_localstack.patches.events_to_lambda import on_import

    on_import()


# Before the ready hooks, whose deploys may start the events service.
@hooks.on_infra_ready(priority=100)
def start_event_rules_after_answer():
    from embedded_localstack.patches.rules_after_answer import on_import
    from embedded_localstack.serving.after_answer import later

    on_import(later)


# Before the ready hooks, whose deploys may create APIs and call them.
@hooks.on_infra_ready(priority=100)
def invoke_lambda_from_apigateway_in_process():
    from embedded_localstack.patches.apigateway_to_lambda import on_import

    on_import()


# Before the ready hooks, whose deploys call the moto-backed services (SES, SSM, IAM).
@hooks.on_infra_ready(priority=100)
def list_moto_methods_once():
    from embedded_localstack.patches.moto_dispatch import list_each_class_once

    list_each_class_once()
