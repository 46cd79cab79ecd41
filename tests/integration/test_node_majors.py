"""Node.js as apps use it (embedded_localstack/runtimes/node_majors.py, node_streaming.mjs): each nodejs<N>.x
function runs on a node of major N, installed with `make node MAJOR=<N>` where the machine lacks it; a
missing major is the invoke's error, naming that command; and the `awslambda` global of AWS's runtime
answers for response-streaming handlers, through Invoke and through a function URL."""

import json
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from embedded_localstack.runtimes import node_runtime
from infra import settings
from tests.integration.invocations import zip_sources

pytestmark = pytest.mark.usefixtures("embedded_only")

PROJECT_DIR = Path(__file__).resolve().parents[2]
VERSION_PROBE = {"index.js": "exports.handler = async () => process.version;\n"}


def ensure_major(major: str) -> None:
    """`make node MAJOR=<major>` unless this machine has that major: the first run downloads it from the
    npm registry into build/node/, later runs find it there."""
    if node_runtime.find_node(major) is None:
        installed = subprocess.run(
            ["make", "-s", "node", f"MAJOR={major}"], cwd=PROJECT_DIR, capture_output=True, text=True
        )
        assert installed.returncode == 0, installed.stderr
    assert node_runtime.find_node(major), f"make node MAJOR={major} left no Node.js {major}"


@pytest.fixture
def node_function(create_function):
    def create(files: dict[str, str], runtime: str = "nodejs20.x", **overrides) -> str:
        return create_function(
            "node", code={"ZipFile": zip_sources(files)}, Runtime=runtime, Handler="index.handler", **overrides
        )

    return create


@pytest.mark.parametrize("major", ["18", "22"])
def test_a_nodejs_function_runs_on_a_node_of_its_runtimes_major(node_function, invoke, major):
    ensure_major(major)
    name = node_function(VERSION_PROBE, runtime=f"nodejs{major}.x")

    version, response = invoke(name)

    assert "FunctionError" not in response, version
    assert version.startswith(f"v{major}."), version


def test_a_missing_major_is_the_first_invokes_error_naming_make_node(node_function, invoke):
    # Given a runtime LocalStack accepts whose major this machine lacks
    missing = next((major for major in ("16", "14", "12") if node_runtime.find_node(major) is None), None)
    if missing is None:
        pytest.skip("Node.js 16, 14 and 12 are all installed here")

    # When a function of it is created (it must become Active, not Failed) and invoked
    name = node_function(VERSION_PROBE, runtime=f"nodejs{missing}.x")
    error, response = invoke(name)

    # Then the invoke answers with the fix
    assert response.get("FunctionError"), error
    assert error["errorType"] == "Runtime.Unavailable", error
    assert f"needs Node.js {missing}" in error["errorMessage"], error
    assert f"make node MAJOR={missing}" in error["errorMessage"], error


STREAMING_HANDLER = """
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.write('hello ');
  await new Promise((resolve) => setTimeout(resolve, 10));
  responseStream.write(`${event.name} from ${context.functionName}`);
  responseStream.end();
});
"""

HTTP_STREAMING_HANDLER = """
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const http = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { 'Content-Type': 'text/plain', 'X-Probe': 'streamed' },
  });
  http.write('first part, ');
  http.end('last part');
});
"""


def test_a_streamify_response_handler_answers_an_invoke_with_what_it_wrote(node_function, lambda_client):
    name = node_function({"index.js": STREAMING_HANDLER})

    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps({"name": "world"}))

    assert "FunctionError" not in response, response["Payload"].read()
    assert response["Payload"].read().decode() == f"hello world from {name}"


def test_an_http_response_stream_answers_a_function_url_with_its_status_headers_and_body(node_function, lambda_client):
    name = node_function({"index.js": HTTP_STREAMING_HANDLER})
    url = lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    url_id = url.split("://", 1)[1].split(".", 1)[0]
    url_host = f"{url_id}.lambda-url.us-east-1.localhost.localstack.cloud"

    # Offline: LocalStack routes by the Host header, without any DNS name of it being resolved
    response = requests.get(f"{settings.ENDPOINT_URL}/", headers={"Host": url_host}, timeout=30)

    assert response.status_code == 201, response.text
    assert response.headers["X-Probe"] == "streamed"
    assert response.text == "first part, last part"
    assert "\x00" not in response.text


def test_a_streaming_handler_that_throws_is_an_error_not_a_hang(node_function, lambda_client):
    source = "exports.handler = awslambda.streamifyResponse(async (event, stream) => { stream.write('partial'); throw new TypeError('broken ' + event.id); });\n"
    name = node_function({"index.js": source})
    marker = uuid.uuid4().hex[:8]

    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps({"id": marker}))

    error = json.loads(response["Payload"].read())
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "TypeError" and error["errorMessage"] == f"broken {marker}"
