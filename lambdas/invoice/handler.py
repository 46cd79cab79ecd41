"""Invoice generation, callable either way through API Gateway (POST /order/{userName}/invoice):
synchronously (RequestResponse) or, with the header InvocationType: Event, asynchronously, when the
result goes to the on-success destination queue."""

import json

from aws_lambda_powertools import Logger

from invoice.logic import invoice_for
from shared import api_contract as contract
from shared import faults
from shared.config import require_env
from shared.dynamo import KeyValueTable
from shared.errors import tagged_with_class
from shared.http import to_json

logger = Logger(service="invoice")
orders = KeyValueTable(require_env("TABLE_NAME"), key="userName")


@logger.inject_lambda_context
def lambda_handler(event, context):
    # The API's request template sends {"userName": <path>, "request": <body>}. API Gateway picks the
    # status from the error's class tag (shared.errors.STATUSES), whatever the message says.
    with tagged_with_class():
        request = event["request"]
        contract.refuse_unstorable_parameters({"userName": event["userName"]})
        contract.refuse_unstorable_text(request)
        contract.check(request, "InvoiceRequest")
        faults.apply(request, default_key=f"invoice:{event['userName']}:{request['orderDate']}")
        invoice = invoice_for(orders, event["userName"], request["orderDate"])
    logger.info("invoice generated", invoice_number=invoice["invoiceNumber"])
    return json.loads(to_json(invoice))
