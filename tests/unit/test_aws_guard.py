"""Which hosts the network guard of a function's processes sends to LocalStack or refuses
(embedded_localstack/runtimes/aws_guard.py; aws_guard.cjs applies the same rules in Node.js), and how the
executor puts every process of a function under it."""

import json
import shutil
import subprocess

import pytest

from embedded_localstack.runtimes import aws_guard
from embedded_localstack.runtimes.aws_guard import Guard, Refused, is_aws_host

AWS_HOSTS = [
    "dynamodb.us-east-1.amazonaws.com",
    "s3.amazonaws.com",
    "my-bucket.s3.eu-west-1.amazonaws.com.",
    "sqs.cn-north-1.amazonaws.com.cn",
    "lambda.us-east-1.api.aws",
    "abc123.lambda-url.us-east-1.on.aws",
    "AMAZONAWS.COM",
]
OTHER_HOSTS = [
    "example.com",
    "amazonaws.com.evil.example",
    "notamazonaws.com",
    "localhost.localstack.cloud",
    "aws.example",
]


@pytest.mark.parametrize("host", AWS_HOSTS)
def test_aws_hostnames_go_to_localstack(host):
    assert is_aws_host(host)
    assert Guard("127.0.0.1:4566", allow_internet=False, function_name="f").route(host, 443) == ("127.0.0.1", 4566)


@pytest.mark.parametrize("host", OTHER_HOSTS)
def test_other_hosts_are_reached_as_asked_while_the_internet_is_allowed(host):
    assert not is_aws_host(host)
    assert Guard("127.0.0.1:4566", allow_internet=True, function_name="f").route(host, 443) is None


@pytest.mark.parametrize("host", ["example.com", "10.0.0.8", "2001:db8::1"])
def test_without_internet_other_hosts_are_refused_naming_host_function_and_fix(host):
    with pytest.raises(Refused) as refused:
        Guard("127.0.0.1:4566", allow_internet=False, function_name="orders").route(host, 443)

    message = str(refused.value)
    assert f"orders tried to connect to {host}:443" in message
    assert "EMBEDDED_LAMBDA_ALLOW_INTERNET=1" in message


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.2.1", "::1", "localhost", "api.localhost", None, ""])
def test_this_machine_stays_reachable_without_internet(host):
    assert Guard("127.0.0.1:4566", allow_internet=False, function_name="f").route(host, 80) is None


def test_without_localstacks_address_an_aws_host_is_refused_rather_than_reached():
    with pytest.raises(Refused, match=r"sqs\.us-east-1\.amazonaws\.com:443.*EMBEDDED_LAMBDA_GATEWAY"):
        Guard("", allow_internet=True, function_name="f").route("sqs.us-east-1.amazonaws.com", 443)


def test_the_function_environment_preloads_the_guards_ahead_of_its_own_settings():
    env = aws_guard.environment(
        {"NODE_OPTIONS": "--enable-source-maps", "PYTHONPATH": "/opt/mine"}, "127.0.0.1:4566", "1"
    )

    assert env["NODE_OPTIONS"] == f'--require "{aws_guard.NODE_GUARD}" --enable-source-maps'
    assert env["PYTHONPATH"].split(":") == [aws_guard.PYTHON_SITE, "/opt/mine"]
    assert env[aws_guard.GATEWAY_VARIABLE] == "127.0.0.1:4566"
    # The platform's setting, unless the function says otherwise
    assert env[aws_guard.INTERNET_VARIABLE] == "1"
    assert aws_guard.environment({aws_guard.INTERNET_VARIABLE: "0"}, "x:1", "1")[aws_guard.INTERNET_VARIABLE] == "0"


@pytest.mark.skipif(shutil.which("node") is None, reason="no node here")
def test_the_node_guard_decides_as_the_python_one():
    hosts = AWS_HOSTS + OTHER_HOSTS + ["127.0.0.1", "::1", "localhost", "10.0.0.8"]
    script = (
        f"const guard = require({json.dumps(aws_guard.NODE_GUARD)});"
        "const hosts = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(hosts.map((h) => { const r = guard.route(h, 443);"
        " return r === null ? null : r instanceof Error ? 'refused' : [r.host, r.port]; })));"
    )
    environment = {
        "EMBEDDED_LAMBDA_GATEWAY": "127.0.0.1:4566",
        "EMBEDDED_LAMBDA_ALLOW_INTERNET": "0",
        "PATH": "/usr/bin:/bin",
    }
    ran = subprocess.run(
        [shutil.which("node"), "-e", script, json.dumps(hosts)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )

    python = Guard("127.0.0.1:4566", allow_internet=False, function_name="f")

    def decide(host):
        try:
            target = python.route(host, 443)
        except Refused:
            return "refused"
        return None if target is None else list(target)

    assert json.loads(ran.stdout) == [decide(host) for host in hosts]


def test_a_function_behind_a_proxy_reaches_aws_hosts_directly_so_that_they_land_in_localstack():
    env = aws_guard.environment({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "internal.example"}, "x:1", "1")

    assert env["NO_PROXY"].split(",") == ["internal.example", ".amazonaws.com", ".amazonaws.com.cn", ".aws"]
    assert env["no_proxy"].split(",") == [".amazonaws.com", ".amazonaws.com.cn", ".aws"]
    assert "NO_PROXY" not in aws_guard.environment({}, "x:1", "1")
