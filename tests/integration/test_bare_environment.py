"""SHOP=0 make up: a bare environment without any of the shop's resources, for one's own apps, which
APPS=<dir> deploys once LocalStack is ready. Each test on a private instance (own port and state)."""

import time

import boto3
import pytest

from infra.stack import STACK
from tests.integration.embedded_instances import make, private_env
from tests.integration.own_apps import copy_app

pytestmark = pytest.mark.lifecycle


@pytest.fixture
def bare(tmp_path):
    env = private_env(tmp_path, SHOP="0")
    yield env
    make("down", env)


def _client(env, service):
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{env['LOCALSTACK_PORT']}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_bare_environment_holds_no_shop_resource_and_deploys_the_apps_named(bare, tmp_path):
    # Given an app, named by APPS
    app = copy_app("cfn_app", tmp_path)
    bare["APPS"] = str(app)

    # When the environment starts with SHOP=0
    started = time.monotonic()
    result = make("up", bare)
    print(f"SHOP=0 APPS=<one template> make up -> ready: {time.monotonic() - started:.1f} s")

    # Then it is ready, with none of the shop's resources, and with the app
    assert result.returncode == 0, result.stdout + result.stderr
    tables = _client(bare, "dynamodb").list_tables()["TableNames"]
    assert [t.name for t in STACK.tables if t.name in tables] == []
    queues = " ".join(_client(bare, "sqs").list_queues().get("QueueUrls", []))
    assert [q.name for q in STACK.queues if f"/{q.name}" in queues] == []
    functions = {f["FunctionName"] for f in _client(bare, "lambda").list_functions()["Functions"]}
    assert functions & {f.name for f in STACK.functions} == set()
    assert _client(bare, "apigateway").get_rest_apis()["items"] == []
    buses = {b["Name"] for b in _client(bare, "events").list_event_buses()["EventBuses"]}
    assert buses == {"default"}
    stack = _client(bare, "cloudformation").describe_stacks(StackName=app.name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    # And make status says so
    status = make("status", bare)
    assert "the shop (infra/stack.py): not deployed" in status.stdout, status.stdout + status.stderr
    assert f"{app} (cloudformation): {app.name} CREATE_COMPLETE" in status.stdout


def test_an_app_that_fails_to_deploy_makes_up_fail_naming_it(bare, tmp_path):
    # Given APPS naming an app whose stack fails, and one that does not exist
    failing = tmp_path / "failing-app"
    failing.mkdir()
    (failing / "stack.yaml").write_text(
        "Resources:\n  Broken:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: cobol85\n"
        "      Handler: index.handler\n      Role: arn:aws:iam::000000000000:role/none\n      Code: {ZipFile: x}\n"
    )

    # When the environment starts with them
    bare["APPS"] = str(failing)
    failed_in_hook = make("up", bare)
    bare["APPS"] = str(tmp_path / "no-such-app")
    failed_before_start = make("up", bare)

    # Then make up fails, naming the app and why: the stack's failure from the init hook, and the missing
    # folder before LocalStack starts
    output = failed_in_hook.stdout + failed_in_hook.stderr
    assert failed_in_hook.returncode != 0
    assert "20_apps.py (ERROR)" in output
    assert "Broken (AWS::Lambda::Function" in output
    assert failed_before_start.returncode != 0
    assert "no-such-app does not exist" in failed_before_start.stderr


def test_status_is_not_ok_while_the_shop_is_only_partly_there(tmp_path):
    # Given an environment with the shop, one of whose resources was deleted from under it
    env = private_env(tmp_path)
    try:
        assert make("up", env).returncode == 0
        assert make("status", env).returncode == 0
        dead_letters = next(q for q in STACK.queues if q.name.endswith("-dlq"))
        sqs = _client(env, "sqs")
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=dead_letters.name)["QueueUrl"])

        # When its status is asked for
        status = make("status", env)

        # Then it is not 0, and says what is missing and the fix
        assert status.returncode != 0, status.stdout + status.stderr
        assert "the shop (infra/stack.py): partly deployed" in status.stdout
        assert "make deploy" in status.stderr
    finally:
        make("down", env)
