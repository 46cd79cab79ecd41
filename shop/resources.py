"""The one place for resource names and the shape of the deployment. Provisioning, tests and tools
import it; the functions get the names they need as environment variables."""

from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
OPENAPI_DOCUMENT = PROJECT_DIR / "api" / "openapi.yaml"
LAMBDA_SOURCES = PROJECT_DIR / "lambdas"
ARCHIVES_DIR = PROJECT_DIR / "build" / "lambdas"

STAGE = "prod"
LAMBDA_RUNTIME = "python3.12"


@dataclass(frozen=True)
class Table:
    name: str
    partition_key: str
    sort_key: str | None = None


@dataclass(frozen=True)
class Function:
    name: str
    package: str  # folder under lambdas/, shipped in the archive with lambdas/shared
    handler: str
    table: Table
    # Only what the code calls: each function's role allows these actions on its own table only.
    table_actions: tuple[str, ...]
    timeout: int = 10
    memory: int = 256
    environment: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RestApi:
    name: str
    custom_id: str  # LocalStack's _custom_id_ tag keeps the URL stable across restarts
    tag: str  # operations with this OpenAPI tag belong to this API
    function: Function


PRODUCT_TABLE = Table("product", partition_key="id")
BASKET_TABLE = Table("basket", partition_key="userName")
ORDER_TABLE = Table("order", partition_key="userName", sort_key="orderDate")
TABLES = (PRODUCT_TABLE, BASKET_TABLE, ORDER_TABLE)

PRODUCT_FUNCTION = Function(
    name="product",
    package="product",
    handler="product.handler.lambda_handler",
    table=PRODUCT_TABLE,
    table_actions=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan"),
)
BASKET_FUNCTION = Function(
    name="basket",
    package="basket",
    handler="basket.handler.lambda_handler",
    table=BASKET_TABLE,
    table_actions=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan"),
)
ORDERING_FUNCTION = Function(
    name="ordering",
    package="ordering",
    handler="ordering.handler.lambda_handler",
    table=ORDER_TABLE,
    table_actions=("dynamodb:Query", "dynamodb:Scan"),
)
FUNCTIONS = (PRODUCT_FUNCTION, BASKET_FUNCTION, ORDERING_FUNCTION)

PRODUCT_API = RestApi("product-api", custom_id="product", tag="product", function=PRODUCT_FUNCTION)
BASKET_API = RestApi("basket-api", custom_id="basket", tag="basket", function=BASKET_FUNCTION)
ORDER_API = RestApi("order-api", custom_id="order", tag="order", function=ORDERING_FUNCTION)
APIS = (PRODUCT_API, BASKET_API, ORDER_API)


def api_url(endpoint_url: str, api: RestApi) -> str:
    """LocalStack's path-style URL for a stage; on AWS the URL is https://<id>.execute-api...."""
    return f"{endpoint_url}/_aws/execute-api/{api.custom_id}/{STAGE}"
