"""What an invocation that the executor ended answers, and how its log ends: its timeout passed, or it
used more than its MemorySize (the sandbox is killed, as on AWS)."""

import json
from datetime import UTC, datetime

from localstack.services.lambda_.invocation.lambda_models import InvocationResult


def out_of_memory(request_id: str, elapsed: float, used: float, memory: int, logs: str) -> InvocationResult:
    message = f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
    logs += (
        f"{message}\nEND RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\tDuration: {elapsed * 1000:.2f} ms\t"
        f"Billed Duration: {int(elapsed * 1000) + 1} ms\tMemory Size: {memory} MB\tMax Memory Used: {used:.0f} MB\n"
    )
    payload = json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}).encode()
    return InvocationResult(request_id, payload, is_error=True, logs=logs)


def timed_out(request_id: str, timeout: float, elapsed: float, memory: int, logs: str) -> InvocationResult:
    message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    logs += (
        f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds\n"
        f"END RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\tDuration: {elapsed * 1000:.2f} ms\t"
        f"Billed Duration: {int(timeout * 1000)} ms\t"
        f"Memory Size: {memory} MB\tStatus: timeout\n"
    )
    payload = json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}).encode()
    return InvocationResult(request_id, payload, is_error=True, logs=logs)
