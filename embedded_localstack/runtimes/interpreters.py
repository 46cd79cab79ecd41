"""Which local Python runs a function of a given Lambda runtime (``python3.12`` -> a Python 3.12)."""

import json
import logging
import re
import shutil
import subprocess
import sys

from localstack.services.lambda_.invocation.executor_endpoint import StatusErrorException

from embedded_localstack import settings
from embedded_localstack.runtimes import node_runtime

LOG = logging.getLogger(__name__)


class UnsupportedRuntime(Exception):
    pass


class RuntimeUnavailable(UnsupportedRuntime, StatusErrorException):
    """A runtime this machine lacks, found missing when an environment starts: the invoke answers with
    it (LocalStack turns a StatusErrorException from the executor's start into the invoke's error)."""

    def __init__(self, message: str):
        payload = json.dumps({"errorType": "Runtime.Unavailable", "errorMessage": message}).encode()
        StatusErrorException.__init__(self, message, payload=payload)


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
    pyenv_root = settings.PYENV_ROOT.read()
    installs = sorted(
        pyenv_root.glob(f"versions/{version}.*/bin/python{version}"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)],
        reverse=True,
    )
    found += [str(p) for p in installs]
    found += [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    return found


# Opt-in: run a function whose Python version is not installed on another Python, with a warning.
FALLBACK_VARIABLE = settings.PYTHON_FALLBACK.name

_found: dict[str, str] = {}  # version -> interpreter; a missing one is looked for again next time


def find_interpreter(version: str) -> str | None:
    """A Python of exactly this version (``3.12``) on this machine, or None."""
    if version not in _found:
        python = next((p for p in candidates(version) if _version_of(p) == version), None)
        if python is None:
            return None
        _found[version] = python
    return _found[version]


def interpreter_for_runtime(runtime: str | None) -> str:
    """The interpreter for a python3.X runtime: a Python 3.X, as on Lambda (for nodejsNN.x, a Node.js
    NN: node_runtime.py). Without one the function
    cannot run (LocalStack sets its State to Failed with this error as the reason, and 4.14 can then
    neither update nor delete it until it restarts), unless the fallback is asked for."""
    if runtime is not None and node_runtime.major_of(runtime):
        try:
            return node_runtime.node_for_runtime(runtime)
        except node_runtime.NodeUnavailable as e:
            raise RuntimeUnavailable(str(e)) from None
    match = re.fullmatch(r"python(\d+\.\d+)", runtime or "")
    if not match:
        raise UnsupportedRuntime(
            f"Runtime {runtime!r} cannot run in embedded mode, which runs python3.x and nodejs*.x functions "
            "only; use Docker mode for other runtimes"
        )
    version = match.group(1)
    python = find_interpreter(version)
    if python:
        return python
    # The base interpreter, not LocalStack's virtual environment, whose packages the function must not see.
    own, own_version = getattr(sys, "_base_executable", sys.executable), "{}.{}".format(*sys.version_info[:2])
    if settings.PYTHON_FALLBACK.read():
        LOG.warning(
            "No Python %s found for runtime %s; running it on Python %s (%s) because %s=1. "
            "Install Python %s (e.g. pyenv install %s) to run it as Lambda does.",
            version,
            runtime,
            own_version,
            own,
            FALLBACK_VARIABLE,
            version,
            version,
        )
        _found[version] = own
        return own
    raise UnsupportedRuntime(
        f"Runtime {runtime} needs Python {version}, which embedded mode found neither on PATH "
        f"(python{version}) nor in pyenv. Install it (pyenv install {version}) and restart LocalStack "
        f"(make down && make up), or start LocalStack with {FALLBACK_VARIABLE}=1 to run it on Python {own_version} instead"
    )


def check_at_creation(runtime: str | None) -> None:
    """What a function's creation checks: that embedded mode runs its language and, for Python, that
    the version is here. A Node.js major is looked for at each environment's start instead, so that a
    missing one is the first invoke's error (with the fix) rather than a function stuck in Failed."""
    if not node_runtime.major_of(runtime):
        interpreter_for_runtime(runtime)


def bootstrap_command(runtime: str | None, interpreter: str, python_bootstrap: str, memory_mb: int) -> list[str]:
    """How an execution environment's process starts, by the runtime's language."""
    if node_runtime.major_of(runtime):
        return node_runtime.command(interpreter, memory_mb)
    return [interpreter, "-I", "-u", python_bootstrap]


def runtime_variables(runtime: str | None, task_root: str, runtime_dir: str) -> dict[str, str]:
    """Variables a runtime's language adds to Lambda's common ones."""
    return node_runtime.variables(task_root, runtime_dir) if node_runtime.major_of(runtime) else {}
