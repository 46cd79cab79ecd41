"""A function whose behaviour the event chooses, to check the Lambda runtime's semantics."""

import json
import os
import sys
import tempfile
import time
import urllib.request

# Module state: survives across warm invocations of one execution environment, and only those.
INVOCATIONS = 0
LOADED_AT = time.time()


def handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    if "requestContext" in event:  # called through API Gateway's proxy integration
        behave = (event.get("queryStringParameters") or {}).get("behave")
        if behave == "raise":
            raise ValueError("probe failure behind API Gateway")
        if behave == "malformed":  # not a proxy response: a list, not an object
            return ["not", "a", "proxy", "response"]
        if behave == "echo":
            return {"statusCode": 201, "headers": {"X-Probe": "yes"}, "body": json.dumps(event)}
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"invocations": INVOCATIONS}),
        }
    if "Records" in event:  # an SQS batch: the records whose body says "fail" are reported as failures
        return {
            "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if "fail" in r["body"]]
        }
    action = event.get("action", "describe")
    print(f"probe action={action} invocation={INVOCATIONS}")
    if action == "raise":
        raise ValueError(f"probe failure: {event.get('message', 'boom')}")
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "exit":
        raise SystemExit(event.get("code", 3))
    if action == "print":  # a flood of output
        chunk = "x" * 1023 + "\n"
        for _ in range(event["bytes"] // 1024):
            print(chunk, end="")
    if action == "leak":  # allocate until something stops us
        hoard = []
        while True:
            hoard.append(bytearray(8 * 2**20))
            time.sleep(0.01)
    if action == "respond":  # a response whose JSON is exactly this many bytes
        return "x" * (event["bytes"] - 2)
    if action == "repeat":  # a response made of one text repeated, e.g. a non-ASCII character
        return event["text"] * event["count"]
    if action == "lines":  # numbered lines, then one long line of the given size
        for number in range(event["count"]):
            print(f"line {number:06d} " + "y" * 80)
        print("z" * event["long"])
        print("after the long line")
    if action == "environ":  # what the function's process sees of its environment
        scratch = tempfile.gettempdir()
        with tempfile.NamedTemporaryFile(dir=scratch) as f:
            f.write(b"scratch")
        return {
            "environ": dict(os.environ),
            "cwd": os.getcwd(),
            "tmp": scratch,
            "python": list(sys.version_info[:2]),
            "executable": sys.executable,
            "prefix": sys.prefix,
        }
    if action == "ping":  # reach LocalStack through the endpoint the runtime hands the function
        with urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + "/_localstack/health", timeout=5) as r:
            return {"services": sorted(json.load(r)["services"])}
    return {
        "invocations": INVOCATIONS,
        "loadedAt": LOADED_AT,
        "pid": os.getpid(),
        "version": "v1",
        "start": event.get("started_at"),
        "finishedAt": time.time(),
        "context": {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": int(context.memory_limit_in_mb),
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
        "env": {
            key: os.environ.get(key) for key in ("AWS_REGION", "AWS_ACCESS_KEY_ID", "_HANDLER", "AWS_ENDPOINT_URL")
        },
    }
