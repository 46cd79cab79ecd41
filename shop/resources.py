"""The one place for resource names and the shape of the deployment. Provisioning, tests and tools
import it; the functions get the names they need as environment variables."""

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
OPENAPI_DOCUMENT = PROJECT_DIR / "api" / "openapi.yaml"
LAMBDA_SOURCES = PROJECT_DIR / "lambdas"
ARCHIVES_DIR = PROJECT_DIR / "build" / "lambdas"
HOT_RELOAD_DIR = PROJECT_DIR / "build" / "hot-reload"

STAGE = "prod"
# OrderQueue's event source mapping waits up to this long to fill a batch (0: hand over what is there).
ORDER_BATCHING_WINDOW = int(os.environ.get("SHOP_ORDER_BATCHING_WINDOW") or 0)
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
    # Values that are resources become their name (tables, buses) or URL (queues) at provisioning.
    environment: dict = field(default_factory=dict)
    timeout: int = 10
    memory: int = 256
    async_invoke: AsyncInvokeConfig | None = None
    runtime: str = LAMBDA_RUNTIME  # a nodejs*.x function's archive is built by shop/node_archives.py

    @property
    def package(self) -> str:
        return self.handler.split(".")[0]


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
    non_proxy: dict = field(default_factory=dict)  # ... except these operationIds: Lambda (AWS) integration


# Queue consumers (lambdas/shared/batches.py) keep this back from the deadline to report a batch's outcome;
# the same value as shared.batches.RESERVE_SECONDS (tests/unit/test_batch_budget.py holds them equal).
BATCH_RESERVE_SECONDS = 0.3


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
        if queue.visibility_timeout < 6 * function.timeout:
            raise ValueError(f"{queue.name}: visibility timeout {queue.visibility_timeout} s < 6 x {function.name}'s {function.timeout} s timeout")


READ_WRITE = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan")

# -- data -----------------------------------------------------------------------------------------
PRODUCT_TABLE = Table("product", partition_key="id")
BASKET_TABLE = Table("basket", partition_key="userName")
ORDER_TABLE = Table("order", partition_key="userName", sort_key="orderDate")
# Attempt counters for failure injection; retries may land in another execution environment.
FAULT_TABLE = Table("fault-injection", partition_key="key")
# Powertools idempotency records of the ordering function, keyed by checkoutId (expire after a day).
IDEMPOTENCY_TABLE = Table("idempotency", partition_key="id")
# Checkout answers per Idempotency-Key, and each user's last checkout (expire after a day).
CHECKOUT_TABLE = Table("checkout", partition_key="id", ttl_attribute="expiration")
# One record per checkout, written by the Node.js checkout-audit function.
AUDIT_TABLE = Table("checkout-audit", partition_key="checkoutId")
TABLES = (PRODUCT_TABLE, BASKET_TABLE, ORDER_TABLE, FAULT_TABLE, IDEMPOTENCY_TABLE, CHECKOUT_TABLE, AUDIT_TABLE)
FAULT_GRANT = Grant(("dynamodb:UpdateItem",), FAULT_TABLE)

# -- events and queues ----------------------------------------------------------------------------
EVENT_BUS = EventBus("SwnEventBus")
CHECKOUT_RULE = "CheckoutBasketRule"
CHECKOUT_SOURCE = "com.swn.basket.checkoutbasket"
CHECKOUT_DETAIL_TYPE = "CheckoutBasket"
# One record's limit within a batch (lambdas/shared/batches.py): a healthy one takes 0.05-0.3 s (a batch of
# 10 took up to 2.6 s under a saturated 2-core LocalStack), so this leaves it room; a slow one is cut off.
# Batches of 5 keep the derived timeout (4 s), hence OrderQueue's visibility timeout (24 s) and the wait
# for a failed order's retry, as short as before the limit existed; LocalStack polls again within a second.
ORDER_RECORD_TIMEOUT = 0.7
ORDER_BATCH_SIZE = 5
# Derived, never set by hand: every record of a full batch gets its whole limit (4 s).
ORDERING_TIMEOUT = batch_function_timeout(ORDER_BATCH_SIZE, ORDER_RECORD_TIMEOUT)
ORDER_QUEUE_DLQ = Queue("OrderQueue-dlq")
# AWS advises a visibility timeout of at least 6 x the consumer's timeout.
ORDER_QUEUE = Queue("OrderQueue", visibility_timeout=6 * ORDERING_TIMEOUT, dead_letter=ORDER_QUEUE_DLQ)
# Where EventBridge puts events it could not deliver to each target of the checkout rule.
ORDER_TARGET_DLQ = Queue("CheckoutBasketRule-OrderQueue-dlq")
NOTIFICATION_TARGET_DLQ = Queue("CheckoutBasketRule-notification-dlq")
NOTIFICATION_FAILURES = Queue("notification-failures")
AUDIT_TARGET_DLQ = Queue("CheckoutBasketRule-checkout-audit-dlq")
AUDIT_FAILURES = Queue("checkout-audit-failures")
INVOICE_RESULTS = Queue("invoice-results")
INVOICE_FAILURES = Queue("invoice-failures")
IMAGE_BUCKET = Bucket("product-images")
IMAGE_PREFIX = "products/"
# One UpdateItem per record. Uploads come one at a time, so small batches cost nothing and keep the
# derived timeout (3 s), hence the visibility timeout (18 s) and a failed update's retry, short.
IMAGE_RECORD_TIMEOUT = 0.5
IMAGE_BATCH_SIZE = 5
IMAGE_UPDATER_TIMEOUT = batch_function_timeout(IMAGE_BATCH_SIZE, IMAGE_RECORD_TIMEOUT)
IMAGE_DLQ = Queue("image-metadata-dlq")
IMAGE_METADATA_QUEUE = Queue("image-metadata", visibility_timeout=6 * IMAGE_UPDATER_TIMEOUT, dead_letter=IMAGE_DLQ)
IMAGE_METADATA_FAILURES = Queue("image-metadata-failures")
EMAIL_SENDER = EmailSender("orders@swn.example")

QUEUES = (
    ORDER_QUEUE_DLQ, ORDER_QUEUE, ORDER_TARGET_DLQ, NOTIFICATION_TARGET_DLQ, NOTIFICATION_FAILURES,
    INVOICE_RESULTS, INVOICE_FAILURES, IMAGE_DLQ, IMAGE_METADATA_QUEUE, IMAGE_METADATA_FAILURES,
    AUDIT_TARGET_DLQ, AUDIT_FAILURES,
)
# Where failed work waits, and where `make redrive` sends it back to (None: records of failed
# asynchronous invocations, for reading; their requestPayload can be replayed by hand).
DEAD_LETTER_QUEUES = {
    ORDER_QUEUE_DLQ: ORDER_QUEUE,
    ORDER_TARGET_DLQ: ORDER_QUEUE,
    IMAGE_DLQ: IMAGE_METADATA_QUEUE,
    NOTIFICATION_TARGET_DLQ: None,
    NOTIFICATION_FAILURES: None,
    INVOICE_FAILURES: None,
    IMAGE_METADATA_FAILURES: None,
    AUDIT_TARGET_DLQ: None,
    AUDIT_FAILURES: None,
}

# -- functions ------------------------------------------------------------------------------------
PRODUCT_FUNCTION = Function(
    name="product",
    handler="product.handler.lambda_handler",
    grants=(Grant(READ_WRITE + ("dynamodb:UpdateItem",), PRODUCT_TABLE),),
    environment={"TABLE_NAME": PRODUCT_TABLE},
)
BASKET_FUNCTION = Function(
    name="basket",
    handler="basket.handler.lambda_handler",
    grants=(
        Grant(READ_WRITE + ("dynamodb:UpdateItem",), BASKET_TABLE),
        Grant(("dynamodb:GetItem", "dynamodb:PutItem"), CHECKOUT_TABLE),
        Grant(("events:PutEvents",), EVENT_BUS),
    ),
    environment={
        "TABLE_NAME": BASKET_TABLE,
        "CHECKOUT_TABLE": CHECKOUT_TABLE,
        "EVENT_BUS_NAME": EVENT_BUS,
        "CHECKOUT_SOURCE": CHECKOUT_SOURCE,
        "CHECKOUT_DETAIL_TYPE": CHECKOUT_DETAIL_TYPE,
    },
)
ORDER_API_FUNCTION = Function(
    name="order-api",
    handler="ordering.api.lambda_handler",
    grants=(Grant(("dynamodb:Query", "dynamodb:Scan"), ORDER_TABLE),),
    environment={"TABLE_NAME": ORDER_TABLE},
)
ORDERING_FUNCTION = Function(
    name="ordering",
    handler="ordering.consumer.lambda_handler",
    grants=(
        Grant(("dynamodb:PutItem",), ORDER_TABLE),
        Grant(("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"), IDEMPOTENCY_TABLE),
        Grant(("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"), ORDER_QUEUE),
        FAULT_GRANT,
    ),
    environment={
        "TABLE_NAME": ORDER_TABLE,
        "IDEMPOTENCY_TABLE": IDEMPOTENCY_TABLE,
        "FAULT_TABLE": FAULT_TABLE,
        "RECORD_TIMEOUT": ORDER_RECORD_TIMEOUT,
    },
    timeout=ORDERING_TIMEOUT,
)
NOTIFICATION_FUNCTION = Function(
    name="notification",
    handler="notification.handler.lambda_handler",
    grants=(Grant(("ses:SendEmail",), EMAIL_SENDER), FAULT_GRANT),
    environment={"SENDER": EMAIL_SENDER.address, "FAULT_TABLE": FAULT_TABLE},
    async_invoke=AsyncInvokeConfig(max_retries=2, max_event_age=3600, on_failure=NOTIFICATION_FAILURES),
)
INVOICE_FUNCTION = Function(
    name="invoice",
    handler="invoice.handler.lambda_handler",
    grants=(Grant(("dynamodb:Query",), ORDER_TABLE), FAULT_GRANT),
    environment={"TABLE_NAME": ORDER_TABLE, "FAULT_TABLE": FAULT_TABLE},
    async_invoke=AsyncInvokeConfig(max_retries=2, max_event_age=3600, on_success=INVOICE_RESULTS, on_failure=INVOICE_FAILURES),
)
IMAGE_METADATA_FUNCTION = Function(
    name="image-metadata",
    handler="product_images.metadata.lambda_handler",
    grants=(Grant(("s3:GetObject",), IMAGE_BUCKET), Grant(("sqs:SendMessage",), IMAGE_METADATA_QUEUE)),
    environment={"METADATA_QUEUE_URL": IMAGE_METADATA_QUEUE},
    async_invoke=AsyncInvokeConfig(max_retries=2, max_event_age=3600, on_failure=IMAGE_METADATA_FAILURES),
)
IMAGE_UPDATER_FUNCTION = Function(
    name="product-image-updater",
    handler="product_images.updater.lambda_handler",
    grants=(
        Grant(("dynamodb:UpdateItem",), PRODUCT_TABLE),
        Grant(("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"), IMAGE_METADATA_QUEUE),
    ),
    environment={"TABLE_NAME": PRODUCT_TABLE, "RECORD_TIMEOUT": IMAGE_RECORD_TIMEOUT},
    timeout=IMAGE_UPDATER_TIMEOUT,
)
# Node.js, from lambdas_node/checkout_audit/: a second consumer of CheckoutBasket.
AUDIT_FUNCTION = Function(
    name="checkout-audit",
    handler="index.handler",
    grants=(Grant(("dynamodb:PutItem",), AUDIT_TABLE),),
    environment={"TABLE_NAME": AUDIT_TABLE},
    async_invoke=AsyncInvokeConfig(max_retries=2, max_event_age=3600, on_failure=AUDIT_FAILURES),
    runtime="nodejs20.x",
)
FUNCTIONS = (
    PRODUCT_FUNCTION, BASKET_FUNCTION, ORDER_API_FUNCTION, ORDERING_FUNCTION, NOTIFICATION_FUNCTION, INVOICE_FUNCTION,
    IMAGE_METADATA_FUNCTION, IMAGE_UPDATER_FUNCTION, AUDIT_FUNCTION,
)
SUBSCRIPTIONS = (
    QueueSubscription(ORDER_QUEUE, ORDERING_FUNCTION, batch_size=ORDER_BATCH_SIZE, batching_window=ORDER_BATCHING_WINDOW),
    QueueSubscription(IMAGE_METADATA_QUEUE, IMAGE_UPDATER_FUNCTION, batch_size=IMAGE_BATCH_SIZE),
)
check_batch_budgets(SUBSCRIPTIONS)

# -- APIs -----------------------------------------------------------------------------------------
PRODUCT_API = RestApi("product-api", custom_id="product", tag="product", function=PRODUCT_FUNCTION)
BASKET_API = RestApi("basket-api", custom_id="basket", tag="basket", function=BASKET_FUNCTION)
ORDER_API = RestApi(
    "order-api", custom_id="order", tag="order", function=ORDER_API_FUNCTION, non_proxy={"generateInvoice": INVOICE_FUNCTION}
)
APIS = (PRODUCT_API, BASKET_API, ORDER_API)


def api_url(endpoint_url: str, api: RestApi) -> str:
    """LocalStack's path-style URL for a stage; on AWS the URL is https://<id>.execute-api...."""
    return f"{endpoint_url}/_aws/execute-api/{api.custom_id}/{STAGE}"
