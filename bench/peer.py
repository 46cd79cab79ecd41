"""Beside the free peer: MiniStack (pinned in bench/peer-requirements.txt, installed on first use into
build/peer/) and this environment's embedded LocalStack, measured in one run on the figures both can
serve, interleaved (ours, MiniStack, ours, MiniStack ...) so that a busy moment of the machine falls on
both. Each round starts a fresh server with nothing deployed, measures it, and stops it.

Ratios are ours / MiniStack: below 1 we are ahead."""

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config

from bench.measure import free_port, percentile, timed_ms
from embedded_localstack import tree_rss_mb
from infra import settings
from infra.paths import PROJECT_DIR

REQUIREMENTS = Path(__file__).with_name("peer-requirements.txt")
PEER_VENV = PROJECT_DIR / "build" / "peer" / "ministack"
ROUNDS = settings.BENCH_PEER_ROUNDS
SAMPLES = settings.BENCH_PEER_SAMPLES
CHAINED = settings.BENCH_PEER_CHAINED  # samples of the paths that cross services
START_TIMEOUT = 120
RUNTIME = "python3.12"

# figure -> (what it is, unit, issue 28's target for ours, whether ours meets it: (ours, peer) -> bool,
# each a (p50, p99) pair). The trivial calls are to be at or below the peer at p50 and p99 alike.
FIGURES = {
    "start": ("server start -> health answers", "s", "<= 1 s", lambda ours, peer: ours[0] <= 1),
    "idle_memory": ("idle memory, process tree", "MB", "<= 150 MB", lambda ours, peer: ours[0] <= 150),
    "stop": ("stop, until the port is free", "s", "<= 1 s", lambda ours, peer: ours[0] <= 1),
    "floor": (
        "sqs.GetQueueUrl (trivial call)",
        "ms",
        "<= peer, p50 and p99",
        lambda ours, peer: _at_or_below(ours, peer),
    ),
    "dynamodb_get": ("dynamodb.GetItem", "ms", "<= peer, p50 and p99", lambda ours, peer: _at_or_below(ours, peer)),
    "dynamodb_put": ("dynamodb.PutItem", "ms", "<= peer, p50 and p99", lambda ours, peer: _at_or_below(ours, peer)),
    "create_function": ("CreateFunction -> Active", "ms", "< peer", lambda ours, peer: ours[0] < peer[0]),
    "cold_invoke": ("first invoke (cold start)", "ms", "< peer", lambda ours, peer: ours[0] < peer[0]),
    "warm_invoke": ("warm invoke", "ms", "< peer", lambda ours, peer: ours[0] < peer[0]),
    "sqs_to_function": (
        "SendMessage -> mapping -> function -> SendMessage seen",
        "ms",
        "<= 30 ms",
        lambda ours, peer: ours[0] <= 30,
    ),
    "events_to_sqs": ("PutEvents -> rule -> SQS message seen", "ms", "<= 6 ms", lambda ours, peer: ours[0] <= 6),
}


def _at_or_below(ours: tuple[float, float], peer: tuple[float, float]) -> bool:
    return ours[0] <= peer[0] and ours[1] <= peer[1]


HANDLER = "def handler(event, context):\n    return {'ok': True}\n"
FORWARDER = (
    "import json, os, boto3\n"
    "sqs = boto3.client('sqs')\n"
    "def handler(event, context):\n"
    "    for record in event['Records']:\n"
    "        sqs.send_message(QueueUrl=os.environ['RESULTS'], MessageBody=record['body'])\n"
)


@dataclass
class Samples:
    """Every sample of every figure, over all rounds: {"ours": {figure: [...]}, "peer": {...}}."""

    by_target: dict[str, dict[str, list[float]]] = field(default_factory=lambda: {"ours": {}, "peer": {}})

    def add(self, target: str, figure: str, values: list[float]) -> None:
        self.by_target[target].setdefault(figure, []).extend(values)


def install_peer() -> Path:
    """The peer's own venv, made once from the lock file; returns its `ministack` command."""
    command = PEER_VENV / "bin" / "ministack"
    stamp = PEER_VENV / ".requirements"
    if command.exists() and stamp.exists() and stamp.read_text() == REQUIREMENTS.read_text():
        return command
    started = time.monotonic()
    print(f"    installing MiniStack ({REQUIREMENTS.name}) into {PEER_VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEER_VENV)], check=True)
    pip = [str(PEER_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "-r", str(REQUIREMENTS)]
    subprocess.run(pip, check=True)
    stamp.write_text(REQUIREMENTS.read_text())
    print(f"    MiniStack installed in {time.monotonic() - started:.0f} s", flush=True)
    return command


def wait_for_health(endpoint: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server at {endpoint} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.01)
    raise TimeoutError(f"{endpoint}/_localstack/health did not answer within {START_TIMEOUT} s")


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@contextmanager
def ours():
    """A fresh embedded LocalStack with nothing deployed. Yields (endpoint, pid, start seconds, stop)."""
    with tempfile.TemporaryDirectory() as state, tempfile.TemporaryDirectory() as init:
        Path(init, "ready.d").mkdir()
        port = free_port()
        env = os.environ | {"LOCALSTACK_PORT": str(port), "EMBEDDED_STATE_DIR": state, "LOCALSTACK_INIT_DIR": init}
        cli = [sys.executable, "-m", "embedded_localstack"]
        endpoint = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        process = subprocess.Popen([*cli, "up"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_health(endpoint)
        start_seconds = time.perf_counter() - started
        if process.wait(START_TIMEOUT) != 0:
            raise RuntimeError(f"embedded LocalStack did not start: {process.stderr.read().decode()[-2000:]}")
        pid = int(json.loads(Path(state, "localstack.pid").read_text())["pid"])

        def stop() -> float:
            started = time.perf_counter()
            subprocess.run([*cli, "down"], env=env, check=True, capture_output=True)
            while not port_free(port):
                time.sleep(0.01)
            return time.perf_counter() - started

        try:
            yield endpoint, pid, start_seconds, stop
        finally:
            subprocess.run([*cli, "down"], env=env, capture_output=True)


@contextmanager
def peer():
    """A fresh MiniStack on loopback. Yields (endpoint, pid, start seconds, stop)."""
    command = install_peer()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as work:
        env = os.environ | {"GATEWAY_PORT": str(port), "BIND_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"}
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(command)],
            env=env,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_health(endpoint, process)
            start_seconds = time.perf_counter() - started

            def stop() -> float:
                started = time.perf_counter()
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
                while not port_free(port):
                    time.sleep(0.01)
                return time.perf_counter() - started

            yield endpoint, process.pid, start_seconds, stop
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def clients(endpoint: str) -> dict:
    config = Config(retries={"max_attempts": 1}, read_timeout=60)
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    return {
        name: session.client(name, endpoint_url=endpoint, config=config)
        for name in ("sqs", "dynamodb", "lambda", "events")
    }


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def wait_active(lam, name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while lam.get_function_configuration(FunctionName=name).get("State", "Active") != "Active":
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} did not become Active")
        time.sleep(0.005)


def received_at(sqs, url: str) -> float:
    """When one message was received from ``url`` (time.perf_counter); deleted after that, off the clock."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, MaxNumberOfMessages=1).get("Messages", [])
        if messages:
            seen = time.perf_counter()
            sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
            return seen
    raise TimeoutError(f"nothing arrived on {url}")


def measure(endpoint: str) -> dict[str, list[float]]:
    """The per-request figures against a running, empty server."""
    aws, suffix, out = clients(endpoint), uuid.uuid4().hex[:8], {}
    sqs, ddb, lam, events = aws["sqs"], aws["dynamodb"], aws["lambda"], aws["events"]
    role = "arn:aws:iam::000000000000:role/bench"

    queue = f"peer-{suffix}"
    sqs.create_queue(QueueName=queue)
    for _ in range(20):
        sqs.get_queue_url(QueueName=queue)
    out["floor"] = [timed_ms(lambda: sqs.get_queue_url(QueueName=queue)) for _ in range(SAMPLES)]

    table = f"peer-{suffix}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    item = {"id": {"S": "k"}, "value": {"S": "x" * 100}}
    out["dynamodb_put"] = [timed_ms(lambda: ddb.put_item(TableName=table, Item=item)) for _ in range(SAMPLES)]
    out["dynamodb_get"] = [
        timed_ms(lambda: ddb.get_item(TableName=table, Key={"id": {"S": "k"}})) for _ in range(SAMPLES)
    ]

    out["create_function"], out["cold_invoke"] = [], []
    for i in range(3):
        name = f"peer-{suffix}-{i}"
        started = time.perf_counter()
        lam.create_function(
            FunctionName=name, Runtime=RUNTIME, Role=role, Handler="app.handler", Code={"ZipFile": zipped(HANDLER)}
        )
        wait_active(lam, name)
        out["create_function"].append((time.perf_counter() - started) * 1000)
        out["cold_invoke"].append(timed_ms(lambda name=name: lam.invoke(FunctionName=name, Payload=b"{}")))
    warm = f"peer-{suffix}-0"
    out["warm_invoke"] = [timed_ms(lambda: lam.invoke(FunctionName=warm, Payload=b"{}")) for _ in range(SAMPLES // 2)]

    # SQS -> mapping (no batching window, as a CDK or SAM app declares it) -> function -> results queue
    source = sqs.create_queue(QueueName=f"peer-src-{suffix}")["QueueUrl"]
    results = sqs.create_queue(QueueName=f"peer-res-{suffix}")["QueueUrl"]
    source_arn = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    forwarder = f"peer-{suffix}-fwd"
    lam.create_function(
        FunctionName=forwarder,
        Runtime=RUNTIME,
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zipped(FORWARDER)},
        Environment={"Variables": {"RESULTS": results}},
    )
    wait_active(lam, forwarder)
    lam.create_event_source_mapping(EventSourceArn=source_arn, FunctionName=forwarder, BatchSize=10)
    out["sqs_to_function"] = []
    for i in range(CHAINED + 2):
        started = time.perf_counter()
        sqs.send_message(QueueUrl=source, MessageBody=f"m{i}")
        seen = received_at(sqs, results)
        if i >= 2:  # the first deliveries start the function
            out["sqs_to_function"].append((seen - started) * 1000)

    # EventBridge rule -> SQS
    target = sqs.create_queue(QueueName=f"peer-evt-{suffix}")["QueueUrl"]
    target_arn = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"peer-{suffix}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [f"peer.{suffix}"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": target_arn}])
    entry = {"Source": f"peer.{suffix}", "DetailType": "bench", "Detail": "{}"}
    out["events_to_sqs"] = []
    for i in range(CHAINED + 2):
        started = time.perf_counter()
        events.put_events(Entries=[entry])
        seen = received_at(sqs, target)
        if i >= 2:
            out["events_to_sqs"].append((seen - started) * 1000)
    return out


def run_round(target: str, server, samples: Samples) -> None:
    with server() as (endpoint, pid, start_seconds, stop):
        samples.add(target, "start", [start_seconds])
        time.sleep(2)  # idle memory once start-up work has settled
        samples.add(target, "idle_memory", [tree_rss_mb(pid)])
        for figure, values in measure(endpoint).items():
            samples.add(target, figure, values)
        samples.add(target, "stop", [stop()])


def table(samples: Samples) -> str:
    """The section BENCHMARKS.md gets: one row a figure, ours and the peer's p50 / p99 and the ratio."""
    lines = [
        "## Beside MiniStack",
        "",
        f"MiniStack {peer_version()} and this environment, fresh servers, interleaved in one run; ratio = ours / MiniStack "
        "(p50), below 1 is ahead. Single figures (start, memory, stop) are the median of the rounds. A message is "
        "seen when ReceiveMessage returns it (its DeleteMessage is off the clock, on both sides).",
        "",
        "| figure | unit | ours p50 / p99 | MiniStack p50 / p99 | ratio | target (ours) | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for figure, (what, unit, target, met) in FIGURES.items():
        mine, theirs = samples.by_target["ours"].get(figure), samples.by_target["peer"].get(figure)
        if not mine or not theirs:
            lines.append(f"| {what} | {unit} | {_cell(mine)} | {_cell(theirs)} | | {target} | not measured |")
            continue
        ours, peer = (percentile(mine, 50), percentile(mine, 99)), (percentile(theirs, 50), percentile(theirs, 99))
        ratio = ours[0] / peer[0] if peer[0] else float("inf")
        lines.append(
            f"| {what} | {unit} | {_cell(mine)} | {_cell(theirs)} | {ratio:.2f}x | {target} | {'yes' if met(ours, peer) else 'no'} |"
        )
    return "\n".join(lines)


def _cell(values: list[float] | None) -> str:
    if not values:
        return "-"
    return f"{percentile(values, 50):.1f} / {percentile(values, 99):.1f}"


def peer_version() -> str:
    return next(line.split("==")[1] for line in REQUIREMENTS.read_text().splitlines() if line.startswith("ministack=="))


def sections() -> list[str]:
    samples = Samples()
    for number in range(ROUNDS):
        for target, server in (("ours", ours), ("peer", peer)):
            print(f"    round {number + 1}/{ROUNDS}: {target}", flush=True)
            run_round(target, server, samples)
    return [table(samples)]
