"""One's own app in the running environment (make deploy-app / destroy-app, docs/your-own-app.md): a SAM
app and a bare CloudFormation template deploy, answer on this machine and leave nothing when destroyed;
a name the shop holds, and bad input, get a clear message and leave no stack."""

import json
import subprocess
import uuid

import pytest
import requests

from client.waiting import eventually
from embedded_localstack import apps, clients
from embedded_localstack.apps import records
from infra import reserved_names
from infra.stack import BASKET_TABLE, LIST_TOKEN_KEY, PRODUCT_TABLE
from tests.integration.embedded_instances import PROJECT
from tests.integration.own_apps import artifacts, copy_app, leftovers, stack_exists


def make_app(target: str, app, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", target, f"APP={app}"], cwd=PROJECT, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_sam_app_answers_its_api_and_queue_then_destroy_leaves_nothing(tmp_path):
    # Given a SAM app: a Python function behind a REST API and an SQS trigger
    folder = copy_app("sam_app", tmp_path)

    # When it is deployed
    deployment = apps.deploy(folder, *reserved_names.shop())
    try:
        # Then every printed URL answers (SAM makes a "Stage" stage besides Prod), first request included
        assert deployment.urls and all(what == "REST API ServerlessRestApi" for what, _ in deployment.urls)
        for _, url in deployment.urls:
            assert requests.get(f"{url}items/missing", timeout=30).json() == {"message": "no such item"}
        [api] = [url for _, url in deployment.urls if url.endswith("/Prod/")]
        item = {"id": uuid.uuid4().hex, "name": "pen"}
        created = requests.post(f"{api}items", json=item, timeout=30)
        assert created.status_code == 201, created.text
        assert requests.get(f"{api}items/{item['id']}", timeout=10).json() == item | {"via": "api"}

        # And a message on its queue reaches the function, which stores it
        queued = {"id": uuid.uuid4().hex, "name": "ink"}
        clients.client("sqs").send_message(QueueUrl=deployment.outputs["InboxUrl"], MessageBody=json.dumps(queued))
        table = deployment.outputs["TableName"]
        stored = eventually(
            lambda: clients.client("dynamodb").get_item(TableName=table, Key={"id": {"S": queued["id"]}}).get("Item"),
            timeout=30,
            what="the queued item in the app's table",
        )
        assert stored["via"] == {"S": "sqs"}
    finally:
        # When it is destroyed
        stacks = apps.destroy(folder)

    # Then nothing of it is left: no stack, resource, uploaded code or record
    assert stacks == deployment.stacks
    assert not stack_exists(deployment.stacks[0])
    assert leftovers(deployment.resources) == []
    assert artifacts(deployment.stacks[0]) == []
    assert records.recorded(folder) is None


def test_cloudformation_template_app_deploys_and_its_function_url_answers_offline(tmp_path):
    # Given a folder with a bare CloudFormation template (a function URL, a table, a queue)
    folder = copy_app("cfn_app", tmp_path)

    # When it is deployed through the Makefile
    deployed = make_app("deploy-app", folder)

    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    stack = folder.name
    try:
        resources = clients.client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
        assert {r["ResourceType"] for r in resources} >= {"AWS::Lambda::Function", "AWS::DynamoDB::Table"}
        # Then the printed function URL answers on this machine, with no DNS (curl resolves *.localhost itself)
        [url] = [line.split(": ", 1)[1] for line in deployed.stdout.splitlines() if "function URL" in line]
        answer = subprocess.run(["curl", "-sS", "-m", "30", url], capture_output=True, text=True, check=False)
        assert json.loads(answer.stdout) == {"hello": "from cfn_app"}, answer.stderr
        # And make urls lists it
        listed = subprocess.run(["make", "urls"], cwd=PROJECT, capture_output=True, text=True, check=False)
        assert url in listed.stdout, listed.stdout + listed.stderr
    finally:
        destroyed = make_app("destroy-app", folder)

    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert not stack_exists(stack)
    assert leftovers(resources) == []


def test_app_naming_a_shop_table_is_refused_with_the_fix_and_leaves_nothing(tmp_path):
    # Given the shop deployed, and an app that declares a table named like one of the shop's, and a queue
    folder = tmp_path / f"clash-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    queue = f"clash-queue-{uuid.uuid4().hex[:8]}"
    (folder / "template.json").write_text(
        json.dumps(
            {
                "AWSTemplateFormatVersion": "2010-09-09",
                "Resources": {
                    "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue}},
                    "Products": {
                        "Type": "AWS::DynamoDB::Table",
                        "Properties": {
                            "TableName": PRODUCT_TABLE.name,
                            "BillingMode": "PAY_PER_REQUEST",
                            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                        },
                    },
                },
            }
        )
    )
    product_table = clients.client("dynamodb").describe_table(TableName=PRODUCT_TABLE.name)["Table"]

    # When it is deployed
    result = make_app("deploy-app", folder)

    # Then the error names the resource, its owner and the fix
    assert result.returncode != 0
    assert f"Products (AWS::DynamoDB::Table) is named '{PRODUCT_TABLE.name}'" in result.stderr
    assert "belongs to the shop" in result.stderr
    assert "SHOP=0 make up" in result.stderr and "rename Products" in result.stderr
    # And nothing was made, nor the shop's table touched
    assert not stack_exists(folder.name)
    assert queue not in json.dumps(clients.client("sqs").list_queues(QueueNamePrefix="clash-queue"))
    after = clients.client("dynamodb").describe_table(TableName=PRODUCT_TABLE.name)["Table"]
    assert after["TableArn"] == product_table["TableArn"]
    assert after["CreationDateTime"] == product_table["CreationDateTime"]


@pytest.mark.parametrize(
    ("kind", "name_property", "declared_as", "shop_name"),
    [
        ("AWS::DynamoDB::Table", "TableName", {"Ref": "TableName"}, BASKET_TABLE.name),
        ("AWS::SSM::Parameter", "Name", {"Fn::Sub": LIST_TOKEN_KEY.name}, LIST_TOKEN_KEY.name),
    ],
    ids=["table-named-by-a-parameter", "parameter-named-by-fn-sub"],
)
def test_a_shop_name_reached_through_an_expression_is_refused_too_and_the_shops_resource_stays(
    tmp_path, kind, name_property, declared_as, shop_name
):
    # Given an app whose resource takes a shop resource's name through a parameter or Fn::Sub (LocalStack,
    # undoing the failed stack, would delete the shop's resource of that name)
    folder = tmp_path / f"clash-expr-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    properties = {name_property: declared_as}
    if kind == "AWS::DynamoDB::Table":
        properties |= {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        }
    else:
        properties |= {"Type": "String", "Value": "stolen"}
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"TableName": {"Type": "String", "Default": BASKET_TABLE.name}},
        "Resources": {"Clash": {"Type": kind, "Properties": properties}},
    }
    (folder / "template.json").write_text(json.dumps(template))

    # When it is deployed
    result = make_app("deploy-app", folder)

    # Then it is refused as belonging to the shop, nothing is made, and the shop's resource is still there
    assert result.returncode != 0
    assert f"is named '{shop_name}'" in result.stderr and "belongs to the shop" in result.stderr, result.stderr
    assert not stack_exists(folder.name)
    if kind == "AWS::DynamoDB::Table":
        clients.client("dynamodb").describe_table(TableName=shop_name)
    else:
        clients.client("ssm").get_parameter(Name=shop_name)


def _missing(tmp_path):
    return tmp_path / "no-such-app"


def _no_template(tmp_path):
    folder = tmp_path / f"notes-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    (folder / "README.md").write_text("just notes\n")
    (folder / "settings.yaml").write_text("colour: blue\n")
    return folder


def _syntax_error(tmp_path):
    folder = tmp_path / f"broken-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    (folder / "stack.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n   Properties: {}\n"
    )
    return folder


def _template_of(text: str):
    def make(tmp_path):
        folder = tmp_path / f"odd-{uuid.uuid4().hex[:8]}"
        folder.mkdir()
        (folder / "stack.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\n" + text)
        return folder

    return make


@pytest.mark.parametrize(
    ("make_folder", "message"),
    [
        (_missing, "does not exist; APP=<dir> names your app's folder"),
        (_no_template, "holds no app this environment recognises: no cdk.json (CDK), no template.yaml"),
        (_syntax_error, "stack.yaml: YAML syntax error at line 5, column 4"),
        (_template_of("Resources: 5\n"), "Resources must be a mapping of logical ids to resources"),
        (_template_of("Resources:\n  X: hello\n"), "resource X must be a mapping with a Type"),
    ],
    ids=["missing-folder", "no-template", "syntax-error", "resources-not-a-mapping", "resource-not-a-mapping"],
)
def test_bad_app_folder_gets_a_clear_message_and_leaves_no_stack(tmp_path, make_folder, message):
    folder = make_folder(tmp_path)

    result = make_app("deploy-app", folder, timeout=60)

    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not stack_exists(folder.name)
    assert records.recorded(folder) is None


def test_stack_that_fails_names_the_failing_resource_and_leaves_nothing(tmp_path):
    # Given a template whose function names a role that cannot be assumed by a runtime that does not exist
    folder = tmp_path / f"failing-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    queue = f"failing-queue-{uuid.uuid4().hex[:8]}"
    (folder / "stack.yaml").write_text(
        f"""AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {{QueueName: {queue}}}
  Broken:
    Type: AWS::Lambda::Function
    DependsOn: Queue
    Properties:
      Runtime: cobol85
      Handler: index.handler
      Role: arn:aws:iam::000000000000:role/none
      Code: {{ZipFile: "x"}}
"""
    )
    with pytest.raises(apps.AppError) as failed:
        apps.deploy(folder)

    # Then the message names the first failing resource and CloudFormation's reason, and says nothing is left
    assert "Broken (AWS::Lambda::Function" in str(failed.value), str(failed.value)
    assert "cobol85" in str(failed.value), str(failed.value)
    assert "nothing is left" in str(failed.value)
    assert not stack_exists(folder.name)
    assert queue not in json.dumps(clients.client("sqs").list_queues(QueueNamePrefix="failing-queue"))
    assert records.recorded(folder) is None


def test_app_naming_a_resource_someone_else_made_is_refused_and_that_resource_survives(tmp_path):
    # Given a queue made outside any app, and an app that declares a queue of the same name
    sqs = clients.client("sqs")
    name = f"someone-elses-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    folder = tmp_path / f"taker-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    (folder / "stack.yaml").write_text(
        f"Resources:\n  Mine:\n    Type: AWS::SQS::Queue\n    Properties: {{QueueName: {name}}}\n"
    )
    try:
        # When it is deployed
        with pytest.raises(apps.AppError) as refused:
            apps.deploy(folder)

        # Then it is refused up front, and the other queue is still there
        assert f"Mine (AWS::SQS::Queue) is named '{name}'" in str(refused.value)
        assert "already exists in this environment" in str(refused.value)
        assert not stack_exists(folder.name)
        assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_a_resource_type_localstack_lacks_is_named_in_a_warning_not_passed_over_in_silence(tmp_path):
    # Given a template with a type LocalStack Community does not have (it marks such a resource done)
    folder = tmp_path / f"appsync-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    (folder / "stack.yaml").write_text(
        "Resources:\n  Graph:\n    Type: AWS::AppSync::GraphQLApi\n    Properties: {Name: g, AuthenticationType: API_KEY}\n"
        "  Inbox:\n    Type: AWS::SQS::Queue\n"
    )

    deployment = apps.deploy(folder)
    try:
        # Then the deploy names it, and only it
        assert [r["LogicalResourceId"] for r in deployment.skipped] == ["Graph"]
        assert "WARNING: LocalStack Community skipped Graph (AWS::AppSync::GraphQLApi)" in deployment.describe()
        assert "skipped Inbox" not in deployment.describe()
    finally:
        apps.destroy(folder)
