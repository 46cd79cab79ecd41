"""`make status` of the embedded mode tells the truth about the ready hooks, including those `make up`
re-runs on a running instance, which LocalStack's own hook state knows nothing of. Each test on its
own LocalStack instance (embedded_instances.py)."""

import signal
import subprocess

import pytest

from client.waiting import eventually
from tests.integration.embedded_instances import (  # noqa: F401 (instance is a fixture)
    PROJECT,
    instance,
    make,
    up_in_background,
    up_with_a_late_failing_hook,
)

pytestmark = pytest.mark.lifecycle


def status(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["scripts/localenv.sh", "status"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )


def test_a_failed_reapply_makes_status_fail_naming_the_hook_and_its_error(instance, tmp_path):
    # Given a running instance whose ready hook fails once the switch file exists
    switch = tmp_path / "break-it"
    (tmp_path / "init" / "ready.d" / "10_switchable.py").write_text(
        f"import pathlib\nif pathlib.Path({str(switch)!r}).exists(): raise RuntimeError('bucket policy is wrong')\n"
    )
    assert make("up", instance).returncode == 0
    assert status(instance).returncode == 0

    # When `make up` re-applies the hooks and the hook fails
    switch.touch()
    again = make("up", instance)
    broken = status(instance)

    # Then neither `make up` nor `make status` says ready
    assert again.returncode != 0
    assert broken.returncode == 5, broken.stdout + broken.stderr
    assert "init hook failed: ready.d/10_switchable.py (ERROR): RuntimeError: bucket policy is wrong" in broken.stderr
    assert "10_switchable.py: SUCCESSFUL" not in broken.stdout

    # And once the hook is fixed and re-applied, status is ready again
    switch.unlink()
    assert make("up", instance).returncode == 0
    assert status(instance).returncode == 0


def test_status_is_not_ready_while_a_reapplied_hook_runs_nor_after_its_up_was_killed(instance, tmp_path):
    # Given a running instance whose hook, when re-applied, waits for a file that never comes
    started, release = tmp_path / "reapply-started", tmp_path / "release"
    (tmp_path / "init" / "ready.d" / "10_slow.py").write_text(
        "import pathlib, time\n"
        f"if pathlib.Path({str(tmp_path / 'reapplying')!r}).exists():\n"
        f"    pathlib.Path({str(started)!r}).touch()\n"
        f"    while not pathlib.Path({str(release)!r}).exists(): time.sleep(0.05)\n"
    )
    assert make("up", instance).returncode == 0
    (tmp_path / "reapplying").touch()
    up = up_in_background(instance)
    try:
        eventually(started.exists, timeout=60, what="the re-applied hook started")

        # When status is asked while it runs, and again after that `up` was killed
        while_running = status(instance)
        up.send_signal(signal.SIGKILL)
        up.wait()
        after_kill = status(instance)
    finally:
        release.touch()
        up.kill()
        up.wait()

    # Then
    assert while_running.returncode == 4, while_running.stdout + while_running.stderr
    assert "init hook running: ready.d/10_slow.py" in while_running.stderr
    assert after_kill.returncode == 5, after_kill.stdout + after_kill.stderr
    assert "ready.d/10_slow.py (ERROR): interrupted" in after_kill.stderr


def test_a_hook_that_failed_at_start_is_named_with_its_logged_error(instance, tmp_path):
    # Given a hook that fails during the first start, after `up` stopped watching (its process was killed)
    up, fail_now = up_with_a_late_failing_hook(instance, tmp_path, "table definition is wrong")
    while_running = status(instance)
    up.send_signal(signal.SIGKILL)
    up.wait()

    # When it fails
    fail_now.touch()
    failed = eventually(lambda: (r := status(instance)).returncode == 5 and r, timeout=30, what="the hook's failure")

    # Then status names the hook and LocalStack's logged error
    assert while_running.returncode == 4
    assert "init hook running: ready.d/10_late_failure.py" in while_running.stderr
    assert "init hook failed: ready.d/10_late_failure.py (ERROR): table definition is wrong" in failed.stderr
