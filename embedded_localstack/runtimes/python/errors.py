"""Errors as AWS's Python runtime reports them: the response's shape, and the one log line it writes."""

from __future__ import annotations  # the function's interpreter may be older than this file's syntax

import os
import traceback

# The runtime writes an error report as one log line: its lines joined by CR, indentation as NBSP.
ERROR_LINE_SEPARATOR = "\r"
ERROR_INDENT = "\u00a0"

_HERE = os.path.dirname(os.path.abspath(__file__))


class RuntimeFault(Exception):
    """A failure the runtime reports under its own ``Runtime.*`` type rather than the exception's."""

    def __init__(self, message: str, error_type: str, trace: list[str] | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.trace = trace or []


def error_body(error: BaseException, error_type: str | None = None) -> dict:
    """AWS's error shape for the Python runtime; the trace starts in the function's code. The
    runtime's own faults (``RuntimeFault``) carry their own trace, usually none."""
    if isinstance(error, RuntimeFault):
        return {"errorMessage": str(error), "errorType": error.error_type, "requestId": "", "stackTrace": error.trace}
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(_user_frames(error))),
    }


def error_log_line(body: dict) -> str:
    """The log line AWS's runtime writes for an error: ``[ERROR] Type: message`` and the trace,
    as one line, so that CloudWatch keeps it as one event."""
    error_type, message = body["errorType"], body["errorMessage"]
    head = "[ERROR]" + (f" {error_type}" if error_type else "") + (":" if error_type and message else "")
    lines = [head + (f" {message}" if message else ""), "Traceback (most recent call last):"]
    for frame in body["stackTrace"]:
        for line in frame.splitlines():
            stripped = line.lstrip(" ")
            lines.append(ERROR_INDENT * (len(line) - len(stripped)) + stripped)
    return ERROR_LINE_SEPARATOR.join(lines) + "\n"


def _user_frames(error: BaseException):
    # The runtime's own frames (the invoke, the handler's import) are left out: they are this folder's.
    tb = error.__traceback__
    while tb is not None and os.path.dirname(tb.tb_frame.f_code.co_filename) == _HERE:
        tb = tb.tb_next
    return tb
