"""Functions never reach real AWS by accident (embedded_localstack/runtimes/aws_guard.py, aws_guard.cjs): a
function whose SDK ignores AWS_ENDPOINT_URL, here one pinned to DynamoDB's real endpoint, lands in
LocalStack, as it would in Docker mode through LocalStack's DNS; so do the processes it starts. With
EMBEDDED_LAMBDA_ALLOW_INTERNET=0, anything beyond this machine fails at once, naming the host, the
function and the fix.

Each function records the peer of every TCP connection it makes (its own socket hook, on top of the
guard's): nothing but 127.0.0.1 may appear there."""

import uuid

import pytest

from embedded_localstack.runtimes import node_runtime
from infra.aws import client
from tests.integration.invocations import zip_sources

pytestmark = pytest.mark.usefixtures("embedded_only")

REAL_DYNAMODB = "https://dynamodb.us-east-1.amazonaws.com"
NODE_RUNTIME = next(
    (runtime for runtime in ("nodejs20.x", "nodejs22.x", "nodejs18.x") if node_runtime.find_node(runtime[6:8])),
    None,
)

NODE_FUNCTION = """
const net = require('net');
const { execFileSync } = require('child_process');
const { DynamoDBClient, DescribeTableCommand } = require('@aws-sdk/client-dynamodb');
const { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3');

// The test's own guard: the peer of every connection this process makes.
const peers = [];
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  this.once('connect', () => peers.push(`${this.remoteAddress}:${this.remotePort}`));
  return connect.apply(this, args);
};

const CHILD = `
  fetch(process.argv[1]).then((r) => console.log(r.status), (e) => console.log(String(e.cause || e)));
`;

exports.handler = async (event) => {
  const out = { peers };
  try {
    const dynamodb = new DynamoDBClient({ region: 'us-east-1', endpoint: 'REAL_DYNAMODB' });
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: event.table }));
    out.table = Table.TableName;
  } catch (error) {
    out.error = `${error.name}: ${error.message}`;
  }
  if (event.bucket) {
    // Virtual-host style, as the SDK addresses a bucket: <bucket>.s3.us-east-1.amazonaws.com
    const s3 = new S3Client({ region: 'us-east-1', endpoint: 'https://s3.us-east-1.amazonaws.com' });
    const object = await s3.send(new GetObjectCommand({ Bucket: event.bucket, Key: 'probe.txt' }));
    out.object = await object.Body.transformToString();
  }
  for (const [key, url] of Object.entries(event.fetch || {})) {
    try {
      out[key] = (await fetch(url)).status;
    } catch (error) {
      out[key] = `${error.cause?.code} ${error.cause?.message}`;
    }
  }
  if (event.child) out.child = execFileSync(process.execPath, ['-e', CHILD, event.child]).toString().trim();
  return out;
};
""".replace("REAL_DYNAMODB", REAL_DYNAMODB)

PYTHON_FUNCTION = """
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import boto3

# The test's own guard: the peer of every connection this process makes.
peers = []
_connect = socket.socket.connect


def _recording_connect(self, address):
    _connect(self, address)
    peers.append("%s:%s" % self.getpeername()[:2])


socket.socket.connect = _recording_connect

CHILD = '''
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception as e:
    print(e)
'''


def _status(url):
    try:
        return urllib.request.urlopen(url, timeout=5).status
    except urllib.error.HTTPError as e:
        return e.code
    except urllib.error.URLError as e:
        return str(e.reason)


def handler(event, context):
    out = {"peers": peers}
    try:
        dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url="REAL_DYNAMODB")
        out["table"] = dynamodb.describe_table(TableName=event["table"])["Table"]["TableName"]
    except Exception as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
    if event.get("bucket"):
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url="https://s3.us-east-1.amazonaws.com")
        out["object"] = s3.get_object(Bucket=event["bucket"], Key="probe.txt")["Body"].read().decode()
    for key, url in (event.get("fetch") or {}).items():
        out[key] = _status(url)
    if event.get("child"):
        run = subprocess.run([sys.executable, "-c", CHILD, event["child"]], capture_output=True, text=True)
        out["child"] = run.stdout.strip() or run.stderr
    return out
""".replace("REAL_DYNAMODB", REAL_DYNAMODB)


@pytest.fixture
def table():
    """A table in LocalStack that real AWS does not have."""
    dynamodb = client("dynamodb")
    name = f"guard-probe-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    dynamodb.delete_table(TableName=name)


@pytest.fixture(params=["node", "python"])
def language(request):
    if request.param == "node" and NODE_RUNTIME is None:
        pytest.skip("no Node.js 18, 20 or 22 here")
    return request.param


@pytest.fixture
def network_probe(create_function, language):
    def create(**variables) -> str:
        if language == "node":
            # Memory for two node processes (the function's and the one it starts)
            code = {"index.js": NODE_FUNCTION}
            settings = {"Runtime": NODE_RUNTIME, "Handler": "index.handler", "MemorySize": 512}
        else:
            code, settings = {"app.py": PYTHON_FUNCTION}, {}
        environment = {"Environment": {"Variables": variables}} if variables else {}
        return create_function("network", code={"ZipFile": zip_sources(code)}, **settings, **environment)

    return create


@pytest.fixture
def bucket():
    """A bucket in LocalStack, holding probe.txt."""
    s3 = client("s3")
    name = f"guard-probe-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="probe.txt", Body=name.encode())
    yield name
    s3.delete_object(Bucket=name, Key="probe.txt")
    s3.delete_bucket(Bucket=name)


def only_local(peers: list[str]) -> bool:
    return bool(peers) and all(peer.startswith(("127.0.0.1:", "::ffff:127.0.0.1:")) for peer in peers)


def test_an_sdk_pinned_to_the_real_aws_endpoint_lands_in_localstack(network_probe, invoke, table):
    # Given a function whose SDK client is pinned to DynamoDB's real endpoint (as an SDK that ignores
    # AWS_ENDPOINT_URL is), and a table that exists in LocalStack only
    name = network_probe()

    # When it describes the table, and fetches another AWS endpoint without any SDK
    result, response = invoke(name, {"table": table, "fetch": {"raw": f"{REAL_DYNAMODB}/"}})

    # Then both answered from LocalStack, and no connection went anywhere but this machine
    assert "FunctionError" not in response, result
    assert result.get("table") == table, result
    assert isinstance(result["raw"], int), result  # an HTTP status: LocalStack answered
    assert only_local(result["peers"]), result


def test_an_s3_client_pinned_to_the_real_endpoint_reads_the_bucket_in_localstack(network_probe, invoke, bucket):
    name = network_probe()

    result, response = invoke(name, {"table": "none", "bucket": bucket})

    assert "FunctionError" not in response, result
    assert result["object"] == bucket
    assert only_local(result["peers"]), result


def test_a_process_the_function_starts_lands_in_localstack_too(network_probe, invoke):
    name = network_probe()

    result, response = invoke(name, {"table": "none", "child": f"{REAL_DYNAMODB}/"})

    # An HTTP status from LocalStack; offline, real AWS would not even resolve (EAI_AGAIN / ENOTFOUND)
    assert "FunctionError" not in response, result
    assert result["child"].isdigit(), result


def test_without_internet_any_other_host_is_refused_at_once_and_aws_still_lands(network_probe, invoke, table):
    # Given a function that may reach this machine only
    name = network_probe(EMBEDDED_LAMBDA_ALLOW_INTERNET="0")

    # When it calls a host elsewhere, and DynamoDB's real endpoint
    result, response = invoke(name, {"table": table, "fetch": {"elsewhere": "https://example.com/"}})

    # Then the first fails with the promised message, never with a lookup or a timeout; the second lands
    assert "FunctionError" not in response, result
    refusal = str(result["elsewhere"])
    assert f"{name} tried to connect to example.com" in refusal, result
    assert "EMBEDDED_LAMBDA_ALLOW_INTERNET=1" in refusal, result
    assert not any(code in refusal for code in ("EAI_AGAIN", "ENOTFOUND", "timed out", "ETIMEDOUT")), result
    assert result.get("table") == table, result
    assert only_local(result["peers"]), result


def test_a_function_configured_with_a_proxy_still_lands_in_localstack(network_probe, invoke, table):
    # Given a proxy that botocore and requests would use for every host (an address nothing answers at)
    name = network_probe(HTTPS_PROXY="http://192.0.2.1:3128")

    result, response = invoke(name, {"table": table})

    # Then the AWS host went straight to LocalStack (NO_PROXY), not to the proxy
    assert "FunctionError" not in response, result
    assert result.get("table") == table, result
    assert only_local(result["peers"]), result
