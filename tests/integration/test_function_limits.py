"""Behaviour real apps hit: a function's processes run under Lambda's resource limits in both
languages (1,024 open files and processes, no core files: executor.FUNCTION_RLIMITS), and a log line
of up to 256 KiB reaches CloudWatch Logs as one event, as on AWS (log_events.py)."""

import re

import pytest

from client.waiting import eventually
from embedded_localstack.runtimes import node_runtime
from tests.integration.invocations import zip_sources

pytestmark = pytest.mark.usefixtures("embedded_only")

NODE_RUNTIME = next(
    (runtime for runtime in ("nodejs20.x", "nodejs22.x", "nodejs18.x") if node_runtime.find_node(runtime[6:8])),
    None,
)
# /proc/self/limits of the function's own process, and `ulimit` as a shell the function starts sees it.
NODE_LIMITS = """
const fs = require('fs');
const { execSync } = require('child_process');
exports.handler = async () => ({
  limits: fs.readFileSync('/proc/self/limits', 'utf8'),
  shell: execSync('ulimit -n; ulimit -c').toString(),
});
"""
PYTHON_LIMITS = """
import subprocess

def handler(event, context):
    with open("/proc/self/limits") as limits:
        return {
            "limits": limits.read(),
            "shell": subprocess.run("ulimit -n; ulimit -c", shell=True, capture_output=True, text=True).stdout,
        }
"""
LAMBDA_LIMITS = {
    "Max open files": ("1024", "1024"),
    "Max processes": ("1024", "1024"),
    "Max core file size": ("0", "0"),
}


def parse_limits(text: str) -> dict[str, tuple[str, str]]:
    limits = {}
    for line in text.splitlines()[1:]:
        match = re.match(r"(.+?)\s{2,}(\S+)\s+(\S+)", line)
        if match:
            limits[match.group(1)] = (match.group(2), match.group(3))
    return limits


@pytest.mark.parametrize("language", ["python", "node"])
def test_function_processes_and_their_children_run_under_lambdas_limits(create_function, invoke, language):
    if language == "node" and NODE_RUNTIME is None:
        pytest.skip("no Node.js 18, 20 or 22 here")
    settings = (
        {
            "Runtime": NODE_RUNTIME,
            "Handler": "index.handler",
            "code": {"ZipFile": zip_sources({"index.js": NODE_LIMITS})},
        }
        if language == "node"
        else {"code": {"ZipFile": zip_sources({"app.py": PYTHON_LIMITS})}}
    )
    name = create_function("limits", **settings)

    result, response = invoke(name)

    assert "FunctionError" not in response, result
    limits = parse_limits(result["limits"])
    assert {key: limits.get(key) for key in LAMBDA_LIMITS} == LAMBDA_LIMITS
    assert result["shell"].split() == ["1024", "0"]


def test_a_log_line_of_256_kib_arrives_as_one_event(create_function, invoke, logs_client):
    # Given a function that prints one line of exactly 256 KiB, between two markers
    line = "0123456789abcdef" * (256 * 1024 // 16)
    source = f"def handler(event, context):\n    print('before')\n    print('{line}')\n    print('after')\n"
    name = create_function("log-line", code={"ZipFile": zip_sources({"app.py": source})})

    invoke(name)

    # Then CloudWatch Logs holds it as one event, never cut into pieces
    def events():
        found = logs_client.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        return found if any(event["message"].startswith("after") for event in found) else None

    messages = [event["message"].rstrip("\n") for event in eventually(events, timeout=30, what="the invocation's log")]
    assert line in messages
    assert not any(line.startswith(message) and message != line for message in messages if message.startswith("0123"))
