"""LAMBDA_DEBUG against the shop's functions: `python -m tools.debug_ports check` fails with the list of
functions when a name is not one of them (scripts/localenv.sh, before `make up` starts anything);
`python -m tools.debug_ports show` prints the ports of the running instance (make urls)."""

import sys

from embedded_localstack import Instance
from embedded_localstack import debugging as instrumentation
from infra.model import LAMBDA_RUNTIME
from infra.stack import FUNCTIONS


def check() -> int:
    try:
        ports = instrumentation.debug_ports(
            known={function.name for function in FUNCTIONS if function.runtime.startswith("python")}
        )
        instrumentation.attach_timeout()
    except instrumentation.DebugSettingError as e:
        print(e, file=sys.stderr)
        return 2
    if ports:
        # Now rather than in LocalStack at the first invocation, where it would count against the start-up timeout.
        instrumentation.tools_path("debug", LAMBDA_RUNTIME.removeprefix("python"))
        print(
            f"==> debugging {', '.join(ports)}: the first invocation waits {instrumentation.attach_timeout():.0f} s for the IDE"
        )
    return 0


def show() -> int:
    for line in instrumentation.describe_ports(instrumentation.read_ports(Instance.from_env().state_dir)):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit({"check": check, "show": show}[sys.argv[1]]())
