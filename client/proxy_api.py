"""A REST API that sends every path and method to one function (a {proxy+} resource, AWS_PROXY), as
CDK's LambdaRestApi and SAM's Api event define it: for the tests and the bench that need an API of
their own."""

import uuid

from infra import settings
from infra.aws import client


def create_proxy_api(function_arn: str, stage: str, prefix: str = "proxy") -> str:
    """Creates and deploys the API to `stage`; its id (the caller deletes it)."""
    apigateway = client("apigateway")
    api_id = apigateway.create_rest_api(name=f"{prefix}-{uuid.uuid4().hex[:8]}")["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    resource = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigateway.put_method(restApiId=api_id, resourceId=resource, httpMethod="ANY", authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="ANY",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{settings.REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    apigateway.create_deployment(restApiId=api_id, stageName=stage)
    return api_id


def stage_url(api_id: str, stage: str) -> str:
    """LocalStack's path-style URL of the API's stage."""
    return f"{settings.ENDPOINT_URL}/_aws/execute-api/{api_id}/{stage}"
