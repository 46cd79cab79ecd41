"""Product API (synchronous: API Gateway -> this function -> DynamoDB)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from product import logic
from shared.api_contract import parse_body
from shared.config import require_env
from shared.dynamo import KeyValueTable
from shared.http import create_app, no_content, request_body
from shared.pagination import page_request

logger = Logger(service="product")
app = create_app(logger)
products = KeyValueTable(require_env("TABLE_NAME"), key="id")
# Signs the lists' nextTokens (shared/pagination.py): made once per environment by provisioning.
LIST_TOKEN_KEY = require_env("LIST_TOKEN_KEY").encode()


@app.get("/product")
def list_products():
    query = app.current_event.get_query_string_value
    return logic.list_products(
        products, page_request(query("limit"), query("nextToken"), LIST_TOKEN_KEY), query("category")
    )


@app.post("/product")
def create_product():
    product = logic.create_product(products, parse_body(request_body(app), "ProductInput"))
    logger.info("product created", product_id=product["id"])
    return product, 201


@app.get("/product/<product_id>")
def get_product(product_id: str):
    category = app.current_event.get_query_string_value("category")
    if category is not None:
        return logic.get_product_in_category(products, product_id, category)
    return logic.get_product(products, product_id)


@app.put("/product/<product_id>")
def update_product(product_id: str):
    return logic.update_product(products, product_id, parse_body(request_body(app), "ProductUpdate"))


@app.delete("/product/<product_id>")
def delete_product(product_id: str):
    logic.delete_product(products, product_id)
    return no_content()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event, context):
    return app.resolve(event, context)
