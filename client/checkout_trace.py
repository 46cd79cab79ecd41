"""One checkout's path through the shop, read from CloudWatch Logs: `make trace` prints it and the
dashboard draws it as a waterfall, both from what this module returns.

The functions' structured log lines (Powertools, and the same keys from the Node.js function) all carry
the checkout id and the correlation id of the API request that started it; each invocation's REPORT
line gives its duration and, on a cold start, its Init Duration."""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
FAILED_HOPS = {"ordering attempt failed", "notification attempt failed"}
REPORT = re.compile(
    r"REPORT RequestId: (?P<id>\S+)\s+Duration: (?P<ms>[\d.]+) ms(?:.*Init Duration: (?P<init>[\d.]+) ms)?"
)
# REPORT lines are looked for this long after an invocation's last line reached CloudWatch Logs.
REPORT_WINDOW_MS = 60_000


@dataclass
class Hop:
    at: datetime
    source: str
    what: str
    details: str
    request_id: str | None = None  # the invocation that logged it (None: a queue's own hop)
    stream: str | None = None
    logged_ms: int = 0  # when the line reached CloudWatch Logs

    @property
    def failed(self) -> bool:
        return self.what in FAILED_HOPS


@dataclass
class Invocation:
    """One run of a function on the checkout's path, with the hops it logged."""

    function: str
    request_id: str
    hops: list[Hop] = field(default_factory=list)
    duration_ms: float | None = None  # from its REPORT line, once that has arrived
    init_ms: float | None = None  # a cold start's Init Duration
    attempt: int = 1  # 1 + the number of earlier invocations of the same function for this checkout

    @property
    def start(self) -> datetime:
        return self.hops[0].at

    @property
    def end(self) -> datetime:
        measured = self.start + timedelta(milliseconds=self.duration_ms) if self.duration_ms is not None else None
        return max(filter(None, (measured, self.hops[-1].at)))

    @property
    def cold(self) -> bool | None:
        return None if self.duration_ms is None else self.init_ms is not None

    @property
    def failed(self) -> bool:
        return any(hop.failed for hop in self.hops)


@dataclass
class Trace:
    checkout_id: str
    hops: list[Hop]
    invocations: list[Invocation]

    @property
    def start(self) -> datetime | None:
        return self.hops[0].at if self.hops else None


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


def _events(logs, group: str, **query) -> list[dict]:
    try:
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group, **query)
        return [event for page in pages for event in page["events"]]
    except logs.exceptions.ResourceNotFoundException:
        return []


def _hops_in(events: list[dict], wanted: str, function: Function, queue: Queue | None) -> list[Hop]:
    found = []
    for event in events:
        try:
            entry = json.loads(event["message"])
        except ValueError:
            continue  # START/END/REPORT and plain output
        if not isinstance(entry, dict) or wanted not in (entry.get("checkout_id"), entry.get("correlation_id")):
            continue
        if entry.get("message") not in HOPS:
            continue
        where = {"request_id": entry.get("function_request_id"), "stream": event.get("logStreamName")}
        where["logged_ms"] = event.get("timestamp", 0)
        details = []
        if "receive_count" in entry:
            details.append(f"receive {entry['receive_count']}")
        if entry.get("error"):
            details.append(entry["error"])
        if entry.get("order_date"):
            details.append(f"orderDate {entry['order_date']}")
        hop = Hop(_time(entry), function.name, HOPS[entry["message"]], ", ".join(details), **where)
        found.append(hop)
        if entry.get("checked_out_at"):
            started = datetime.fromisoformat(entry["checked_out_at"].replace("Z", "+00:00"))
            found.append(Hop(started, function.name, "checkout request validated, basket read", "", **where))
        if queue and entry.get("queued_at_ms"):
            queued = datetime.fromtimestamp(int(entry["queued_at_ms"]) / 1000, tz=hop.at.tzinfo)
            found.append(
                Hop(queued, queue.name, "message in the queue", f"receive {entry.get('receive_count')}", **where)
            )
    return found


def _invocations(logs, function: Function, hops: list[Hop]) -> list[Invocation]:
    """The function's hops grouped by invocation, each with its REPORT line. A line without a request
    id (the Node.js function's) belongs to the first REPORT in its stream at or after it."""
    own = [hop for hop in hops if hop.source == function.name]
    if not own:
        return []
    first, last = min(h.logged_ms for h in own), max(h.logged_ms for h in own)
    reports = []
    for event in _events(
        logs,
        f"/aws/lambda/{function.name}",
        filterPattern='"REPORT RequestId"',
        startTime=first - 1000,
        endTime=last + REPORT_WINDOW_MS,
    ):
        if match := REPORT.search(event["message"]):
            reports.append((event.get("logStreamName"), event.get("timestamp", 0), match))
    by_id = {match["id"]: match for _, _, match in reports}
    invocations: dict[str, Invocation] = {}
    for hop in sorted(own, key=lambda h: h.at):
        request_id = hop.request_id
        if request_id is None:
            later = [(ts, m) for stream, ts, m in reports if stream == hop.stream and ts >= hop.logged_ms]
            request_id = min(later, key=lambda pair: pair[0])[1]["id"] if later else f"{hop.stream}@{hop.logged_ms}"
        invocation = invocations.setdefault(request_id, Invocation(function.name, request_id))
        invocation.hops.append(hop)
    for attempt, invocation in enumerate(sorted(invocations.values(), key=lambda i: i.start), start=1):
        invocation.attempt = attempt
        if match := by_id.get(invocation.request_id):
            invocation.duration_ms = float(match["ms"])
            invocation.init_ms = float(match["init"]) if match["init"] else None
    return sorted(invocations.values(), key=lambda i: i.start)


def trace(checkout_or_correlation_id: str, logs=None) -> Trace:
    """Everything the logs say about one checkout, found by its checkoutId or its correlation id."""
    logs = logs or client("logs")
    wanted = checkout_or_correlation_id
    found: list[Hop] = []
    invocations: list[Invocation] = []
    for function, queue in checkout_path():
        events = _events(logs, f"/aws/lambda/{function.name}", filterPattern=f'"{wanted}"')
        function_hops = _hops_in(events, wanted, function, queue)
        found += function_hops
        invocations += _invocations(logs, function, function_hops)
    unique = {(h.at, h.source, h.what): h for h in found}
    return Trace(wanted, sorted(unique.values(), key=lambda h: h.at), sorted(invocations, key=lambda i: i.start))


def hops(checkout_id: str) -> list[Hop]:
    return trace(checkout_id).hops
