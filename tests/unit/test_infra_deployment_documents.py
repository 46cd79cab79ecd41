"""What deployment sends, computed without AWS: each API's OpenAPI document, roles from grants,
queue policies from rules, functions' environments."""

import json

import yaml

from infra.arns import Arns
from infra.openapi import openapi_for
from infra.paths import OPENAPI_DOCUMENT
from infra.policies import queue_policy, role_policy
from infra.reconcilers.lambda_ import environment_of
from infra.stack import APIS, FUNCTIONS, INVOICE_FUNCTION, ORDER_API, ORDER_QUEUE, ORDERING_FUNCTION, STACK

ARNS = Arns("000000000000", "us-east-1")
CONTRACT = yaml.safe_load(OPENAPI_DOCUMENT.read_text())


def integrations(document: dict) -> dict[tuple[str, str], dict]:
    return {
        (path, method): operation["x-amazon-apigateway-integration"]
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "x-amazon-apigateway-integration" in operation
    }


def test_each_api_gets_exactly_its_tagged_operations_plus_the_two_catch_alls():
    for api in APIS:
        tagged = {
            (path, method)
            for path, item in CONTRACT["paths"].items()
            for method, operation in item.items()
            if isinstance(operation, dict) and api.tag in operation.get("tags", [])
        }
        wired = integrations(openapi_for(api, ARNS, CONTRACT))
        catch_alls = {(path, "x-amazon-apigateway-any-method") for path, _ in tagged} | {
            ("/{proxy+}", "x-amazon-apigateway-any-method")
        }
        assert set(wired) == tagged | catch_alls, api.name
        assert openapi_for(api, ARNS, CONTRACT)["info"]["title"] == api.name


def test_operations_go_to_the_api_function_by_proxy_except_the_invoice():
    wired = integrations(openapi_for(ORDER_API, ARNS, CONTRACT))
    non_proxy = {key: value for key, value in wired.items() if value["type"] == "aws"}
    assert [key for key in non_proxy] == [("/order/{userName}/invoice", "post")]
    assert ARNS(INVOICE_FUNCTION) in non_proxy[("/order/{userName}/invoice", "post")]["uri"]
    assert all(ARNS(ORDER_API.function) in v["uri"] for k, v in wired.items() if k not in non_proxy)


def test_the_contract_document_is_not_changed_by_wiring_it():
    before = json.dumps(CONTRACT, sort_keys=True)
    openapi_for(ORDER_API, ARNS, CONTRACT)
    assert json.dumps(CONTRACT, sort_keys=True) == before


def test_a_role_allows_the_grants_destinations_and_own_logs_only():
    for function in FUNCTIONS:
        statements = role_policy(ARNS, function)["Statement"]
        resources = {r for s in statements for r in s["Resource"]}
        expected = {ARNS(g.resource) for g in function.grants} | {ARNS(q) for q in function.destinations}
        logs = {ARNS.log_group(function), f"{ARNS.log_group(function)}:*"}
        assert resources == expected | logs, function.name
        assert all("*" not in action for s in statements for action in s["Action"])


def test_a_queue_policy_lets_only_its_rules_send():
    [order_queue] = [p for p in STACK.queue_policies if p.queue == ORDER_QUEUE]
    [statement] = queue_policy(ARNS, order_queue)["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == ARNS(ORDER_QUEUE)
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": ["arn:aws:events:us-east-1:000000000000:rule/SwnEventBus/CheckoutBasketRule"]}
    }


def test_environment_names_resources_and_stringifies_settings():
    environment = environment_of(ORDERING_FUNCTION, queue_urls={})
    assert environment["TABLE_NAME"] == "order" and environment["IDEMPOTENCY_TABLE"] == "idempotency"
    assert environment["RECORD_TIMEOUT"] == "0.7" and environment["POWERTOOLS_SERVICE_NAME"] == "ordering"
