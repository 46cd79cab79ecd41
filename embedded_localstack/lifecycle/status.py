"""Whether the embedded LocalStack runs and its init hooks succeeded (``make status``)."""

import sys
from pathlib import Path

from embedded_localstack import dynamodb_process
from embedded_localstack.lifecycle import hook_state
from embedded_localstack.lifecycle.hook_state import failed_hooks
from embedded_localstack.lifecycle.instance import Instance


def status(instance: Instance) -> int:
    # Only the holder of the lock may remove a stale pid file: `up` may be writing a new one. Holding it
    # also proves no `up` is re-applying the hooks now.
    with instance.locked(wait=False) as owned:
        process = instance.running(remove_stale=owned)
        if process is None:
            print("embedded LocalStack: not running")
            return 3
        init = hook_state.with_reapply(instance.init_status(), instance.state_dir, process.pid, applier_gone=owned)
    # The whole log: a hook that failed at start logged its error near the beginning.
    log = _read(instance.log_file) if failed_hooks(init or {}) else ""
    code = hook_state.show(
        f"embedded LocalStack: {{state}} on {instance.url} (pid {process.pid})",
        init,
        hook_state.logged_errors(log),
        "fix the hook, then `make up` (`make logs` shows LocalStack's log)",
    )
    dynamodb = dynamodb_process.problem(instance.state_dir, process)
    if dynamodb:
        print(dynamodb, file=sys.stderr)
        return code or hook_state.STATUS_FAILED
    return code


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
