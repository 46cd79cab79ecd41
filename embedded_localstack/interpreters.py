"""Which local Python runs a function of a given Lambda runtime (``python3.12`` -> a Python 3.12)."""

import functools
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

LOG = logging.getLogger(__name__)


class UnsupportedRuntime(Exception):
    pass


def _version_of(python: str) -> str | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def candidates(version: str) -> list[str]:
    """Places a Python of this version may be, best first. pyenv shims are skipped: they fail
    unless pyenv happens to select that version."""
    found = []
    on_path = shutil.which(f"python{version}")
    if on_path and "/shims/" not in on_path:
        found.append(on_path)
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    installs = sorted(
        pyenv_root.glob(f"versions/{version}.*/bin/python{version}"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)],
        reverse=True,
    )
    found += [str(p) for p in installs]
    found += [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    return found


@functools.cache
def interpreter_for_runtime(runtime: str | None) -> str:
    match = re.fullmatch(r"python(\d+\.\d+)", runtime or "")
    if not match:
        raise UnsupportedRuntime(
            f"Runtime {runtime!r} cannot run in embedded mode, which runs python3.x functions only; "
            "use Docker mode for other runtimes"
        )
    version = match.group(1)
    for python in candidates(version):
        if _version_of(python) == version:
            return python
    own = "%d.%d" % sys.version_info[:2]
    LOG.warning(
        "No Python %s found for runtime %s; running it with this Python %s (%s). "
        "Install it (e.g. pyenv install %s) to match the declared runtime.",
        version,
        runtime,
        own,
        sys.executable,
        version,
    )
    return sys.executable
