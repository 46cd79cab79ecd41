"""One checkout's path through the shop, with the time of each hop: `make trace ID=<checkoutId>`.

Built from the functions' structured logs in CloudWatch Logs (Powertools), which all carry the
checkout id and the correlation id of the API request that started it."""

import json
import sys
from dataclasses import dataclass
from datetime import datetime

from infra.aws import client
from infra.model import Function, Queue, Rule
from infra.stack import CHECKOUT_RULE, STACK

# What the functions log at each step of a checkout (lambdas/, lambdas_node/), and what the step is.
HOPS = {
    "basket checked out": "API call answered (202)",
    "checkout event published": "event on the bus",
    "order attempt failed": "ordering attempt failed",
    "order created": "order row written",
    "notification attempt failed": "notification attempt failed",
    "confirmation email sent": "confirmation email sent",
    "checkout audit recorded": "audit row written",
}


@dataclass
class Hop:
    at: datetime
    source: str
    what: str
    details: str


def _time(entry: dict) -> datetime:
    # Powertools' default format, e.g. "2026-11-23 13:19:39,558+0000"
    return datetime.strptime(entry["timestamp"], "%Y-%m-%d %H:%M:%S,%f%z")


def checkout_path(rule: Rule = CHECKOUT_RULE) -> list[tuple[Function, Queue | None]]:
    """The functions a checkout passes through, from the stack: those that publish to the rule's bus,
    then each target's function, or the functions polling a target queue (with that queue)."""
    path: list[tuple[Function, Queue | None]] = [(function, None) for function in STACK.publishers(rule.bus)]
    for target in rule.targets:
        if isinstance(target.destination, Queue):
            path += [(function, target.destination) for function in STACK.subscribers(target.destination)]
        else:
            path.append((target.destination, None))
    return path


def hops(checkout_id: str) -> list[Hop]:
    logs = client("logs")
    found = []
    for function, queue in checkout_path():
        group = f"/aws/lambda/{function.name}"
        try:
            pages = logs.get_paginator("filter_log_events").paginate(
                logGroupName=group, filterPattern=f'"{checkout_id}"'
            )
            events = [event for page in pages for event in page["events"]]
        except logs.exceptions.ResourceNotFoundException:
            continue
        for event in events:
            try:
                entry = json.loads(event["message"])
            except ValueError:
                continue  # START/END/REPORT and plain output
            if entry.get("checkout_id") != checkout_id or entry.get("message") not in HOPS:
                continue
            details = []
            if "receive_count" in entry:
                details.append(f"receive {entry['receive_count']}")
            if entry.get("error"):
                details.append(entry["error"])
            if entry.get("order_date"):
                details.append(f"orderDate {entry['order_date']}")
            found.append(Hop(_time(entry), function.name, HOPS[entry["message"]], ", ".join(details)))
            if entry.get("checked_out_at"):
                started = datetime.fromisoformat(entry["checked_out_at"].replace("Z", "+00:00"))
                found.append(Hop(started, function.name, "checkout request validated, basket read", ""))
            if queue and entry.get("queued_at_ms"):
                queued = datetime.fromtimestamp(int(entry["queued_at_ms"]) / 1000, tz=found[-1].at.tzinfo)
                found.append(Hop(queued, queue.name, "message in the queue", f"receive {entry.get('receive_count')}"))
    unique = {(h.at, h.source, h.what): h for h in found}
    return sorted(unique.values(), key=lambda h: h.at)


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
