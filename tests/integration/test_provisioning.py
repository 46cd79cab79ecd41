"""The ready hook's deployment (infra/deploy.py): idempotent, least privilege, deployed as the contract
says, and undone by --destroy, after which deploying again restores the shop."""

import json

import pytest
import yaml

from infra import deploy, settings
from infra.arns import Arns
from infra.aws import client
from infra.paths import OPENAPI_DOCUMENT
from infra.stack import APIS, FUNCTIONS, STACK


def test_provisioning_again_changes_nothing_and_fails_nothing(capsys, monkeypatch):
    # Provision the way the running environment was provisioned: archives or hot-reload folders.
    deployed = client("lambda").get_function(FunctionName=FUNCTIONS[0].name)["Code"].get("Location", "")
    monkeypatch.setattr(settings, "HOT_RELOAD", deployed.startswith("file://"))

    deploy.deploy()

    output = capsys.readouterr().out
    assert "done in" in output
    assert not [line for line in output.splitlines() if any(w in line for w in ("created", "updated", "deployed"))]


def test_deployed_routes_match_the_openapi_document():
    document = yaml.safe_load(OPENAPI_DOCUMENT.read_text())
    apigateway = client("apigateway")
    for api in APIS:
        expected = {
            (path, method.upper())
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if isinstance(operation, dict) and api.tag in operation.get("tags", [])
        }
        resources = apigateway.get_resources(restApiId=api.custom_id, limit=500)["items"]
        deployed = {(r["path"], method) for r in resources for method in r.get("resourceMethods", {})}

        catch_alls = {(path, "ANY") for path, _ in expected} | {("/{proxy+}", "ANY")}
        assert deployed == expected | catch_alls, api.name


def test_every_function_is_active_with_its_own_least_privilege_role():
    lambda_client, iam = client("lambda"), client("iam")
    arns = Arns("000000000000", settings.REGION)
    for function in FUNCTIONS:
        config = lambda_client.get_function_configuration(FunctionName=function.name)
        role = config["Role"].rsplit("/", 1)[1]
        policy = iam.get_role_policy(RoleName=role, PolicyName="least-privilege")["PolicyDocument"]
        policy = json.loads(policy) if isinstance(policy, str) else policy
        statements = policy["Statement"]

        assert config["State"] == "Active"
        for statement in statements:
            assert all("*" not in action for action in statement["Action"]), statement
            assert all(resource != "*" and ":*:" not in resource for resource in statement["Resource"]), statement
        granted = {(action, resource) for s in statements for action in s["Action"] for resource in s["Resource"]}
        for grant in function.grants:
            assert {(action, arns(grant.resource)) for action in grant.actions} <= granted, function.name
        resources = {resource for s in statements for resource in s["Resource"]}
        own = {arns(g.resource) for g in function.grants}
        destinations = {arns(q) for q in function.destinations}
        logs = {r for r in resources if f"log-group:/aws/lambda/{function.name}" in r}
        assert resources == own | destinations | logs, f"{function.name} may touch only its own resources"


def deployed_names() -> dict[str, set[str]]:
    """What of the stack exists, by kind."""
    lambda_client, sqs, apigateway, events, s3 = (client(n) for n in ("lambda", "sqs", "apigateway", "events", "s3"))
    functions = {
        f["FunctionName"]
        for page in lambda_client.get_paginator("list_functions").paginate()
        for f in page["Functions"]
    }
    queues = {url.rsplit("/", 1)[-1] for url in sqs.list_queues(MaxResults=1000).get("QueueUrls", [])}
    buses = {b["Name"] for b in events.list_event_buses()["EventBuses"]}
    rules = {
        r["Name"] for bus in STACK.buses if bus.name in buses for r in events.list_rules(EventBusName=bus.name)["Rules"]
    }
    return {
        "tables": set(client("dynamodb").list_tables()["TableNames"]) & {t.name for t in STACK.tables},
        "queues": queues & {q.name for q in STACK.queues},
        "functions": functions & {f.name for f in STACK.functions},
        "apis": {a["name"] for a in apigateway.get_rest_apis(limit=500)["items"]} & {a.name for a in STACK.apis},
        "buses": buses & {b.name for b in STACK.buses},
        "rules": rules & {r.name for r in STACK.rules},
        "buckets": {b["Name"] for b in s3.list_buckets()["Buckets"]} & {b.name for b in STACK.buckets},
        "mappings": {
            m["UUID"]
            for s in STACK.subscriptions
            for m in lambda_client.list_event_source_mappings(FunctionName=s.function.name)["EventSourceMappings"]
        }
        if functions & {s.function.name for s in STACK.subscriptions}
        else set(),
    }


# Deletes the shop under every other test: runs after the whole suite, alone, and deploys it back.
@pytest.mark.after_suite
@pytest.mark.destroys_stack
def test_destroy_removes_everything_declared_twice_without_error_and_deploy_restores_it(capsys, monkeypatch):
    deployed = client("lambda").get_function(FunctionName=FUNCTIONS[0].name)["Code"].get("Location", "")
    monkeypatch.setattr(settings, "HOT_RELOAD", deployed.startswith("file://"))
    assert all(deployed_names().values()), "the whole stack is deployed to begin with"

    # When the stack is destroyed, twice
    deploy.destroy()
    first = capsys.readouterr().out
    gone = deployed_names()
    deploy.destroy()
    second = capsys.readouterr().out

    # Then nothing it declares is left, and the second run had nothing to delete
    assert gone == {kind: set() for kind in gone}, gone
    assert "deleted" in first
    assert "deleted" not in second and "destroyed in" in second

    # And deploying again brings every resource back, after which a deploy changes nothing
    deploy.deploy()
    assert all(deployed_names().values())
    deploy.deploy()
    again = capsys.readouterr().out.split("[deploy] deploying to")[-1]
    assert not [line for line in again.splitlines() if any(w in line for w in ("created", "updated", "deployed"))]
