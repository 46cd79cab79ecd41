"""LAMBDA_DEBUG's parsing, the VS Code launch configuration, and the check that keeps the debugger and
coverage.py out of function archives."""

import json
import re

import pytest

from embedded_localstack.executor import instrumentation
from embedded_localstack.executor.instrumentation import (
    DEBUG_FIRST_PORT,
    DebugSettingError,
    debug_ports,
    measured_packages,
    tools_in_archive,
)
from infra.paths import HOT_RELOAD_DIR, LAMBDA_SOURCES, PROJECT_DIR
from infra.stack import FUNCTIONS

NAMES = {function.name for function in FUNCTIONS}


def test_ports_follow_the_order_given_from_5678():
    assert debug_ports("basket, product,ordering", known=NAMES) == {"basket": 5678, "product": 5679, "ordering": 5680}
    assert DEBUG_FIRST_PORT == 5678


def test_no_functions_means_no_ports():
    assert debug_ports("", known=NAMES) == {}
    assert debug_ports(" , ", known=NAMES) == {}


def test_an_unknown_function_is_named_with_the_functions_there_are():
    with pytest.raises(DebugSettingError, match=r"no function named prodct; the functions are basket, .*product"):
        debug_ports("prodct", known=NAMES)


def test_a_function_named_twice_is_refused():
    with pytest.raises(DebugSettingError, match="twice"):
        debug_ports("product,product", known=NAMES)


def test_a_non_numeric_attach_timeout_is_refused(monkeypatch):
    monkeypatch.setenv(instrumentation.ATTACH_TIMEOUT_VARIABLE, "forever")
    with pytest.raises(DebugSettingError, match="number of seconds"):
        instrumentation.attach_timeout()


def test_tools_are_found_in_an_archive_listing():
    names = [
        "product/handler.py",
        "debugpy/__init__.py",
        "coverage-7.17.3.dist-info/RECORD",
        "a1_coverage.pth",
        "coverage_report.py",
    ]
    assert tools_in_archive(names) == ["a1_coverage.pth", "coverage-7.17.3.dist-info/RECORD", "debugpy/__init__.py"]


def test_the_function_packages_measured_are_lambdas_packages():
    assert set(measured_packages()) == {p.name for p in LAMBDA_SOURCES.iterdir() if (p / "__init__.py").is_file()}
    assert "shared" in measured_packages()


def test_launch_configuration_maps_both_deployments_of_product_to_lambdas():
    text = (PROJECT_DIR / ".vscode" / "launch.json").read_text()
    launch = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))
    product = next(c for c in launch["configurations"] if c["name"] == "Attach to product")
    assert product["connect"] == {"host": "127.0.0.1", "port": DEBUG_FIRST_PORT}
    roots = {m["remoteRoot"].replace("${workspaceFolder}", str(PROJECT_DIR)) for m in product["pathMappings"]}
    assert roots == {str(HOT_RELOAD_DIR / "product"), str(PROJECT_DIR / ".state" / "lambda-debug" / "product")}
    assert {m["localRoot"] for m in product["pathMappings"]} == {"${workspaceFolder}/lambdas"}


@pytest.fixture
def tools(monkeypatch, tmp_path):
    """No pip: the tools' folders are stand-ins."""
    monkeypatch.setattr(instrumentation, "tools_path", lambda kind, version: tmp_path / f"{kind}-{version}")
    monkeypatch.setenv(instrumentation.COVERAGE_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setenv(instrumentation.DEBUG_VARIABLE, "basket,product")


def test_a_debugged_function_listens_on_its_port_with_its_limits_lifted_and_is_not_measured(tools):
    product = instrumentation.FunctionInstrumentation("product", "3.12")

    env = product.environment()

    assert (
        env["_EMBEDDED_DEBUG"]
        == f"127.0.0.1:{DEBUG_FIRST_PORT + 1}:{float(instrumentation.DEFAULT_ATTACH_TIMEOUT_SECONDS)}"
    )
    assert "_EMBEDDED_COVERAGE" not in env
    assert env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == str(instrumentation.DEBUG_TIMEOUT_SECONDS)
    assert product.timeout(3.0) == instrumentation.DEBUG_TIMEOUT_SECONDS
    assert not product.checks_memory()


def test_other_functions_keep_their_limits_and_are_measured(tools):
    ordering = instrumentation.FunctionInstrumentation("ordering", "3.12")

    env = ordering.environment()

    assert "_EMBEDDED_DEBUG" not in env and "AWS_LAMBDA_FUNCTION_TIMEOUT" not in env
    assert json.loads(env["_EMBEDDED_COVERAGE"])["packages"] == measured_packages()
    assert ordering.timeout(3.0) == 3.0
    assert ordering.checks_memory()


def test_functions_of_other_runtimes_get_neither_tool(tools):
    assert instrumentation.FunctionInstrumentation("product", None).environment() == {}


def test_keepalive_is_lifted_only_while_debugging_and_never_over_the_developers_value():
    assert instrumentation.localstack_settings({}) == {}
    assert instrumentation.localstack_settings({"LAMBDA_DEBUG": "product"}) == {"LAMBDA_KEEPALIVE_MS": "3600000"}
    assert instrumentation.localstack_settings({"LAMBDA_DEBUG": "product", "LAMBDA_KEEPALIVE_MS": "1000"}) == {}


def test_localstack_started_with_lambda_debug_gets_it_and_the_longer_keepalive(monkeypatch, tmp_path):
    from embedded_localstack.lifecycle.instance import Instance

    monkeypatch.delenv("LAMBDA_KEEPALIVE_MS", raising=False)
    shell = {"LAMBDA_DEBUG": "product", "LAMBDA_DEBUG_ATTACH_TIMEOUT": "20", "AWS_SECRET_ACCESS_KEY": "never passed"}
    env = Instance(port=4999, state_dir=tmp_path, init_dir=tmp_path).environment(shell)
    assert (env["LAMBDA_DEBUG"], env["LAMBDA_DEBUG_ATTACH_TIMEOUT"], env["LAMBDA_KEEPALIVE_MS"]) == (
        "product",
        "20",
        "3600000",
    )
    assert "AWS_SECRET_ACCESS_KEY" not in env


def test_lifting_localstacks_waits_reads_a_flag_of_the_pinned_localstack(monkeypatch):
    # The flag is a LocalStack internal (services/lambda_/ldm.py, 4.14.0): this fails when the
    # installed LocalStack is another release, so that whoever upgrades re-reads it.
    from importlib.metadata import version

    from localstack.services.lambda_ import ldm

    from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK

    assert version("localstack-core") == PINNED_LOCALSTACK
    assert ldm.DEFAULT_LDM_TIMEOUT_SECONDS >= 3600
    monkeypatch.setattr(ldm, "IS_LDM_ENABLED", False)
    monkeypatch.setenv(instrumentation.DEBUG_VARIABLE, "product")
    instrumentation.lift_localstack_waits()
    assert ldm.IS_LDM_ENABLED is True
