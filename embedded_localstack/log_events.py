"""An invocation's output as CloudWatch Logs can take it, however much the function printed.

LocalStack's Lambda log shipper (``localstack.services.lambda_.invocation.logs.LogHandler``) sends
an invocation's whole output in one PutLogEvents call, one event per line. CloudWatch Logs refuses
that once the output is large: an event is at most 256 KiB, and a call at most 1 MiB (each event's
UTF-8 bytes plus 26) and 10,000 events. ``split_for_cloudwatch`` cuts the output into parts that
each fit one call, and long lines into several events, so that every line arrives, START to REPORT.
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
"""

MAX_EVENT_BYTES = 256 * 1024
MAX_BATCH_BYTES = 1024 * 1024
MAX_BATCH_EVENTS = 10_000
EVENT_OVERHEAD_BYTES = 26
# LocalStack's shipper gives each line back its newline, one byte more per event.
_LINE_BYTES = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES - 1


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
