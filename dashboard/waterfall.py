"""One checkout's path as rows on a time axis, from client/checkout_trace.py (the data `make trace` prints):
the API call, each invocation of each function (duration, cold or warm, attempt, failed), each wait in
a queue, and the hops each logged, as marks in its row."""

from dataclasses import dataclass, field

from client.checkout_trace import Trace

TICK_STEPS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 60_000, 300_000, 600_000)


@dataclass
class Mark:
    at_ms: float
    what: str
    failed: bool


@dataclass
class Row:
    label: str
    kind: str  # api, bus, queue, function
    start_ms: float
    end_ms: float
    detail: str = ""
    cold: bool | None = None
    attempt: int = 1
    failed: bool = False
    marks: list[Mark] = field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        return self.end_ms - self.start_ms


@dataclass
class Waterfall:
    checkout_id: str
    rows: list[Row]
    total_ms: float
    hops: list[dict]  # every hop as text: offset, where, what, details

    @property
    def ticks(self) -> list[float]:
        """Nice time-axis steps (ms) covering total_ms in about five steps."""
        span = max(self.total_ms, 1)
        step = next(s for s in (*TICK_STEPS_MS, span) if span / s <= 6)
        return [i * step for i in range(int(span // step) + 1)]


def build(trace: Trace) -> Waterfall | None:
    if not trace.hops:
        return None
    zero = trace.start

    def ms(moment) -> float:
        return (moment - zero).total_seconds() * 1000

    rows: list[Row] = []
    by_request = {i.request_id: i for i in trace.invocations}
    answered = next((h for h in trace.hops if h.what == "API call answered (202)"), None)
    if answered:
        rows.append(Row("API Gateway POST /basket/checkout", "api", 0, ms(answered.at), "answered 202"))
    published = next((h for h in trace.hops if h.what == "event on the bus"), None)
    for invocation in trace.invocations:
        cold = {True: "cold start", False: "warm", None: "no REPORT yet"}[invocation.cold]
        detail = f"{cold}; attempt {invocation.attempt}"
        if invocation.duration_ms is not None:
            detail = f"{invocation.duration_ms:.1f} ms, " + detail
        if invocation.init_ms:
            detail += f" (init {invocation.init_ms:.0f} ms)"
        rows.append(
            Row(
                f"λ {invocation.function}",
                "function",
                ms(invocation.start),
                ms(invocation.end),
                detail,
                invocation.cold,
                invocation.attempt,
                invocation.failed,
                [Mark(ms(h.at), h.what, h.failed) for h in invocation.hops],
            )
        )
    for hop in trace.hops:
        if hop.what == "message in the queue":
            consumer = by_request.get(hop.request_id)
            end = ms(consumer.start) if consumer else ms(hop.at)
            rows.append(Row(f"SQS {hop.source}", "queue", ms(hop.at), end, hop.details))
    if published:
        delivered = [r.start_ms for r in rows if r.start_ms > ms(published.at) and r.kind in ("queue", "function")]
        rule = "EventBridge (CheckoutBasketRule)"
        end = min(delivered) if delivered else ms(published.at)
        rows.append(Row(rule, "bus", ms(published.at), end, "event published, delivered to the rule's targets"))
    rows.sort(key=lambda r: (r.start_ms, r.kind != "api"))
    total = max([r.end_ms for r in rows] + [ms(h.at) for h in trace.hops] + [1])
    hops = [
        {"at_ms": ms(h.at), "where": h.source, "what": h.what, "details": h.details, "failed": h.failed}
        for h in trace.hops
    ]
    return Waterfall(trace.checkout_id, rows, total, hops)
