"""The init hooks' state, told the same way by `make status` in both modes.

LocalStack 4.14.0 (localstack/runtime/init.py, served at /_localstack/init/<stage>) gives each hook a
state: UNKNOWN until its stage runs, RUNNING, then SUCCESSFUL or ERROR. A stage is "completed" once
its last hook has run, whether or not one failed, so "completed" alone never means ready. The error
itself is only logged, by localstack.runtime.init:

    Error while running script Script(path='/…/ready.d/10_provision.py', stage=READY, state=ERROR): <error>

or, with DEBUG=1, that line without ": <error>", followed by the traceback.

Embedded mode also re-runs the ready hooks outside LocalStack (`make up` on a running instance, start.py),
which LocalStack's state knows nothing of: that run is recorded in the state directory, and its hooks
take the place of LocalStack's ready hooks in what `status` reports.
"""

import json
import os
import re
import sys
from pathlib import Path

from embedded_localstack.lifecycle import process_start

READY, RUNNING, FAILED = "READY", "RUNNING", "ERROR"
# Exit codes of `status` (scripts/with-localstack.sh tells them apart): 3 is "not running".
STATUS_READY, STATUS_STARTING, STATUS_FAILED = 0, 4, 5
REAPPLY_RECORD = "ready-hooks-reapplied.json"
LOGGED_ERROR = re.compile(
    r"Error while running script Script\(path='(?P<path>[^']*)', stage=(?P<stage>\w+), state=\w+\)(?:: (?P<error>.*))?$"
)


def label(script: dict) -> str:
    return f"{script.get('stage', '').lower()}.d/{script.get('name')}"


def failed_hooks(status: dict) -> list[str]:
    return [f"{label(s)} ({s.get('state')})" for s in status.get("scripts", []) if s.get("state") == FAILED]


def logged_errors(log: str) -> dict[str, str]:
    """Each failed hook's error, by label, as LocalStack logged it (the last time, if several)."""
    errors = {}
    lines = log.splitlines()
    for index, line in enumerate(lines):
        found = LOGGED_ERROR.search(line)
        if not found:
            continue
        error = (found["error"] or "").strip() or _exception_of_traceback(lines[index + 1 :])
        errors[f"{found['stage'].lower()}.d/{os.path.basename(found['path'])}"] = error or "(no message logged)"
    return errors


def _exception_of_traceback(lines: list[str]) -> str:
    """The exception line that ends the traceback these lines start with (DEBUG=1 logs one)."""
    if not lines or not lines[0].startswith("Traceback"):
        return ""
    for line in lines[1:]:
        if line and not line.startswith((" ", "\t")):
            return line.strip()
    return ""


def report(status: dict | None, errors: dict[str, str]) -> tuple[int, str, list[str]]:
    """(exit code, one-word state, lines for stderr) for the ready stage's status as the API gives it,
    with each failed hook's error from `errors` (or the status's own "error", a re-apply's)."""
    if status is None:
        return STATUS_STARTING, "starting", ["LocalStack does not answer /_localstack/init/ready yet"]
    scripts = status.get("scripts", [])
    failed = [s for s in scripts if s.get("state") == FAILED]
    if failed:
        return (
            STATUS_FAILED,
            "init hook failed",
            [
                f"init hook failed: {label(s)} (ERROR): {s.get('error') or errors.get(label(s), '(see `make logs`)')}"
                for s in failed
            ],
        )
    running = [s for s in scripts if s.get("state") == RUNNING]
    if running:
        return STATUS_STARTING, "starting", [f"init hook running: {label(s)}" for s in running]
    if not status.get("completed"):
        return STATUS_STARTING, "starting", ["the ready hooks have not run yet"]
    return STATUS_READY, "ready", []


def hook_lines(status: dict | None) -> list[str]:
    return [
        f"  init {s.get('stage')} {s.get('name')}: {s.get('state')}" + (f": {s['error']}" if s.get("error") else "")
        for s in (status or {}).get("scripts", [])
    ]


# -- embedded mode's re-apply --------------------------------------------------------------------


def record_reapply(state_dir: Path, localstack: dict, scripts: list[dict]) -> None:
    """What the re-apply of the ready hooks on the LocalStack `localstack` (process_start.identity) has done so far."""
    record = state_dir / REAPPLY_RECORD
    partial = record.with_suffix(".tmp")
    partial.write_text(json.dumps({"localstack": localstack, "scripts": scripts}))
    partial.replace(record)  # readers never see half a file


def with_reapply(status: dict | None, state_dir: Path, localstack_pid: int, applier_gone: bool) -> dict | None:
    """LocalStack's status with its ready hooks replaced by those of the last re-apply on this same
    LocalStack (localstack_pid), if there was one. A hook still RUNNING when its applier is gone was interrupted."""
    try:
        record = json.loads((state_dir / REAPPLY_RECORD).read_text())
    except (FileNotFoundError, ValueError):
        return status
    if not process_start.is_recorded(record.get("localstack") or {}, localstack_pid):
        return status  # a re-apply on an earlier LocalStack of this instance
    scripts = []
    for script in record["scripts"]:
        if script["state"] == RUNNING and applier_gone:
            script = script | {
                "state": FAILED,
                "error": "interrupted: `make up` ended while it ran; run `make up` again",
            }
        scripts.append(script)
    others = [s for s in (status or {}).get("scripts", []) if s.get("stage") != READY]
    return {
        "completed": all(s["state"] not in (RUNNING, "UNKNOWN") for s in scripts),
        "scripts": others + scripts,
    }


def show(header: str, init: dict | None, errors: dict[str, str], fix: str) -> int:
    """Prints the state of LocalStack and each hook, `header` naming the mode (both modes alike), what
    failed to stderr with `fix`; returns the exit code that make status passes on."""
    code, state, problems = report(init, errors)
    print(header.format(state=state))
    for line in hook_lines(init):
        print(line)
    for line in problems:
        print(line, file=sys.stderr)
    if code == STATUS_FAILED:
        print(fix, file=sys.stderr)
    return code
