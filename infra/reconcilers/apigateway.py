"""REST APIs from the contract (infra/openapi.py). Drift: the API's description records the sha256 of
the document it was deployed from, so an unchanged contract is not deployed again."""

import hashlib
import json

from infra.model import RestApi
from infra.openapi import openapi_for
from infra.stack import STAGE
from infra.target import Target, log


def find_api(target: Target, name: str) -> dict | None:
    for page in target.client("apigateway").get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            if api["name"] == name:
                return api
    return None


def ensure_api(target: Target, api: RestApi) -> str:
    """Returns the API's id."""
    apigateway = target.client("apigateway")
    document = openapi_for(api, target.arns)
    description = "contract sha256 " + hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    document["info"]["description"] = description
    existing = find_api(target, api.name)
    if existing is None:
        existing = apigateway.create_rest_api(name=api.name, tags={"_custom_id_": api.custom_id})
    if existing.get("description") != description:
        apigateway.put_rest_api(restApiId=existing["id"], mode="overwrite", body=json.dumps(document).encode())
        apigateway.create_deployment(restApiId=existing["id"], stageName=STAGE)
        log(f"API {api.name} ({existing['id']}) deployed to stage {STAGE}")
    return existing["id"]


def delete_api(target: Target, api: RestApi) -> None:
    existing = find_api(target, api.name)
    if existing is not None:
        target.client("apigateway").delete_rest_api(restApiId=existing["id"])
        log(f"API {api.name} deleted")
