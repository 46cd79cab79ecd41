"""URLs of an app's REST APIs and function URLs, in forms that answer on this machine offline.

LocalStack's own forms, https://<id>.execute-api.localhost.localstack.cloud:<port>/ and the function URLs
it reports, need DNS to resolve *.localhost.localstack.cloud to 127.0.0.1; offline they do not resolve.
REST APIs answer on the loopback address under a path instead. Function URLs are routed by host name
only: <id>.lambda-url.<region>.localhost resolves to the loopback address in curl and in browsers."""

import urllib.parse

from botocore.exceptions import ClientError

from embedded_localstack import clients


def rest_api_urls(api_id: str, apigateway) -> list[str]:
    stages = apigateway.get_stages(restApiId=api_id).get("item", [])
    return [f"{clients.endpoint_url()}/_aws/execute-api/{api_id}/{stage['stageName']}/" for stage in stages]


def offline_function_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    url_id = (parts.hostname or "").split(".")[0]
    port = urllib.parse.urlsplit(clients.endpoint_url()).port or 4566
    return f"http://{url_id}.lambda-url.{clients.region()}.localhost:{port}/"


def function_url(function: str, lambda_client) -> str | None:
    try:
        return offline_function_url(lambda_client.get_function_url_config(FunctionName=function)["FunctionUrl"])
    except ClientError:
        return None


def of_resources(resources: list[dict]) -> list[tuple[str, str]]:
    """(what, url) for each REST API stage and function URL among a stack's resources."""
    apigateway, lambda_client = clients.client("apigateway"), clients.client("lambda")
    found = []
    for resource in resources:
        kind, physical = resource["ResourceType"], resource.get("PhysicalResourceId")
        if not physical:
            continue
        if kind == "AWS::ApiGateway::RestApi":
            found += [(f"REST API {resource['LogicalResourceId']}", url) for url in rest_api_urls(physical, apigateway)]
        elif kind == "AWS::Lambda::Function":
            url = function_url(physical, lambda_client)
            if url:
                found.append((f"function URL {resource['LogicalResourceId']}", url))
    return found
