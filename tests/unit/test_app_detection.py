"""Which tool deploys an app folder, and what a template says, read without LocalStack."""

import pytest

from embedded_localstack.apps import templates
from embedded_localstack.apps.detect import detect
from embedded_localstack.apps.errors import AppError


def test_cdk_json_wins_over_a_template_in_the_same_folder(tmp_path):
    (tmp_path / "cdk.json").write_text('{"app": "npx ts-node bin/app.ts"}')
    (tmp_path / "template.yaml").write_text("Resources: {}\n")

    assert detect(tmp_path).tool == "cdk"


@pytest.mark.parametrize("name", ["template.yaml", "template.yml"])
def test_sam_template_by_its_conventional_name(tmp_path, name):
    (tmp_path / name).write_text("Transform: AWS::Serverless-2016-10-31\nResources: {}\n")

    app = detect(tmp_path)

    assert (app.tool, app.template.name) == ("sam", name)


def test_bare_template_is_cloudformation_unless_it_uses_the_serverless_transform(tmp_path):
    (tmp_path / "notes.yaml").write_text("colour: blue\n")
    (tmp_path / "stack.json").write_text('{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}')

    assert detect(tmp_path).tool == "cloudformation"
    (tmp_path / "stack.json").write_text('{"Transform": "AWS::Serverless-2016-10-31", "Resources": {}}')
    assert detect(tmp_path).tool == "sam"


def test_stack_name_is_the_folder_name_as_cloudformation_allows_it(tmp_path):
    folder = tmp_path / "9 my_app"
    folder.mkdir()
    (folder / "stack.yaml").write_text("Resources: {}\n")

    assert detect(folder).stack_name == "app-9-my-app"


def test_several_templates_ask_for_one(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("Resources: {}\n")

    with pytest.raises(AppError, match=r"several templates \(a.yaml, b.yaml\); point APP= at one of them"):
        detect(tmp_path)


def test_samconfig_without_a_template_says_where_the_template_goes(tmp_path):
    (tmp_path / "samconfig.toml").write_text("version = 0.1\n")

    with pytest.raises(AppError, match=r"samconfig\.toml but no template\.yaml"):
        detect(tmp_path)


def test_short_form_intrinsics_and_dates_read_as_cloudformation_reads_them(tmp_path):
    text = "AWSTemplateFormatVersion: 2010-09-09\nOutputs:\n  A: {Value: !GetAtt Fn.Arn}\n  B: {Value: !Sub '${X}'}\n"

    document = templates.parse(text, tmp_path / "t.yaml")

    assert document["AWSTemplateFormatVersion"] == "2010-09-09"
    assert document["Outputs"]["A"]["Value"] == {"Fn::GetAtt": ["Fn", "Arn"]}
    assert document["Outputs"]["B"]["Value"] == {"Fn::Sub": "${X}"}


def test_declared_names_are_worked_out_as_cloudformation_will_name_them():
    template = {
        "Parameters": {"Name": {"Type": "String", "Default": "basket"}},
        "Resources": {
            "T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "product"}},
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${AWS::StackName}-q"}}},
            "F": {"Type": "AWS::Serverless::Function", "Properties": {"FunctionName": "basket"}},
            "R": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Ref": "Name"}}},
            "S": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": {"Fn::Sub": "order-api"}}},
            "J": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Join": ["-", ["a", {"Ref": "Name"}]]}}},
            "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/shop/list-token-key"}},
            "G": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::GetAtt": ["X", "Name"]}}},
        },
    }

    names = templates.declared_names(template, templates.template_variables(template, "app", "us-east-1"))

    assert names == [
        ("T", "AWS::DynamoDB::Table", "product"),
        ("Q", "AWS::SQS::Queue", "app-q"),
        ("F", "AWS::Serverless::Function", "basket"),
        ("R", "AWS::DynamoDB::Table", "basket"),
        ("S", "AWS::Lambda::Function", "order-api"),
        ("J", "AWS::SQS::Queue", "a-basket"),
        ("P", "AWS::SSM::Parameter", "/shop/list-token-key"),
        ("G", "AWS::SQS::Queue", None),
    ]


def test_an_http_api_is_refused_with_the_rest_api_to_use_instead(tmp_path):
    from embedded_localstack.apps.sam import check_http_apis

    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Events": {"Get": {"Type": "HttpApi"}, "Q": {"Type": "SQS"}}},
            },
            "Rest": {"Type": "AWS::Serverless::Api"},
        }
    }

    with pytest.raises(AppError, match=r"Fn \(event Get\): an HTTP API .* use a REST API instead"):
        check_http_apis(template, tmp_path / "template.yaml")
    del template["Resources"]["Fn"]["Properties"]["Events"]["Get"]
    check_http_apis(template, tmp_path / "template.yaml")  # a REST API and a queue pass
