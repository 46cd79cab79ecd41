"""What a stack is made of: plain dataclasses, free of AWS calls. infra/stack.py declares the shop
with them; the reconcilers (infra/reconcilers/) make AWS match them."""

import math
from dataclasses import dataclass, field

# The runtime of a function that declares none.
LAMBDA_RUNTIME = "python3.12"


@dataclass(frozen=True)
class Table:
    name: str
    partition_key: str
    sort_key: str | None = None
    ttl_attribute: str | None = None  # DynamoDB deletes items once this epoch-seconds attribute has passed


@dataclass(frozen=True)
class Queue:
    name: str
    visibility_timeout: int = 30
    dead_letter: "Queue | None" = None
    max_receive_count: int = 3


@dataclass(frozen=True)
class EventBus:
    name: str


@dataclass(frozen=True)
class Bucket:
    name: str


@dataclass(frozen=True)
class EmailSender:
    address: str


@dataclass(frozen=True)
class Secret:
    """A random key made once per environment and kept outside every table (an SSM SecureString
    parameter of this name); a function that names it in its environment gets its value there."""

    name: str


@dataclass(frozen=True)
class Grant:
    """Actions a function may call on one resource: roles are built from these and nothing else."""

    actions: tuple[str, ...]
    resource: Table | Queue | EventBus | Bucket | EmailSender


@dataclass(frozen=True)
class AsyncInvokeConfig:
    """Event invoke config: retries, maximum event age and destinations of asynchronous invocations."""

    max_retries: int = 2
    max_event_age: int = 3600
    on_success: Queue | None = None
    on_failure: Queue | None = None


@dataclass(frozen=True)
class Function:
    name: str
    handler: str  # module path inside the archive; the archive holds lambdas/shared and the handler's package
    grants: tuple[Grant, ...]
    # Values that are resources become their name (tables, buses) or URL (queues) at deployment.
    environment: dict = field(default_factory=dict, hash=False)
    timeout: int = 10
    memory: int = 256
    async_invoke: AsyncInvokeConfig | None = None
    runtime: str = LAMBDA_RUNTIME  # a nodejs*.x function's archive is built by infra/node_archives.py

    @property
    def package(self) -> str:
        return self.handler.split(".")[0]

    @property
    def destinations(self) -> tuple[Queue, ...]:
        config = self.async_invoke
        return tuple(q for q in (config.on_success, config.on_failure) if q) if config else ()


@dataclass(frozen=True)
class QueueSubscription:
    """An event source mapping: the function polls the queue and gets batches."""

    queue: Queue
    function: Function
    batch_size: int = 10
    batching_window: int = 0


@dataclass(frozen=True)
class RestApi:
    name: str
    custom_id: str  # LocalStack's _custom_id_ tag keeps the URL stable across restarts
    tag: str  # operations with this OpenAPI tag belong to this API
    function: Function  # Lambda proxy integration for every operation ...
    # ... except these operationIds: Lambda (AWS) integration, callable synchronously or asynchronously.
    non_proxy: dict = field(default_factory=dict, hash=False)

    @property
    def functions(self) -> tuple[Function, ...]:
        return (self.function, *self.non_proxy.values())


@dataclass(frozen=True)
class RuleTarget:
    """Where a rule sends its events (a queue, or a function invoked asynchronously), and where
    EventBridge puts the events it could not deliver there."""

    id: str
    destination: Queue | Function
    dead_letter: Queue


@dataclass(frozen=True)
class Rule:
    name: str
    bus: EventBus
    source: str
    detail_type: str
    targets: tuple[RuleTarget, ...]

    @property
    def pattern(self) -> dict:
        return {"source": [self.source], "detail-type": [self.detail_type]}


@dataclass(frozen=True)
class BucketNotification:
    """The bucket invokes the function (asynchronously) for each object created under prefix."""

    id: str
    bucket: Bucket
    function: Function
    prefix: str
    events: tuple[str, ...] = ("s3:ObjectCreated:*",)


@dataclass(frozen=True)
class InvokePermission:
    """A service allowed to invoke a function, from one source (an API, a rule, a bucket)."""

    function: Function
    statement_id: str
    principal: str
    source: RestApi | Rule | Bucket


@dataclass(frozen=True)
class QueuePolicy:
    """The rules allowed to send to a queue: on AWS a queue takes EventBridge's messages only then."""

    queue: Queue
    senders: tuple[Rule, ...]


@dataclass(frozen=True)
class Stack:
    """Everything the shop deploys. Deploying creates it in this order; destroying goes backwards."""

    tables: tuple[Table, ...]
    queues: tuple[Queue, ...]
    email_senders: tuple[EmailSender, ...]
    functions: tuple[Function, ...]
    apis: tuple[RestApi, ...]
    buses: tuple[EventBus, ...]
    rules: tuple[Rule, ...]
    buckets: tuple[Bucket, ...]
    notifications: tuple[BucketNotification, ...]
    subscriptions: tuple[QueueSubscription, ...]

    @property
    def secrets(self) -> tuple[Secret, ...]:
        """Derived from the functions' environments, in the order they first appear."""
        return tuple(dict.fromkeys(v for f in self.functions for v in f.environment.values() if isinstance(v, Secret)))

    @property
    def invoke_permissions(self) -> tuple[InvokePermission, ...]:
        """Derived from the APIs, rules and bucket notifications that invoke functions."""
        permissions = [
            InvokePermission(function, f"apigateway-{api.custom_id}", "apigateway.amazonaws.com", api)
            for api in self.apis
            for function in api.functions
        ]
        permissions += [
            InvokePermission(target.destination, f"eventbridge-{rule.name}", "events.amazonaws.com", rule)
            for rule in self.rules
            for target in rule.targets
            if isinstance(target.destination, Function)
        ]
        permissions += [
            InvokePermission(n.function, f"s3-{n.bucket.name}", "s3.amazonaws.com", n.bucket)
            for n in self.notifications
        ]
        return tuple(permissions)

    @property
    def queue_policies(self) -> tuple[QueuePolicy, ...]:
        """Each queue a rule sends to, as a target or as a target's dead-letter queue."""
        senders: dict[Queue, list[Rule]] = {}
        for rule in self.rules:
            for target in rule.targets:
                for queue in (target.destination, target.dead_letter):
                    if isinstance(queue, Queue) and rule not in senders.setdefault(queue, []):
                        senders[queue].append(rule)
        return tuple(QueuePolicy(queue, tuple(rules)) for queue, rules in senders.items())

    @property
    def dead_letter_queues(self) -> dict[Queue, Queue | None]:
        """Where failed work waits, and where `make redrive` sends it back to (None: records of failed
        asynchronous invocations or undeliverable events for a function, for reading)."""
        pairs: dict[Queue, Queue | None] = {q.dead_letter: q for q in self.queues if q.dead_letter}
        for rule in self.rules:
            for target in rule.targets:
                pairs[target.dead_letter] = target.destination if isinstance(target.destination, Queue) else None
        for function in self.functions:
            if function.async_invoke and function.async_invoke.on_failure:
                pairs[function.async_invoke.on_failure] = None
        return pairs

    def subscribers(self, queue: Queue) -> tuple[Function, ...]:
        return tuple(s.function for s in self.subscriptions if s.queue == queue)

    def publishers(self, bus: EventBus) -> tuple[Function, ...]:
        return tuple(
            f for f in self.functions if any(g.resource == bus and "events:PutEvents" in g.actions for g in f.grants)
        )


# Queue consumers (lambdas/shared/batches.py) keep this back from the deadline to report a batch's outcome;
# they get it as the environment variable of the same name, and function timeouts are sized with it.
BATCH_RESERVE_SECONDS = 0.3


def consumer_visibility_timeout(function_timeout: int) -> int:
    """How long a queue hides a received message from its consumer: 6 x the function's timeout (AWS's
    advice), so that a batch is not delivered again while its invocation, or a retry of it, runs."""
    return 6 * function_timeout


def batch_function_timeout(batch_size: int, record_timeout: float) -> int:
    """The whole-second function timeout in which every record of a full batch gets its full time limit,
    however many of its batch-mates run to theirs: batch size x record timeout + reserve, rounded up."""
    return math.ceil(batch_size * record_timeout + BATCH_RESERVE_SECONDS)


def check_batch_budgets(subscriptions) -> None:
    """The invariant the queue consumers rely on (lambdas/shared/batches.py): a full batch of records that
    all run to RECORD_TIMEOUT, plus the reserve, fits in the function's timeout, so a slow record can never
    leave a healthy batch-mate untried. And the queue hides a received message for 6 x the function's
    timeout (AWS's advice), so a batch is not delivered again while its invocation (or a retry of it) runs."""
    for subscription in subscriptions:
        function, queue = subscription.function, subscription.queue
        record_timeout = float(function.environment["RECORD_TIMEOUT"])
        needed = subscription.batch_size * record_timeout + BATCH_RESERVE_SECONDS
        if needed > function.timeout:
            raise ValueError(
                f"{function.name}: {subscription.batch_size} records x {record_timeout} s + {BATCH_RESERVE_SECONDS} s reserve"
                f" = {needed:.2f} s exceeds its {function.timeout} s timeout; records at the end of a batch could go untried"
            )
        if queue.visibility_timeout < consumer_visibility_timeout(function.timeout):
            raise ValueError(
                f"{queue.name}: visibility timeout {queue.visibility_timeout} s < 6 x {function.name}'s {function.timeout} s timeout"
            )


def check_failures_are_kept(stack: Stack) -> None:
    """Nothing is lost silently: every function invoked asynchronously (by a rule or a bucket) has an
    on-failure destination, every rule target a dead-letter queue, and every mapped queue a redrive policy."""
    asynchronous = [t.destination for r in stack.rules for t in r.targets if isinstance(t.destination, Function)]
    asynchronous += [n.function for n in stack.notifications]
    for function in asynchronous:
        if not (function.async_invoke and function.async_invoke.on_failure):
            raise ValueError(f"{function.name} is invoked asynchronously but has no on-failure destination")
    for rule in stack.rules:
        for target in rule.targets:
            if target.dead_letter is None:
                raise ValueError(f"{rule.name} target {target.id} has no dead-letter queue")
    for subscription in stack.subscriptions:
        if subscription.queue.dead_letter is None:
            raise ValueError(
                f"{subscription.queue.name} is polled by {subscription.function.name} but has no dead-letter queue"
            )


def check_declared(stack: Stack) -> None:
    """Every resource the stack's parts refer to is itself declared, so deploying creates it first."""
    declared = set(stack.tables) | set(stack.queues) | set(stack.email_senders) | set(stack.buses) | set(stack.buckets)
    declared |= set(stack.functions)
    referred = [g.resource for f in stack.functions for g in f.grants]
    referred += [q for f in stack.functions for q in f.destinations]
    referred += [v for f in stack.functions for v in f.environment.values() if isinstance(v, (Table, Queue, EventBus))]
    referred += [q.dead_letter for q in stack.queues if q.dead_letter]
    referred += [f for api in stack.apis for f in api.functions]
    referred += [x for r in stack.rules for t in r.targets for x in (t.destination, t.dead_letter)] + [
        r.bus for r in stack.rules
    ]
    referred += [x for n in stack.notifications for x in (n.bucket, n.function)]
    referred += [x for s in stack.subscriptions for x in (s.queue, s.function)]
    missing = {getattr(r, "name", None) or getattr(r, "address", None) for r in referred if r not in declared}
    if missing:
        raise ValueError(f"referred to but not declared in the stack: {', '.join(sorted(missing))}")


def check_stack(stack: Stack) -> None:
    check_declared(stack)
    check_failures_are_kept(stack)
    check_batch_budgets(stack.subscriptions)
