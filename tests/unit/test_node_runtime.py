"""Which node runs a nodejs*.x function (embedded_localstack/runtimes/node_runtime.py): exactly the runtime's
major, found by variable, node<major> on PATH, `make node`'s install or node on PATH; otherwise the
reason names the fix."""

import os
import shutil
import stat

import pytest

from embedded_localstack.runtimes import node_majors, node_runtime
from embedded_localstack.runtimes.interpreters import (
    UnsupportedRuntime,
    bootstrap_command,
    interpreter_for_runtime,
    runtime_variables,
)


def fake_node(folder, name: str, version: str) -> str:
    """An executable that answers `--version` like a node of this version."""
    path = folder / name
    path.write_text(f"#!/bin/sh\necho v{version}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.fixture
def clean(monkeypatch, tmp_path):
    """No cached finds, an SDK folder that exists, and a PATH holding only the fakes in tmp_path/bin."""
    monkeypatch.setattr(node_runtime, "_found", {})
    (tmp_path / "sdk" / "@aws-sdk").mkdir(parents=True)
    monkeypatch.setenv(node_runtime.SDK_VARIABLE, str(tmp_path / "sdk"))
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv(node_majors.INSTALLS_VARIABLE, str(tmp_path / "installs"))
    for major in ("18", "20", "22"):
        monkeypatch.delenv(node_runtime.VARIABLE.format(major=major), raising=False)
    return tmp_path


def test_node_on_path_of_the_runtime_major_runs_it(clean):
    node = fake_node(clean / "bin", "node", "20.11.1")

    assert interpreter_for_runtime("nodejs20.x") == node


def test_node_of_another_major_is_not_used_and_the_reason_names_the_fix(clean):
    fake_node(clean / "bin", "node", "20.11.1")

    with pytest.raises(UnsupportedRuntime) as refused:
        interpreter_for_runtime("nodejs22.x")

    reason = str(refused.value)
    assert "needs Node.js 22" in reason and "is Node.js 20" in reason
    assert "node22" in reason and "EMBEDDED_LAMBDA_NODE22=/path/to/node" in reason and "make node MAJOR=22" in reason


def test_any_major_is_found_where_make_node_installs_it_before_plain_node(clean):
    fake_node(clean / "bin", "node", "20.1.0")
    (clean / "installs" / "14" / "bin").mkdir(parents=True)
    installed = fake_node(clean / "installs" / "14" / "bin", "node", "14.21.3")

    assert interpreter_for_runtime("nodejs14.x") == installed


def test_a_missing_major_is_an_invoke_error_not_a_failed_function(clean):
    from embedded_localstack.runtimes.interpreters import RuntimeUnavailable, check_at_creation

    check_at_creation("nodejs16.x")  # creation passes: the function becomes Active

    with pytest.raises(RuntimeUnavailable) as refused:
        interpreter_for_runtime("nodejs16.x")
    assert b'"errorType": "Runtime.Unavailable"' in refused.value.payload
    assert b"make node MAJOR=16" in refused.value.payload


def test_the_cli_passes_a_node_location_for_any_major_and_nothing_like_it():
    assert node_majors.is_location_variable("EMBEDDED_LAMBDA_NODE14")
    assert node_majors.is_location_variable("EMBEDDED_LAMBDA_NODE24")
    assert not node_majors.is_location_variable("EMBEDDED_LAMBDA_NODE")
    assert not node_majors.is_location_variable("EMBEDDED_LAMBDA_NODE18_EXTRA")


def test_node_major_named_binary_and_variable_are_found_before_plain_node(clean, monkeypatch):
    fake_node(clean / "bin", "node", "20.1.0")
    named = fake_node(clean / "bin", "node22", "22.3.0")
    assert interpreter_for_runtime("nodejs22.x") == named

    elsewhere = clean / "opt"
    elsewhere.mkdir()
    chosen = fake_node(elsewhere, "node", "18.20.4")
    monkeypatch.setenv("EMBEDDED_LAMBDA_NODE18", chosen)
    assert interpreter_for_runtime("nodejs18.x") == chosen


def test_a_variable_pointing_at_the_wrong_major_is_not_trusted(clean, monkeypatch):
    monkeypatch.setenv("EMBEDDED_LAMBDA_NODE18", fake_node(clean / "bin", "old", "16.20.0"))

    with pytest.raises(UnsupportedRuntime, match=r"needs Node\.js 18"):
        interpreter_for_runtime("nodejs18.x")


def test_without_the_sdk_the_function_fails_saying_how_to_install_it(clean, monkeypatch):
    fake_node(clean / "bin", "node", "20.11.1")
    monkeypatch.setenv(node_runtime.SDK_VARIABLE, str(clean / "nowhere"))

    with pytest.raises(UnsupportedRuntime, match=r"AWS SDK for JavaScript.*npm.*make up"):
        interpreter_for_runtime("nodejs20.x")


def test_a_node_function_starts_the_node_bootstrap_with_lambdas_node_path(clean):
    # node's flags as the Lambda image's bootstrap sets them for 256 MB
    assert bootstrap_command("nodejs20.x", "/usr/bin/node", "/x/bootstrap.py", 256) == [
        "/usr/bin/node",
        "--expose-gc",
        "--max-http-header-size",
        "81920",
        "--max-semi-space-size=12",
        "--max-old-space-size=231",
        str(node_runtime.BOOTSTRAP),
    ]
    assert bootstrap_command("python3.12", "/usr/bin/python3.12", "/x/bootstrap.py", 256) == [
        "/usr/bin/python3.12",
        "-I",
        "-u",
        "/x/bootstrap.py",
    ]
    assert runtime_variables("nodejs20.x", "/task", "/runtime") == {"NODE_PATH": f"{clean / 'sdk'}:/runtime:/task"}
    assert runtime_variables("python3.12", "/task", "/runtime") == {}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
def test_the_bootstrap_uses_node_built_ins_only():
    # Its own modules beside it, which use built-ins only too
    modules = sorted(path.name for path in node_runtime.BOOTSTRAP.parent.glob("*.mjs"))
    source = "".join(node_runtime.BOOTSTRAP.with_name(module).read_text() for module in modules)
    imports = {line.split("from")[-1].strip(" ';") for line in source.splitlines() if line.startswith("import ")}
    own = {name for name in imports if name.startswith("./")}
    assert own <= {f"./{module}" for module in modules}, own
    assert imports - own and all(name.startswith("node:") for name in imports - own), imports
    assert os.path.exists(node_runtime.BOOTSTRAP)
