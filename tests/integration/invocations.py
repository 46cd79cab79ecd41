"""Test functions' code from strings, and what an invoke's answer says about itself: shared by the
runtime tests of every language."""

import io
import uuid
import zipfile
from pathlib import Path

# The test functions' sources (tests/integration/functions/<name>/).
FUNCTIONS = Path(__file__).parent / "functions"
# Functions that tests create time out after this, unless a test says otherwise.
TEST_FUNCTION_TIMEOUT = 10

# Forwards each batch it gets, as one message holding the batch's bodies, to the queue RESULTS names.
BATCH_FORWARDER = """
import json, os, boto3

sqs = boto3.client("sqs")


def handler(event, context):
    bodies = sorted(record["body"] for record in event["Records"])
    sqs.send_message(QueueUrl=os.environ["RESULTS"], MessageBody=json.dumps(bodies))
"""


def zip_sources(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def request_id_of(response) -> str:
    return response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def proxy_event(
    method: str, path: str, resource: str, body: str | None = None, path_parameters: dict | None = None
) -> dict:
    """An API Gateway proxy event, for invoking an API function directly."""
    return {
        "httpMethod": method,
        "path": path,
        "resource": resource,
        "pathParameters": path_parameters,
        "headers": {"Content-Type": "application/json"},
        "requestContext": {"requestId": f"test-{uuid.uuid4().hex[:8]}", "stage": "prod"},
        "body": body,
        "isBase64Encoded": False,
    }
