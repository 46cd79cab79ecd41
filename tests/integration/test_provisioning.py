"""The ready hook's provisioning: idempotent, least privilege, and deployed as the contract says."""

import json

import yaml

from shop import provision, settings
from shop.aws import client
from shop.resources import APIS, FUNCTIONS, OPENAPI_DOCUMENT


def test_provisioning_again_changes_nothing_and_fails_nothing(capsys, monkeypatch):
    # Provision the way the running environment was provisioned: archives or hot-reload folders.
    deployed = client("lambda").get_function(FunctionName=FUNCTIONS[0].name)["Code"].get("Location", "")
    monkeypatch.setattr(settings, "HOT_RELOAD", deployed.startswith("file://"))

    provision.provision()

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
    arns = provision.Arns("000000000000")
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
        destinations = {arns(q) for q in (function.async_invoke.on_success, function.async_invoke.on_failure) if q} if function.async_invoke else set()
        logs = {r for r in resources if f"log-group:/aws/lambda/{function.name}" in r}
        assert resources == own | destinations | logs, f"{function.name} may touch only its own resources"
