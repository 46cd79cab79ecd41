"""The root logger's handler, in the format and with the request id of AWS's Python runtime."""

from __future__ import annotations  # the function's interpreter may be older than this file's syntax

import logging
import os
import sys
import time

from .errors import ERROR_LINE_SEPARATOR

# The text format of the Python runtime's log handler on AWS (AWS_LAMBDA_LOG_FORMAT=Text).
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
# The invocation in progress, for the log handler; empty while the handler module is imported.
request_id = ""


class LambdaLogHandler(logging.Handler):
    """The root logger's handler on AWS: each record to stdout, which is the function's log, in
    the runtime's format with the current request id. On AWS the runtime hands each record to the
    platform as one frame (_LAMBDA_TELEMETRY_LOG_FD), so a multi-line record (a message with newlines,
    ``logger.exception``'s traceback) is one CloudWatch event. Here the log is a text file split at
    newlines, so the record's inner newlines become CR, as the runtime does for its error lines."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            text = text[:-1] if text.endswith("\n") else text
            sys.stdout.write(text.replace("\n", ERROR_LINE_SEPARATOR) + "\n")
        except Exception:
            self.handleError(record)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = request_id
        return True


def install_log_handler() -> None:
    """Gives the root logger the runtime's handler before the function's code runs, so that, as on
    AWS, ``logging.basicConfig`` in that code does nothing and Powertools' Logger finds a root handler
    to keep its own records off (no duplicate lines)."""
    logging.Formatter.converter = time.gmtime  # the runtime's timestamps are UTC, for every formatter
    handler = LambdaLogHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()  # advanced logging controls
    if isinstance(logging.getLevelName(level), int):
        root.setLevel(level)
