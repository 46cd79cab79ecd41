"""``python -m embedded_localstack up|down|status|logs``: the arguments, and the platform's API called with them.

The embedded LocalStack is LocalStack 4.14.0 from PyPI running as a host process, with this
package's two plugins. Its state (pid file, log file, LocalStack's filesystem root) lives in one
state directory, so several instances can run side by side on different ports.
"""

import argparse
import sys

from embedded_localstack import Instance, settings, start, status, stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m embedded_localstack", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_command = commands.add_parser("up", help="start in the background and wait until init hooks completed")
    start_command.add_argument("--timeout", type=float, default=120)
    commands.add_parser("down", help="stop LocalStack and every function process")
    commands.add_parser("status", help="exit 0 when running and ready")
    logs = commands.add_parser("logs", help="print the end of LocalStack's log")
    logs.add_argument("-n", "--lines", type=int, default=200)
    args = parser.parse_args(argv)

    instance = Instance.from_env()
    # Owner-only: it holds LocalStack's log, its data and the private key of its TLS certificate, which
    # LocalStack writes readable by all.
    instance.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if args.command == "up":
            return start(instance, args.timeout)
        if args.command == "down":
            return stop(instance)
        if args.command == "status":
            return status(instance)
    except settings.SettingError as e:
        print(e, file=sys.stderr)  # names the variable, its value and what it takes
        return 2
    print(instance.log_tail(args.lines))
    return 0
