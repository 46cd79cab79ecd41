"""Debugger and coverage for embedded-mode functions (host side): which environments run under
debugpy or coverage.py, on which port, and with which timeouts.

- ``LAMBDA_DEBUG=product,basket``: those functions' environments listen for a debugger (DAP) on
  127.0.0.1, from ``DEBUG_FIRST_PORT`` upwards in the order given. The first invocation of each
  environment waits up to ``LAMBDA_DEBUG_ATTACH_TIMEOUT`` seconds for the IDE to attach. While a
  function is debugged, its timeout and memory check are lifted (a paused process is neither slow nor
  big) and LocalStack's own waits are raised to its Lambda Debug Mode timeout (``ldm``).
- ``EMBEDDED_FUNCTION_COVERAGE=<data folder>``: every environment measures its own code with
  coverage.py and writes a parallel data file there after each invocation (the host kills environments
  with SIGKILL, so there is no exit to save at).

The tools are not in the function archives: they are installed per Python version under
``.venv/function-tools/`` from requirements/lambda-debug.txt and lambda-coverage.txt, and put on the
function's path after its own code, as the runtime packages are (runtimes/python/runtime.py, instrument_function.py).
"""

import configparser
import fcntl
import functools
import json
import os
import sys
from importlib.metadata import version
from pathlib import Path

from embedded_localstack import settings
from embedded_localstack.wheels import install_wheels

DEBUG_VARIABLE = settings.LAMBDA_DEBUG.name
ATTACH_TIMEOUT_VARIABLE = settings.LAMBDA_DEBUG_ATTACH_TIMEOUT.name
COVERAGE_VARIABLE = settings.FUNCTION_COVERAGE.name
# debugpy's customary port, which VS Code's Python attach configurations default to.
DEBUG_FIRST_PORT = 5678
DEFAULT_ATTACH_TIMEOUT_SECONDS = settings.LAMBDA_DEBUG_ATTACH_TIMEOUT.default
# What LocalStack's own Lambda Debug Mode lifts its waits to (localstack.services.lambda_.ldm, 4.14.0):
# also the debugged function's timeout and the idle time before its environment is stopped.
DEBUG_TIMEOUT_SECONDS = 3_600
PROJECT_DIR = Path(__file__).resolve().parents[2]
REQUIREMENTS = {
    "debug": PROJECT_DIR / "requirements" / "lambda-debug.txt",
    "coverage": PROJECT_DIR / "requirements" / "lambda-coverage.txt",
}
COVERAGE_CONFIG = PROJECT_DIR / "config" / "coverage.ini"
TOOLS_ROOT = Path(sys.prefix) / "function-tools"
PORTS_FILE = "lambda-debug-ports"  # in the instance's state folder, for `make urls`


# A bad LAMBDA_DEBUG is a bad setting like any other.
DebugSettingError = settings.SettingError


def debug_ports(value: str | None = None, known: set[str] | None = None) -> dict[str, int]:
    """LAMBDA_DEBUG as {function name: port}, ports in the order the names are given. With ``known``,
    a name that is not a function is an error that lists the functions."""
    value = settings.LAMBDA_DEBUG.read() if value is None else value
    names = [name.strip() for name in value.split(",") if name.strip()]
    if len(set(names)) != len(names):
        raise DebugSettingError(f"{DEBUG_VARIABLE}={value!r} names a function twice")
    unknown = [name for name in names if known is not None and name not in known]
    if unknown:
        raise DebugSettingError(
            f"{DEBUG_VARIABLE}={value!r}: no function named {', '.join(unknown)}; the functions are"
            f" {', '.join(sorted(known))} (the debugger runs in Python functions only)"
        )
    return {name: DEBUG_FIRST_PORT + index for index, name in enumerate(names)}


def attach_timeout() -> float:
    return settings.LAMBDA_DEBUG_ATTACH_TIMEOUT.read()


def localstack_settings(env: dict[str, str]) -> dict[str, str]:
    """LocalStack settings that debugging changes: a debugged environment is not stopped after
    LocalStack's default 10 idle minutes (LAMBDA_KEEPALIVE_MS) while the developer reads code. One
    setting for all functions in 4.14.0; a value the developer set wins."""
    if not env.get(DEBUG_VARIABLE) or "LAMBDA_KEEPALIVE_MS" in env:
        return {}
    return {"LAMBDA_KEEPALIVE_MS": str(DEBUG_TIMEOUT_SECONDS * 1000)}


def write_ports(state_dir: Path, ports: dict[str, int]) -> None:
    path = state_dir / PORTS_FILE
    if ports:
        path.write_text("".join(f"{name} {port}\n" for name, port in ports.items()))
    else:
        path.unlink(missing_ok=True)


def read_ports(state_dir: Path) -> dict[str, int]:
    try:
        lines = (state_dir / PORTS_FILE).read_text().splitlines()
    except FileNotFoundError:
        return {}
    return {name: int(port) for name, port in (line.split() for line in lines)}


def describe_ports(ports: dict[str, int]) -> list[str]:
    return [f"debug    {name}: attach to 127.0.0.1:{port}" for name, port in ports.items()]


def tools_path(kind: str, python_version: str) -> Path:
    """The folder holding one tool for one Python version, installed once (pip, pinned, binary wheels
    for that version: debugpy and coverage have compiled parts)."""
    requirements = REQUIREMENTS[kind]
    folder = TOOLS_ROOT / f"{kind}-{python_version}"
    stamp = folder / ".requirements"
    if stamp.exists() and stamp.read_text() == requirements.read_text():
        return folder
    TOOLS_ROOT.mkdir(parents=True, exist_ok=True)
    with open(TOOLS_ROOT / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several environments may start at once
        if not (stamp.exists() and stamp.read_text() == requirements.read_text()):
            install_wheels(requirements, folder, python_version)
            stamp.write_text(requirements.read_text())
    return folder


# A LocalStack started without the variable (`make up`, then `make test`, as CI does) is asked to measure
# by this file in its state directory (FILESYSTEM_ROOT's parent), holding the data folder: scripts/test.sh
# writes it for the length of its run, and environments started meanwhile read it.
COVERAGE_REQUEST = "function-coverage"


def coverage_folder() -> str | None:
    """Where this environment writes its coverage data, or None when nothing asks for coverage."""
    if folder := settings.FUNCTION_COVERAGE.read():
        return folder
    if not (root := settings.FILESYSTEM_ROOT.read()):
        return None
    try:
        return (Path(root).parent / COVERAGE_REQUEST).read_text().strip() or None
    except FileNotFoundError:
        return None


class FunctionInstrumentation:
    """What one function's environments get; the executor asks this, bootstrap acts on the variables."""

    def __init__(self, function_name: str, python_version: str | None):
        # Python functions only: other runtimes' bootstraps know nothing of these tools.
        self.debug_port = debug_ports().get(function_name) if python_version else None
        # Not both: on Python 3.12 the debugger and coverage.py would fight over the one trace function.
        self.coverage_data = coverage_folder() if python_version and self.debug_port is None else None
        self.python_version = python_version
        self.function_name = function_name

    @classmethod
    def of(cls, function_version) -> "FunctionInstrumentation":
        runtime = function_version.config.runtime or ""
        version = runtime.removeprefix("python") if runtime.startswith("python") else None
        return cls(function_version.id.function_name, version)

    @property
    def debugging(self) -> bool:
        return self.debug_port is not None

    def environment(self) -> dict[str, str]:
        """Variables for the Python runtime (removed before the function's code runs)."""
        env, tools = {}, []
        if self.debugging:
            tools.append(str(tools_path("debug", self.python_version)))
            env["_EMBEDDED_DEBUG"] = f"127.0.0.1:{self.debug_port}:{attach_timeout()}"
            # What the function's context reports (get_remaining_time_in_millis), lifted like the timeout.
            env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = str(DEBUG_TIMEOUT_SECONDS)
        if self.coverage_data:
            tools.append(str(tools_path("coverage", self.python_version)))
            env["_EMBEDDED_COVERAGE"] = json.dumps(
                {"config": str(COVERAGE_CONFIG), "data": self.coverage_data, "packages": measured_packages()}
            )
        if tools:
            env["_EMBEDDED_TOOLS"] = os.pathsep.join(tools)
        return env

    def task_root(self, code_location: str, hot_reloading: bool) -> str:
        """Where the function's code is, as the debugger sees it. An archive is unzipped under a folder
        named for the code's id, which changes with every deployment; a debugged function runs it through
        a link of fixed name (.state/lambda-debug/<function>, beside LocalStack's FILESYSTEM_ROOT), so that
        the IDE's path mapping (.vscode/launch.json) holds across deployments. A hot-reload folder has a
        fixed name already."""
        if not self.debugging or hot_reloading:
            return code_location
        link = Path(settings.FILESYSTEM_ROOT.read()).parent / "lambda-debug" / self.function_name
        link.parent.mkdir(parents=True, exist_ok=True)
        staged = link.with_name(f".{link.name}.{os.getpid()}.{id(self)}")
        staged.unlink(missing_ok=True)
        staged.symlink_to(code_location, target_is_directory=True)
        staged.replace(link)  # atomic: another environment of the function may be starting
        return str(link)

    def timeout(self, configured: float) -> float:
        return float(DEBUG_TIMEOUT_SECONDS) if self.debugging else configured

    def checks_memory(self) -> bool:
        # debugpy's own threads and buffers are not the function's memory, and a paused function grows nothing.
        return not self.debugging


@functools.cache
def measured_packages() -> list[str]:
    """The packages under the coverage configuration's [run] source folders (lambdas/): a function
    measures those of them its code holds, and nothing else (not its dependencies, not test fixtures)."""
    config = configparser.ConfigParser()
    config.read(COVERAGE_CONFIG)
    folders = [
        PROJECT_DIR / line.strip() for line in config.get("run", "source", fallback="").splitlines() if line.strip()
    ]
    return sorted({entry.name for folder in folders for entry in folder.iterdir() if (entry / "__init__.py").is_file()})


def lift_localstack_waits() -> None:
    """LocalStack 4.14.0 bounds its own waits on an invocation (the event source mappings' Lambda client,
    the executor endpoint) at 905 s, or at ldm.DEFAULT_LDM_TIMEOUT_SECONDS when its Lambda Debug Mode is
    on: switched on while any function is debugged, so a long pause does not fail a batch."""
    if debug_ports():
        from localstack.services.lambda_ import ldm

        from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK

        # A LocalStack internal, read at 4.14.0: on another version the flag may mean something else.
        if version("localstack-core") != PINNED_LOCALSTACK or not hasattr(ldm, "IS_LDM_ENABLED"):
            raise RuntimeError(
                f"LAMBDA_DEBUG lifts LocalStack's invocation waits through ldm.IS_LDM_ENABLED, read at LocalStack "
                f"{PINNED_LOCALSTACK}; re-read localstack/services/lambda_/ldm.py for {version('localstack-core')}"
            )
        ldm.IS_LDM_ENABLED = True


# The tools' top-level names in a wheel: packages, their .dist-info, coverage's .pth file.
TOOL_NAMES = ("debugpy", "coverage", "a1_coverage.pth")


def tools_in_archive(names: list[str]) -> list[str]:
    """Entries of a function archive that belong to the debugger or coverage.py (they must run beside
    the function, only when asked for, never ship with it)."""
    return sorted({name for name in names if name.split("/")[0].split("-")[0] in TOOL_NAMES})
