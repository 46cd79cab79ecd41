"""The platform's pytest plugin, as an app's own suite uses it: a test folder outside the project, with no
conftest.py, gets the fixtures from the installed platform's entry point."""

import subprocess
import sys

from tests.integration.own_apps import copy_app, stack_exists

USER_TEST = """
import json


def test_outbox_round_trip(deploy_app, aws_client, eventually, drain_queue, assert_dead_letters):
    app = deploy_app({app!r})
    outbox = app.outputs["OutboxUrl"]
    aws_client("sqs").send_message(QueueUrl=outbox, MessageBody=json.dumps({{"n": 1}}))
    assert eventually(lambda: drain_queue(outbox), timeout=10) == [{{"n": 1}}]
    assert_dead_letters(outbox, count=0)
"""


def test_an_apps_own_suite_gets_the_fixtures_by_entry_point_and_its_app_is_destroyed_after(tmp_path):
    # Given an app and a test suite of its own, in a folder with no configuration at all
    app = copy_app("cfn_app", tmp_path)
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_outbox.py").write_text(USER_TEST.format(app=str(app)))

    # When pytest runs it
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(suite), str(suite)],
        cwd=suite,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # Then its test passed with the plugin's fixtures, and the app it deployed is gone again
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert not stack_exists(app.name)
