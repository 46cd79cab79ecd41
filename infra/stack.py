"""The shop's stack: every resource it deploys, declared once. Deployment (infra/deploy.py), the tools,
the tests and the benchmarks import it; the functions get the names they need as environment variables."""

from infra import settings
from infra.model import (
    BATCH_RESERVE_SECONDS,
    AsyncInvokeConfig,
    Bucket,
    BucketNotification,
    EmailSender,
    EventBus,
    Function,
    Grant,
    Queue,
    QueueSubscription,
    RestApi,
    Rule,
    RuleTarget,
    Secret,
    Stack,
    Table,
    batch_function_timeout,
    check_stack,
    consumer_visibility_timeout,
)

STAGE = "prod"
ORDER_BATCHING_WINDOW = settings.ORDER_BATCHING_WINDOW

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
ORDER_QUEUE = Queue(
    "OrderQueue", visibility_timeout=consumer_visibility_timeout(ORDERING_TIMEOUT), dead_letter=ORDER_QUEUE_DLQ
)
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
IMAGE_METADATA_QUEUE = Queue(
    "image-metadata", visibility_timeout=consumer_visibility_timeout(IMAGE_UPDATER_TIMEOUT), dead_letter=IMAGE_DLQ
)
IMAGE_METADATA_FAILURES = Queue("image-metadata-failures")
EMAIL_SENDER = EmailSender("orders@swn.example")

QUEUES = (
    ORDER_QUEUE_DLQ,
    ORDER_QUEUE,
    ORDER_TARGET_DLQ,
    NOTIFICATION_TARGET_DLQ,
    NOTIFICATION_FAILURES,
    INVOICE_RESULTS,
    INVOICE_FAILURES,
    IMAGE_DLQ,
    IMAGE_METADATA_QUEUE,
    IMAGE_METADATA_FAILURES,
    AUDIT_TARGET_DLQ,
    AUDIT_FAILURES,
)

# Signs the nextTokens of the product, basket and order lists (lambdas/shared/pagination.py).
LIST_TOKEN_KEY = Secret("/shop/list-token-key")

# -- functions ------------------------------------------------------------------------------------
PRODUCT_FUNCTION = Function(
    name="product",
    handler="product.handler.lambda_handler",
    grants=(Grant((*READ_WRITE, "dynamodb:UpdateItem"), PRODUCT_TABLE),),
    environment={"TABLE_NAME": PRODUCT_TABLE, "LIST_TOKEN_KEY": LIST_TOKEN_KEY},
)
BASKET_FUNCTION = Function(
    name="basket",
    handler="basket.handler.lambda_handler",
    grants=(
        Grant((*READ_WRITE, "dynamodb:UpdateItem"), BASKET_TABLE),
        Grant(("dynamodb:GetItem", "dynamodb:PutItem"), CHECKOUT_TABLE),
        Grant(("events:PutEvents",), EVENT_BUS),
    ),
    environment={
        "TABLE_NAME": BASKET_TABLE,
        "LIST_TOKEN_KEY": LIST_TOKEN_KEY,
        "CHECKOUT_TABLE": CHECKOUT_TABLE,
        "EVENT_BUS_NAME": EVENT_BUS,
        "CHECKOUT_SOURCE": CHECKOUT_SOURCE,
        "CHECKOUT_DETAIL_TYPE": CHECKOUT_DETAIL_TYPE,
        # Only as the switch for failPublish, which fails without counting attempts (so no grant).
        "FAULT_TABLE": FAULT_TABLE,
    },
)
ORDER_API_FUNCTION = Function(
    name="order-api",
    handler="ordering.api.lambda_handler",
    grants=(Grant(("dynamodb:Query", "dynamodb:Scan"), ORDER_TABLE),),
    environment={"TABLE_NAME": ORDER_TABLE, "LIST_TOKEN_KEY": LIST_TOKEN_KEY},
)
ORDERING_FUNCTION = Function(
    name="ordering",
    handler="ordering.consumer.lambda_handler",
    grants=(
        Grant(("dynamodb:PutItem",), ORDER_TABLE),
        Grant(
            ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"), IDEMPOTENCY_TABLE
        ),
        Grant(("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"), ORDER_QUEUE),
        FAULT_GRANT,
    ),
    environment={
        "TABLE_NAME": ORDER_TABLE,
        "IDEMPOTENCY_TABLE": IDEMPOTENCY_TABLE,
        "FAULT_TABLE": FAULT_TABLE,
        "RECORD_TIMEOUT": ORDER_RECORD_TIMEOUT,
        "BATCH_RESERVE_SECONDS": BATCH_RESERVE_SECONDS,
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
    async_invoke=AsyncInvokeConfig(
        max_retries=2, max_event_age=3600, on_success=INVOICE_RESULTS, on_failure=INVOICE_FAILURES
    ),
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
    environment={
        "TABLE_NAME": PRODUCT_TABLE,
        "RECORD_TIMEOUT": IMAGE_RECORD_TIMEOUT,
        "BATCH_RESERVE_SECONDS": BATCH_RESERVE_SECONDS,
    },
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
    PRODUCT_FUNCTION,
    BASKET_FUNCTION,
    ORDER_API_FUNCTION,
    ORDERING_FUNCTION,
    NOTIFICATION_FUNCTION,
    INVOICE_FUNCTION,
    IMAGE_METADATA_FUNCTION,
    IMAGE_UPDATER_FUNCTION,
    AUDIT_FUNCTION,
)
SUBSCRIPTIONS = (
    QueueSubscription(
        ORDER_QUEUE, ORDERING_FUNCTION, batch_size=ORDER_BATCH_SIZE, batching_window=ORDER_BATCHING_WINDOW
    ),
    QueueSubscription(IMAGE_METADATA_QUEUE, IMAGE_UPDATER_FUNCTION, batch_size=IMAGE_BATCH_SIZE),
)

# -- APIs -----------------------------------------------------------------------------------------
PRODUCT_API = RestApi("product-api", custom_id="product", tag="product", function=PRODUCT_FUNCTION)
BASKET_API = RestApi("basket-api", custom_id="basket", tag="basket", function=BASKET_FUNCTION)
ORDER_API = RestApi(
    "order-api",
    custom_id="order",
    tag="order",
    function=ORDER_API_FUNCTION,
    non_proxy={"generateInvoice": INVOICE_FUNCTION},
)
APIS = (PRODUCT_API, BASKET_API, ORDER_API)

# -- event routing and bucket notifications -------------------------------------------------------
# Each target has its own dead-letter queue for the events EventBridge could not deliver to it.
CHECKOUT_RULE = Rule(
    "CheckoutBasketRule",
    bus=EVENT_BUS,
    source=CHECKOUT_SOURCE,
    detail_type=CHECKOUT_DETAIL_TYPE,
    targets=(
        RuleTarget("order-queue", ORDER_QUEUE, dead_letter=ORDER_TARGET_DLQ),
        RuleTarget("notification", NOTIFICATION_FUNCTION, dead_letter=NOTIFICATION_TARGET_DLQ),
        RuleTarget("checkout-audit", AUDIT_FUNCTION, dead_letter=AUDIT_TARGET_DLQ),
    ),
)
RULES = (CHECKOUT_RULE,)
IMAGE_UPLOADS = BucketNotification("image-metadata", IMAGE_BUCKET, IMAGE_METADATA_FUNCTION, prefix=IMAGE_PREFIX)

STACK = Stack(
    tables=TABLES,
    queues=QUEUES,
    email_senders=(EMAIL_SENDER,),
    functions=FUNCTIONS,
    apis=APIS,
    buses=(EVENT_BUS,),
    rules=RULES,
    buckets=(IMAGE_BUCKET,),
    notifications=(IMAGE_UPLOADS,),
    subscriptions=SUBSCRIPTIONS,
)
# Refuses a stack that would lose failures silently, refer to an undeclared resource, or starve a batch.
check_stack(STACK)


def api_url(endpoint_url: str, api: RestApi) -> str:
    """LocalStack's path-style URL for a stage; on AWS the URL is https://<id>.execute-api...."""
    return f"{endpoint_url}/_aws/execute-api/{api.custom_id}/{STAGE}"
