"""The patches that make LocalStack start and answer sooner: OpenAPI validation loaded on use, loaded
services out of the garbage collector's walk (the gateway's own server: test_http_server.py). Each
pinned test fails on a LocalStack upgrade on purpose: read the code it names in the new release, then
move the pin."""

import gc
import inspect
import logging
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import entry_points, version

import pytest

from embedded_localstack import plugins
from embedded_localstack.patches import (
    gc_freeze,
    gil_switch,
    localstack_pin,
    openapi_validation,
    region_lists,
    ssm_ec2,
    url_builders,
)
from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK


def test_the_hooks_are_registered_with_localstack():
    hooks = [
        ("localstack.hooks.on_runtime_create", plugins.validate_openapi_on_use),
        ("localstack.hooks.on_runtime_create", plugins.hand_over_the_gil_sooner),
        ("localstack.hooks.on_runtime_create", plugins.read_region_lists_once),
        ("localstack.hooks.on_runtime_create", plugins.compile_url_builders_on_use),
        ("localstack.hooks.on_runtime_create", plugins.import_moto_ec2_on_use),
        ("localstack.hooks.on_infra_ready", plugins.freeze_what_is_loaded),
        ("localstack.hooks.on_infra_ready", plugins.deliver_events_to_sqs_in_process),
        ("localstack.hooks.on_infra_ready", plugins.deliver_events_to_lambda_in_process),
        ("localstack.hooks.on_infra_ready", plugins.start_event_rules_after_answer),
        ("localstack.hooks.on_infra_ready", plugins.invoke_lambda_from_apigateway_in_process),
        ("localstack.hooks.on_infra_ready", plugins.list_moto_methods_once),
    ]
    for group, hook in hooks:
        assert any(entry.load() is hook for entry in entry_points(group=group)), (group, hook.__name__)


def test_localstack_threads_take_turns_every_millisecond():
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)  # CPython's default
        gil_switch.hand_over_sooner()
        assert sys.getswitchinterval() == pytest.approx(gil_switch.SWITCH_INTERVAL_SECONDS) == pytest.approx(0.001)
    finally:
        sys.setswitchinterval(before)


def test_openapi_validation_patch_is_pinned_to_the_installed_localstack():
    assert version("localstack-core") == PINNED_LOCALSTACK
    from localstack.aws.handlers import validation

    source = inspect.getsource(validation)
    for name, first_lines in openapi_validation.FIRST_LINES.items():
        assert first_lines in inspect.getsource(getattr(validation, name).__call__), name
        assert f"class {name}(" in source


# In a fresh interpreter: the stand-ins must be in place before anything imports the handler chain.
VALIDATION_ON_USE = """
import sys
from embedded_localstack.patches import openapi_validation
assert openapi_validation.validate_on_use()
from localstack.aws import handlers
from localstack.aws.app import LocalstackAwsGateway
assert "openapi_core" not in sys.modules, "imported at start"
assert handlers.validate_request_schema(None, None, None) is None
assert handlers.validate_response_schema(None, None, None) is None
assert "openapi_core" not in sys.modules, "imported by a request with validation off"

from localstack import config
from localstack.aws.api import RequestContext
from localstack.http import Request, Response
config.OPENAPI_VALIDATE_REQUEST = True
context = RequestContext(Request("POST", "/_localstack/health", body=b"not json"))
handlers.validate_request_schema(None, context, Response())
assert "openapi_core" in sys.modules
assert type(handlers.validate_request_schema._handler).__module__ == "localstack.aws.handlers.validation"
assert handlers.validate_request_schema._handler.open_apis, "LocalStack's handler loaded the specs"
print("ok")
"""


def test_openapi_validation_is_imported_only_when_switched_on():
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", VALIDATION_ON_USE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"


def test_gc_freeze_patch_is_pinned_to_the_installed_localstack():
    assert version("localstack-core") == PINNED_LOCALSTACK
    from localstack.services.plugins import ServiceContainer

    assert gc_freeze.SERVICE_STARTS in inspect.getsource(ServiceContainer.start)


class StartsAService:
    def __init__(self):
        self.loaded = None

    def start(self, asynchronous):
        self.loaded = [{"spec": n} for n in range(1000)]  # what a service's load leaves behind

    def check(self, print_error=False):
        pass

    def name(self):
        return "probe"


def test_what_a_service_loads_is_frozen_once_it_started(monkeypatch):
    from localstack.services.plugins import ServiceContainer, ServiceState

    monkeypatch.setattr(ServiceContainer, "start", ServiceContainer.start)
    monkeypatch.delattr(ServiceContainer, "_freezes_on_start", raising=False)
    assert gc_freeze.freeze_loaded_services()
    assert gc_freeze.freeze_loaded_services(), "twice: patched once"
    gc.unfreeze()
    try:
        service = StartsAService()
        container = ServiceContainer(service, ServiceState.AVAILABLE)
        assert container.start()
        assert container.state == ServiceState.RUNNING
        frozen = gc.get_freeze_count()
        assert frozen >= len(service.loaded)
        assert not any(gc.is_tracked(obj) and obj in gc.get_objects() for obj in service.loaded[:3])
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    "patch",
    [
        lambda: openapi_validation.validate_on_use(),
        lambda: gc_freeze.freeze_loaded_services(),
    ],
    ids=["openapi_validation", "gc_freeze"],
)
def test_on_another_localstack_a_patch_changes_nothing_and_says_so(patch, monkeypatch, caplog):
    monkeypatch.setattr(localstack_pin, "version", lambda package: "99.0.0")

    with caplog.at_level(logging.WARNING, logger=localstack_pin.__name__):
        assert patch() is False

    assert "patches LocalStack 4.14.0, not 99.0.0" in caplog.text


@pytest.fixture
def region_table(monkeypatch):
    """The region table installed for this test only, empty, counting what it asks botocore."""
    import boto3.session

    monkeypatch.setattr(boto3.session.Session, "get_available_regions", boto3.session.Session.get_available_regions)
    monkeypatch.setattr(region_lists, "_ANSWERS", {})
    monkeypatch.setattr(region_lists, "_SHARED", [])
    asked = []
    original = region_lists._ORIGINAL

    def counted(session, *question):
        asked.append((session, question))
        return original(session, *question)

    monkeypatch.setattr(region_lists, "_ORIGINAL", counted)
    return asked


def test_which_regions_a_service_is_in_is_read_once_per_process_and_answers_as_botocore(region_table):
    import boto3.session

    botocore_answers = {
        partition: boto3.session.Session().get_available_regions("sqs", partition_name=partition)
        for partition in ("aws", "aws-us-gov")
    }
    region_lists.read_once()
    region_lists.read_once()  # idempotent

    first = boto3.session.Session().get_available_regions("sqs")
    first.append("mutated-by-its-caller")
    answers = {
        partition: boto3.session.Session().get_available_regions("sqs", partition_name=partition)
        for partition in ("aws", "aws-us-gov")
    }

    assert answers == botocore_answers and "us-east-1" in answers["aws"]
    assert [question for _, question in region_table] == [("sqs", "aws", False), ("sqs", "aws-us-gov", False)]
    assert len({id(session) for session, _ in region_table}) == 1, "through one shared Session"


def test_regions_asked_from_many_threads_at_once_are_read_once(region_table):
    import boto3.session

    region_lists.read_once()
    barrier = threading.Barrier(8)

    def ask():
        session = boto3.session.Session()
        barrier.wait()
        return session.get_available_regions("sns")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: ask(), range(8)))

    assert all(answer == answers[0] for answer in answers) and "eu-west-1" in answers[0]
    assert [question for _, question in region_table] == [("sns", "aws", False)]


def test_a_session_reading_botocore_data_from_elsewhere_asks_botocore_each_time(region_table, tmp_path):
    import boto3.session
    import botocore.session

    region_lists.read_once()
    boto3.session.Session().get_available_regions("sqs")
    elsewhere = botocore.session.get_session()
    elsewhere.set_config_variable("data_path", str(tmp_path))
    session = boto3.session.Session(botocore_session=elsewhere)

    for _ in range(2):
        assert "us-east-1" in session.get_available_regions("sqs")

    assert [asker for asker, _ in region_table][1:] == [session, session]


def _urls_built() -> list:
    from werkzeug.routing import Map, Rule

    adapter = Map(
        [
            Rule("/kb/<int:id>", endpoint="kb"),
            Rule("/static/about", endpoint="about"),
            Rule("/p/<path:rest>", endpoint="p", defaults={"x": "1"}),
        ]
    ).bind("example.org", "/")
    return [
        adapter.match("/kb/7"),
        adapter.build("kb", {"id": 42}),
        adapter.build("kb", {"id": 42, "page": 3}),
        adapter.build("about"),
        adapter.build("p", {"rest": "a/b c"}),
        adapter.build("kb", {"id": 1}, force_external=True),
    ]


def test_a_rules_url_builders_are_compiled_on_first_use_and_build_what_werkzeug_builds(monkeypatch):
    from werkzeug.routing import Map, Rule

    monkeypatch.setattr(Rule, "_compile_builder", Rule._compile_builder)
    werkzeug_urls = _urls_built()
    compiled = []
    original = url_builders._ORIGINAL
    monkeypatch.setattr(
        url_builders,
        "_ORIGINAL",
        lambda rule, unknown: compiled.append((rule.rule, unknown)) or original(rule, unknown),
    )
    url_builders.compile_on_first_use()

    adapter = Map([Rule(f"/r{n}/<name>", endpoint=f"r{n}") for n in range(50)]).bind("example.org", "/")
    assert adapter.match("/r7/x") == ("r7", {"name": "x"})
    assert compiled == [], "bound and matched: no builder compiled"

    assert adapter.build("r7", {"name": "y"}) == "/r7/y"
    assert adapter.build("r7", {"name": "z"}) == "/r7/z"
    assert compiled == [("/r7/<name>", True)], "the one builder used, compiled once"
    assert _urls_built() == werkzeug_urls


# In a fresh interpreter: moto's SSM through moto's own mock, as LocalStack calls it.
SSM_WITHOUT_EC2 = """
import sys
from embedded_localstack.patches import ssm_ec2
if sys.argv[1] == "another-moto":
    ssm_ec2.USE = "ec2_backends[account]"  # what this moto's module does not do
ssm_ec2.import_on_first_use()
ssm_ec2.import_on_first_use()
import boto3
from moto import mock_aws
with mock_aws():
    ssm = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    ssm.put_parameter(Name="/p", Value="v", Type="SecureString")
    assert ssm.get_parameter(Name="/p", WithDecryption=True)["Parameter"]["Value"] == "v"
    print("ec2 imported with ssm:", "moto.ec2" in sys.modules)
    ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "role", "Value": "web"}]}]
    ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, TagSpecifications=tags)
    targets = [{"Key": "tag:role", "Values": ["web"]}]
    command = ssm.send_command(DocumentName="AWS-RunShellScript", Parameters={"commands": ["true"]}, Targets=targets)
    print("instances targeted by tag:", command["Command"]["TargetCount"])
"""


@pytest.mark.parametrize(("moto", "with_ssm"), [("this-moto", False), ("another-moto", True)])
def test_moto_ssm_imports_moto_ec2_when_a_command_first_targets_instances(moto, with_ssm):
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", SSM_WITHOUT_EC2, moto], capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [f"ec2 imported with ssm: {with_ssm}", "instances targeted by tag: 2"]


def test_moto_ssm_keeps_its_source_and_line_numbers():
    import importlib.util

    source = importlib.util.find_spec(ssm_ec2.MODULE).loader.get_source(ssm_ec2.MODULE)
    assert ssm_ec2.replaceable(source), "this moto's SSM imports and uses ec2_backends as the patch expects"
    assert ssm_ec2.IMPORT.count("\n") == ssm_ec2.REPLACEMENT.count("\n") == 1
