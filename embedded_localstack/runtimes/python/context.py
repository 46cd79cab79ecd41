"""The context object a handler is given, and its result as the runtime's marshaller sends it."""

from __future__ import annotations  # the function's interpreter may be older than this file's syntax

import decimal
import json
import os
import time

# Runtimes whose marshaller writes non-ASCII characters as they are (UTF-8) rather than as \uXXXX
# escapes: awslambdaric's Encoder (lambda_runtime_marshaller.py, ensure_ascii=False for these). The
# response size limit counts the bytes actually sent, so this decides what fits in 6 MB.
UNESCAPED_JSON_EXECUTION_ENVS = frozenset(f"AWS_Lambda_python3.{minor}" for minor in (12, 13, 14, 15))


class LambdaContext:
    def __init__(self, request_id: str, invoked_function_arn: str, deadline: float):
        env = os.environ
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def to_json(value, ensure_ascii: bool) -> bytes:
    """A result or error as the runtime's marshaller sends it: UTF-8 JSON, escaped or not by runtime."""
    return json.dumps(value, default=_json_default, ensure_ascii=ensure_ascii).encode("utf-8")


def _json_default(value):
    # The AWS Python runtime serialises Decimal (what boto3 returns for DynamoDB numbers).
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
