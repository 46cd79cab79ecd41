"""Which local ``node`` runs a function of a nodejs runtime (``nodejs20.x`` -> a Node.js 20), how it is
started, and where the AWS SDK it finds comes from. The Python counterpart is ``interpreters.py``;
the same rule applies: exactly the runtime's major version, or the function fails with the fix."""

import re
import shutil
import subprocess
from pathlib import Path

from embedded_localstack import settings
from embedded_localstack.runtimes import node_majors

BOOTSTRAP = Path(__file__).parent / "node" / "bootstrap.mjs"
# What `make up` installs from node_sdk/package-lock.json (scripts/node-runtime.sh): the AWS SDK
# v3 clients, as Lambda's Node.js runtimes provide them in /var/runtime/node_modules.
SDK_VARIABLE = settings.NODE_MODULES.name
# A node of a given major anywhere on this machine, e.g. EMBEDDED_LAMBDA_NODE22=/opt/node22/bin/node.
VARIABLE = node_majors.LOCATION_VARIABLE


class NodeUnavailable(Exception):
    pass


def major_of(runtime: str | None) -> str | None:
    match = re.fullmatch(r"nodejs(\d+)\.x", runtime or "")
    return match.group(1) if match else None


def _major_of_binary(node: str) -> str | None:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.fullmatch(r"v(\d+)\.\d+\.\d+\S*", out.stdout.strip())
    return match.group(1) if out.returncode == 0 and match else None


def candidates(major: str) -> list[str]:
    """Places a node of this major may be, best first (node_majors.py)."""
    return node_majors.candidates(major)


_found: dict[str, str] = {}  # major -> node; a missing one is looked for again next time


def find_node(major: str) -> str | None:
    if major not in _found:
        node = next((n for n in candidates(major) if _major_of_binary(n) == major), None)
        if node is None:
            return None
        _found[major] = node
    return _found[major]


def sdk_folder() -> Path:
    return settings.NODE_MODULES.read()


def node_for_runtime(runtime: str) -> str:
    major = major_of(runtime)
    if major is None:
        raise ValueError(f"{runtime!r} is not a nodejs runtime")
    node = find_node(major)
    if node is None:
        on_path = shutil.which("node")
        seen = (
            f"the node on PATH ({on_path}) is Node.js {_major_of_binary(on_path)}" if on_path else "no node is on PATH"
        )
        raise NodeUnavailable(
            f"Runtime {runtime} needs Node.js {major}, which embedded mode did not find: {seen}. "
            f"{node_majors.install_hint(major)}; the next invoke finds it"
        )
    if not (sdk_folder() / "@aws-sdk").is_dir():
        raise NodeUnavailable(
            f"Runtime {runtime} needs the AWS SDK for JavaScript that Lambda provides, which is not installed "
            f"at {sdk_folder()}: install npm and run `make up` (scripts/node-runtime.sh installs it)"
        )
    return node


def command(node: str, memory_mb: int) -> list[str]:
    """As the Lambda image's bootstrap starts node: V8's heap sized from MemorySize (a tenth for the
    young generation, split in two semi-spaces; the rest for the old one), gc exposed, 80 KiB headers."""
    young = memory_mb // 10
    return [
        node,
        "--expose-gc",
        "--max-http-header-size",
        "81920",
        f"--max-semi-space-size={young // 2}",
        f"--max-old-space-size={memory_mb - young}",
        str(BOOTSTRAP),
    ]


def variables(task_root: str, runtime_dir: str) -> dict[str, str]:
    """Lambda's NODE_PATH (/var/runtime/node_modules:/var/runtime:/var/task there, after the layers)."""
    return {"NODE_PATH": ":".join((str(sdk_folder()), runtime_dir, task_root))}
