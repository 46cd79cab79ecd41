"""Where a Node.js of a given major may be on this machine, for every ``nodejs<N>.x`` runtime that
LocalStack accepts (12 to 24 in 4.14.0; the deprecated ones too, since LAMBDA_RUNTIME_VALIDATION is off).

Best first: ``EMBEDDED_LAMBDA_NODE<N>=/path/to/node``, then ``node<N>`` on PATH, then what
``make node MAJOR=<N>`` installed (scripts/node-major.sh: the npm registry's ``node-<os>-<arch>``
package of that major, which carries the binary, under build/node/<N>/), then ``node`` on PATH.
Each candidate must report that major (``node --version``); node_runtime.py checks.
"""

import shutil
from pathlib import Path

from embedded_localstack import settings

LOCATION_VARIABLE = settings.NODE_LOCATION.name
# Where `make node` installs majors; the variable moves it (a machine-wide cache, or a test's own).
INSTALLS_VARIABLE = settings.NODE_INSTALLS.name


def is_location_variable(name: str) -> bool:
    """EMBEDDED_LAMBDA_NODE<N> for any N: the CLI passes these from the shell to LocalStack."""
    return settings.NODE_LOCATION.matches(name)


def installs() -> Path:
    return settings.NODE_INSTALLS.read()


def installed(major: str) -> Path:
    """Where `make node MAJOR=<major>` puts that major's binary."""
    return installs() / major / "bin" / "node"


def candidates(major: str) -> list[str]:
    found = [
        settings.NODE_LOCATION.named(major=major).read(),
        shutil.which(f"node{major}") or "",
        str(installed(major)) if installed(major).is_file() else "",
        shutil.which("node") or "",
    ]
    return [node for node in found if node]


def install_hint(major: str) -> str:
    return (
        f"Install it with `make node MAJOR={major}` (from the npm registry into {installs()}), or point "
        f"{LOCATION_VARIABLE.format(major=major)}=/path/to/node at one, or put it on PATH as node{major}"
    )
