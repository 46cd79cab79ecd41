"""One checkout's path through the shop, with the time of each hop: `make trace ID=<checkoutId>`.
The hops come from client/checkout_trace.py, which the dashboard's waterfall reads too."""

import sys

from client.checkout_trace import Hop, checkout_path, hops  # noqa: F401 (checkout_path: part of this tool's API)


def print_hops(checkout_id: str, found: list[Hop]) -> None:
    start = found[0].at
    print(f"checkout {checkout_id}")
    print(f"{'time (UTC)':<13} {'total':>8} {'hop':>8}  {'where':<22} what")
    previous = start
    for hop in found:
        total, step = (hop.at - start).total_seconds(), (hop.at - previous).total_seconds()
        print(
            f"{hop.at:%H:%M:%S.%f}"[:-3]
            + f"  {total:7.3f}s {step:7.3f}s  {hop.source:<22} {hop.what}{' (' + hop.details + ')' if hop.details else ''}"
        )
        previous = hop.at


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: make trace ID=<checkoutId>", file=sys.stderr)
        return 2
    found = hops(argv[0])
    if not found:
        print(f"no log entries for checkout {argv[0]} (wrong id, or logs not flushed yet)", file=sys.stderr)
        return 1
    print_hops(argv[0], found)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
