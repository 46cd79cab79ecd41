"""LocalStack's Lambda log shipper, patched twice: every line of an invocation's output arrives,
however much the function printed, and it arrives without a round trip through LocalStack's gateway.

Whole output. LocalStack's Lambda log shipper (``localstack.services.lambda_.invocation.logs.LogHandler``) sends
an invocation's whole output in one PutLogEvents call, one event per line. CloudWatch Logs refuses
that once the output is large: an event is at most 256 KiB, and a call at most 1 MiB (each event's
UTF-8 bytes plus 26) and 10,000 events. ``split_for_cloudwatch`` cuts the output into parts that
each fit one call, and long lines into several events, so that every line arrives, START to REPORT.
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html

Straight to the store. The shipper (``LogHandler.run_log_loop``) sends each invocation's lines with a
boto3 client through LocalStack's in-memory gateway: serialising, signing and parsing the request,
then the whole handler chain, for what ends as one call into moto's logs backend. That was two thirds
of LocalStack's CPU time per warm invocation (profiled with yappi: 300 invocations, 4.6 of 6.9 s).
``ship_straight_to_the_store`` delivers to that backend directly, so groups, streams, events,
subscription filters (LocalStack patches them into moto's ``LogStream.put_log_events``) and every
read API stay as they were. A group with metric filters of its own still goes through the API, whose
provider turns matching lines into CloudWatch metrics. (That provider applies every metric filter of
the region to every group's lines; a function's lines now count only for filters on its own group,
as on AWS.) Pinned to LocalStack 4.14.0 like lambda_metrics.py:
on another version nothing is patched and tests/unit/test_performance_parts.py fails.
"""

import logging
import queue
import time
from importlib.metadata import version

from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK

LOG = logging.getLogger(__name__)

# Once this much output has been stored and no more came for a second, the memory its copies took on
# the way (the invocation's text, its lines, the events) goes back to the system (log_store.py), and
# again at each of the next quiet seconds: other threads (the executor, LocalStack's invocation record)
# let go of their copies when they get to it, which on a loaded machine may be after the first.
GIVE_BACK_AFTER_BYTES = 8 * 2**20
GIVE_BACK_AFTER_SECONDS = 1
GIVE_BACK_QUIET_SECONDS = 5

MAX_EVENT_BYTES = 256 * 1024
MAX_BATCH_BYTES = 1024 * 1024
MAX_BATCH_EVENTS = 10_000
EVENT_OVERHEAD_BYTES = 26
# A line of up to 256 KiB is one event, as a function's line is on AWS (Lambda's own limit on a log
# line); the newline LocalStack's shipper gives it back and the 26 bytes count only towards the call.
_LINE_BYTES = MAX_EVENT_BYTES


def split_line(line: str, limit: int = _LINE_BYTES) -> list[str]:
    """A line as pieces of at most ``limit`` UTF-8 bytes, never cutting a character in two."""
    data = line.encode("utf-8")
    if len(data) <= limit:
        return [line]
    pieces, start = [], 0
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # a continuation byte: back off
            end -= 1
        if end == start:  # a limit below one character's bytes: the character goes whole
            end = start + 1
            while end < len(data) and (data[end] & 0xC0) == 0x80:
                end += 1
        pieces.append(data[start:end].decode("utf-8"))
        start = end
    return pieces


def split_for_cloudwatch(logs: str) -> list[str]:
    """The output as texts of whole lines, each within one PutLogEvents call's limits once
    LocalStack splits it into one event per non-empty line."""
    batches: list[str] = []
    lines: list[str] = []
    size = 0
    for line in logs.split("\n"):
        for piece in split_line(line) if line else ():
            cost = len(piece.encode("utf-8")) + 1 + EVENT_OVERHEAD_BYTES
            if lines and (size + cost > MAX_BATCH_BYTES or len(lines) == MAX_BATCH_EVENTS):
                batches.append("\n".join(lines) + "\n")
                lines, size = [], 0
            lines.append(piece)
            size += cost
    if lines:
        batches.append("\n".join(lines) + "\n")
    return batches


_installed = False


def ship_within_cloudwatch_limits() -> None:
    """Makes LocalStack's Lambda log shipper send each invocation's output in parts that fit."""
    global _installed
    if _installed:
        return
    from localstack.services.lambda_.invocation.logs import LogHandler, LogItem
    from localstack.utils.patch import patch

    @patch(LogHandler.add_logs)
    def add_logs(add_logs, self, log_item: LogItem) -> None:
        for part in split_for_cloudwatch(log_item.logs):
            add_logs(self, LogItem(log_item.log_group, log_item.log_stream, part))

    _installed = True


def deliver(backend, log_group: str, log_stream: str, events: list[dict], put_through_api) -> None:
    """Appends `events` to the stream in moto's logs `backend`, creating the group and the stream if
    need be (as the shipper does on ResourceNotFoundException). A group with metric filters goes
    through `put_through_api(group, stream, events)` instead, so that they see the events."""
    from moto.logs.exceptions import ResourceAlreadyExistsException

    if log_group not in backend.groups:
        try:
            backend.create_log_group(log_group, tags={})
        except ResourceAlreadyExistsException:  # another environment of the function made it meanwhile
            pass
    backend.ensure_log_stream(log_group, log_stream)
    if any(metric_filter.get("logGroupName") == log_group for metric_filter in backend.filters.metric_filters):
        put_through_api(log_group, log_stream, events)
    else:
        backend.put_log_events(log_group, log_stream, events)


_shipping_straight = False


def ship_straight_to_the_store() -> bool:
    """Replaces the shipper's loop with one that hands each invocation's lines to the logs backend.
    True if it patched (LocalStack 4.14.0 only)."""
    global _shipping_straight
    if _shipping_straight:
        return True
    installed = version("localstack-core")
    if installed != PINNED_LOCALSTACK:
        LOG.warning(
            "Lambda logs shipped through the gateway: embedded_localstack/executor/log_events.py patches LocalStack %s, not %s",
            PINNED_LOCALSTACK,
            installed,
        )
        return False
    from localstack.aws.connect import connect_to
    from localstack.services.lambda_.invocation import logs
    from localstack.services.logs.models import get_moto_logs_backend
    from localstack.services.plugins import SERVICE_PLUGINS
    from localstack.utils.aws.arns import extract_account_id_from_arn
    from localstack.utils.aws.client_types import ServicePrincipal

    from embedded_localstack.executor.log_store import give_back_memory

    original = logs.LogHandler.run_log_loop

    def run_log_loop(self, *args, **kwargs) -> None:
        account_id = extract_account_id_from_arn(self.role_arn)
        if not account_id:  # no account to store under: LocalStack's own loop, whose client decides
            return original(self, *args, **kwargs)
        backend = client = None

        def put_through_api(log_group: str, log_stream: str, events: list[dict]) -> None:
            nonlocal client
            client = (
                client
                or connect_to.with_assumed_role(
                    region_name=self.region, role_arn=self.role_arn, service_principal=ServicePrincipal.lambda_
                ).logs
            )
            client.put_log_events(logGroupName=log_group, logStreamName=log_stream, logEvents=events)

        shipped = 0  # bytes since the last large output
        give_backs = 0  # quiet seconds left at which memory goes back
        while not self._shutdown_event.is_set():
            try:
                log_item = self.log_queue.get(timeout=GIVE_BACK_AFTER_SECONDS if give_backs else None)
            except queue.Empty:
                # The first time with a collection: an invocation's copies may be held by a reference cycle
                # (a settled future, a traceback), which an idle LocalStack would not collect for a long time.
                give_back_memory(collect=give_backs == GIVE_BACK_QUIET_SECONDS)
                give_backs -= 1
                continue
            if log_item is logs.QUEUE_SHUTDOWN:
                return
            # As LocalStack's loop: one event per non-empty line, newline kept, one timestamp per invocation.
            timestamp = int(time.time() * 1000)
            events = [{"timestamp": timestamp, "message": line + "\n"} for line in log_item.logs.split("\n") if line]
            shipped += len(log_item.logs)
            if shipped >= GIVE_BACK_AFTER_BYTES:
                shipped, give_backs = 0, GIVE_BACK_QUIET_SECONDS
            try:
                if backend is None:
                    # At the first lines, as the shipper's first PutLogEvents would load the service (not
                    # when the function is created, in the middle of a deployment): LocalStack's patches of
                    # moto's logs models (subscription filters) are in place before the first line is stored.
                    SERVICE_PLUGINS.require("logs")
                    backend = get_moto_logs_backend(account_id, self.region)
                deliver(backend, log_item.log_group, log_item.log_stream, events, put_through_api)
            except Exception as e:
                LOG.warning("Error saving logs to group %s in region %s: %s", log_item.log_group, self.region, e)
            log_item = events = None  # not held while the loop waits: the next give-back frees them too

    run_log_loop.original = original  # tests read what it replaced
    logs.LogHandler.run_log_loop = run_log_loop
    _shipping_straight = True
    return True
