"""How `make status` reads the init hooks' state in both modes (embedded_localstack/lifecycle/hook_state.py), from
what LocalStack 4.14.0 serves (/_localstack/init/ready) and logs (localstack/runtime/init.py)."""

import logging

import pytest
from localstack.runtime.init import InitScriptManager, Stage

from embedded_localstack.lifecycle import hook_state


@pytest.fixture
def failed_by_localstack(tmp_path, caplog):
    """LocalStack's own init manager running a ready hook that raises, and what it logged."""
    (tmp_path / "ready.d").mkdir()
    (tmp_path / "ready.d" / "10_provision.py").write_text("raise RuntimeError('table definition is wrong')\n")
    manager = InitScriptManager(str(tmp_path))

    def run(debug: bool):
        caplog.clear()
        with caplog.at_level(logging.DEBUG if debug else logging.INFO, logger="localstack.runtime.init"):
            manager.stage_completed[Stage.READY] = False
            scripts = manager.run_stage(Stage.READY)
        status = {
            "completed": manager.stage_completed[Stage.READY],
            "scripts": [{"stage": s.stage.name, "name": "10_provision.py", "state": s.state.name} for s in scripts],
        }
        return status, caplog.text

    return run


@pytest.mark.parametrize("debug", [False, True], ids=["message", "traceback (DEBUG=1)"])
def test_a_failed_hook_is_reported_with_the_error_localstack_logged(failed_by_localstack, debug):
    status, log = failed_by_localstack(debug)

    code, state, lines = hook_state.report(status, hook_state.logged_errors(log))

    assert status["completed"] is True, "LocalStack calls a stage with a failed hook completed"
    assert (code, state) == (hook_state.STATUS_FAILED, "init hook failed")
    assert lines == [
        f"init hook failed: ready.d/10_provision.py (ERROR): {'RuntimeError: ' if debug else ''}table definition is wrong"
    ]


@pytest.mark.parametrize(
    ("scripts", "completed", "code"),
    [
        ([{"stage": "READY", "name": "10_provision.py", "state": "UNKNOWN"}], False, hook_state.STATUS_STARTING),
        ([{"stage": "READY", "name": "10_provision.py", "state": "RUNNING"}], False, hook_state.STATUS_STARTING),
        ([{"stage": "READY", "name": "10_provision.py", "state": "SUCCESSFUL"}], True, hook_state.STATUS_READY),
        ([], True, hook_state.STATUS_READY),
    ],
)
def test_only_completed_hooks_without_a_failure_are_ready(scripts, completed, code):
    assert hook_state.report({"completed": completed, "scripts": scripts}, {})[0] == code


def test_no_answer_is_not_ready():
    assert hook_state.report(None, {})[0] == hook_state.STATUS_STARTING
