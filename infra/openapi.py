"""Each REST API's OpenAPI document: the contract's operations for it, wired to its functions with
API Gateway's extensions. Pure functions, unit-tested in tests/unit/test_infra_deployment_documents.py."""

import copy
import importlib.util

from infra.arns import Arns
from infra.model import RestApi
from infra.openapi_document import load_contract
from infra.paths import LAMBDA_SOURCES


def _functions_errors():
    """lambdas/shared/errors.py (the error-to-status table), loaded as a module of its own: importing
    the `shared` package would run a function's start-up (shared/__init__.py), not a deployer's."""
    spec = importlib.util.spec_from_file_location("shop_function_errors", LAMBDA_SOURCES / "shared" / "errors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


errors = _functions_errors()
STATUSES, class_tag = errors.STATUSES, errors.class_tag

# Any error of a non-proxy function whose class STATUSES does not name.
UNCLASSIFIED_STATUS = "502"


def proxy_integration(region: str, function_arn: str) -> dict:
    return {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "passthroughBehavior": "when_no_match",
        "uri": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    }


def _literal(tag: str) -> str:
    # Java's regular expressions (API Gateway's) and Python's (LocalStack's) read this alike.
    return tag.replace("[", "\\[").replace("]", "\\]")


def error_responses() -> dict:
    """Integration responses for a non-proxy function's errors, generated from shared.errors.STATUSES:
    API Gateway matches selection patterns against errorMessage only, so each class's tag
    (shared.errors.class_tag) selects its status, and whatever carries no tag is 502. The tag is
    taken off the message the client sees."""
    responses = {}
    tags = [class_tag(error_class) for error_class in STATUSES]
    for error_class, status in STATUSES.items():
        tag = class_tag(error_class)
        message = f"$input.path('$.errorMessage').replace('{tag}', '')"
        responses[f"^{_literal(tag)}[\\s\\S]*"] = {
            "statusCode": str(int(status)),
            "responseTemplates": {"application/json": f'{{"message": "$util.escapeJavaScript({message})"}}'},
        }
    untagged = "|".join(_literal(tag) for tag in tags)
    responses[f"^(?!{untagged})[\\s\\S]+"] = {
        "statusCode": UNCLASSIFIED_STATUS,
        "responseTemplates": {
            "application/json": '{"message": "$util.escapeJavaScript($input.path(\'$.errorMessage\'))"}'
        },
    }
    return responses


def either_way_integration(region: str, function_arn: str) -> dict:
    """Lambda non-proxy integration that the client can call synchronously or asynchronously: its
    InvocationType header becomes Lambda's X-Amz-Invocation-Type. An async call answers 202 at once."""
    either_way = (
        "#if($input.params('InvocationType') == 'Event')"
        '#set($context.responseOverride.status = 202){"status": "accepted", "requestId": "$context.requestId"}'
        "#else$input.body#end"
    )
    return proxy_integration(region, function_arn) | {
        "type": "aws",
        "passthroughBehavior": "never",
        "requestParameters": {
            "integration.request.header.X-Amz-Invocation-Type": "method.request.header.InvocationType"
        },
        "requestTemplates": {
            "application/json": '{"userName": "$util.escapeJavaScript($input.params(\'userName\'))", "request": $input.json(\'$\')}'
        },
        "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": either_way}}}
        | error_responses(),
    }


def openapi_for(api: RestApi, arns: Arns, contract: dict | None = None) -> dict:
    """The contract's operations tagged for this API, each wired to its function.

    Two catch-alls go to the API's function too, so that it answers 405 for a method a path does not
    have and 404 for an unknown path, as JSON; API Gateway alone answers both with 403."""
    document = contract if contract is not None else load_contract()
    proxy = {"x-amazon-apigateway-integration": proxy_integration(arns.region, arns(api.function))}
    paths = {}
    for path, item in document["paths"].items():
        operations = {}
        for method, operation in item.items():
            if not isinstance(operation, dict) or api.tag not in operation.get("tags", []):
                continue
            special = api.non_proxy.get(operation.get("operationId"))
            wiring = (
                {"x-amazon-apigateway-integration": either_way_integration(arns.region, arns(special))}
                if special
                else proxy
            )
            operations[method] = operation | wiring
        if operations:
            paths[path] = operations | {key: value for key, value in item.items() if key == "parameters"}
            paths[path]["x-amazon-apigateway-any-method"] = proxy
    proxy_parameter = {"name": "proxy", "in": "path", "required": True, "schema": {"type": "string"}}
    paths["/{proxy+}"] = {"x-amazon-apigateway-any-method": proxy | {"parameters": [proxy_parameter]}}
    document = copy.deepcopy(document) | {"paths": paths}
    document["info"] = document["info"] | {"title": api.name}
    return document
