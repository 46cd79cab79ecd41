"""Order API (synchronous: API Gateway -> this function -> DynamoDB)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from ordering import logic
from shared.config import require_env
from shared.dynamo import KeyValueTable
from shared.http import create_app
from shared.pagination import page_request

logger = Logger(service="ordering")
app = create_app(logger)
orders = KeyValueTable(require_env("TABLE_NAME"), key="userName", sort_key="orderDate")
# Signs the lists' nextTokens (shared/pagination.py): made once per environment by provisioning.
LIST_TOKEN_KEY = require_env("LIST_TOKEN_KEY").encode()


@app.get("/order")
def list_orders():
    query = app.current_event.get_query_string_value
    return logic.list_orders(orders, page_request(query("limit"), query("nextToken"), LIST_TOKEN_KEY))


@app.get("/order/<user_name>")
def get_orders(user_name: str):
    return logic.get_orders(orders, user_name, app.current_event.get_query_string_value("orderDate"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event, context):
    return app.resolve(event, context)
