"""Copies of the fixture apps in tests/fixtures/apps, staged in a test's own folder, so that a deploy's
cdk.out never lands in the source tree and copies deploy side by side. A Node.js app's node_modules
are installed once (npm ci, from its package-lock.json) into build/fixtures/<app>/ and linked into
each copy: a second run, and every other test worker, pays nothing for them."""

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
INSTALLS = Path(__file__).resolve().parents[2] / "build" / "fixtures"


def stage_app(name: str, into: Path, context: dict[str, str], *, node_modules: bool = True) -> Path:
    """A copy of fixture app `name` in `into`, with `context` as its cdk.context.json; its node_modules
    linked from build/fixtures unless node_modules=False (an app whose `npm ci` has not run)."""
    source = FIXTURES / name
    copy = into / name
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("node_modules", "cdk.out", "cdk.context.json"))
    (copy / "cdk.context.json").write_text(json.dumps(context))
    if node_modules:
        (copy / "node_modules").symlink_to(installed_node_modules(source), target_is_directory=True)
    return copy


def installed_node_modules(source: Path) -> Path:
    """build/fixtures/<app>/node_modules, installed from the app's lock file unless it is already."""
    target = INSTALLS / source.name
    lock = source / "package-lock.json"
    want = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = target / ".package-lock.sha256"
    INSTALLS.mkdir(parents=True, exist_ok=True)
    with open(INSTALLS / f"{source.name}.lock", "a") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # test workers that start together install once
        if not (stamp.is_file() and stamp.read_text() == want):
            print(f"==> installing {source.name}'s node_modules into {target}, once", file=sys.stderr)
            started = time.monotonic()
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            shutil.copy(source / "package.json", target)
            shutil.copy(lock, target)
            subprocess.run(
                ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                cwd=target,
                check=True,
                capture_output=True,
            )
            stamp.write_text(want)
            print(f"==> {source.name}'s node_modules installed in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return target / "node_modules"
