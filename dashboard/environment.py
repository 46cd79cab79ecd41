"""What the dashboard shows, read from the running environment through the AWS APIs and CloudWatch Logs,
within a budget of requests per second (settings.REQUEST_BUDGET) whatever the number of resources.

One collector thread reads and the page only ever reads its last snapshot: the page's refreshes cost
LocalStack nothing, and the collector reads only while a page is open (settings.WATCHED_SECONDS)."""

import json
import re
import threading
import time
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from client.dead_letters import SHOP_DEAD_LETTERS, error_context
from dashboard import settings
from infra import settings as shop_settings
from infra.aws import client
from infra.stack import STACK, STAGE

SHOP_NAMES = (
    {f.name for f in STACK.functions}
    | {t.name for t in STACK.tables}
    | {q.name for q in STACK.queues}
    | {b.name for b in STACK.buses}
    | {a.name for a in STACK.apis}
)
REPORT = re.compile(
    r"REPORT RequestId: (?P<id>\S+)\s+Duration: (?P<ms>[\d.]+) ms(?:.*Init Duration: (?P<init>[\d.]+) ms)?"
)
# Lines that mean the invocation failed: the runtime's error line, a timeout.
FAILURE = re.compile(r"^\[ERROR\]|Task timed out after|Runtime exited with error")
QUEUE_COUNTS = {
    "visible": "ApproximateNumberOfMessages",
    "in_flight": "ApproximateNumberOfMessagesNotVisible",
    "delayed": "ApproximateNumberOfMessagesDelayed",
}
# Lines of a function's log read per request for its last invocations.
LOG_PAGE = 500
# How far back the first read of a function's log goes.
LOG_LOOKBACK_MS = 30 * 60 * 1000


def app_of(name: str, owners: dict[str, str] | None = None, *ids: str) -> str:
    """The shop (infra/stack.py), the CloudFormation stack (`make deploy-app`) whose resource it is, or other."""
    if name in SHOP_NAMES:
        return "shop"
    owners = owners or {}
    return next((owners[i] for i in (name, *ids) if i in owners), "other")


class Budget:
    """A token bucket: at most `rate` requests per second on average, `burst` at once."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()
        self.sent = 0
        self.lock = threading.Lock()

    def take(self, **_) -> None:
        with self.lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    self.sent += 1
                    return
                time.sleep((1 - self.tokens) / self.rate)


@dataclass
class Snapshot:
    up: bool | None = None  # None: not read yet
    problem: str = ""
    updated: float = 0.0
    functions: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    queues: dict = field(default_factory=dict)
    buses: dict = field(default_factory=dict)
    apis: dict = field(default_factory=dict)
    dead_letters: dict = field(default_factory=dict)

    def apps(self) -> list[str]:
        names = {
            r.get("app")
            for kind in (self.functions, self.tables, self.queues, self.buses, self.apis)
            for r in kind.values()
        }
        return sorted(names - {None}, key=lambda app: (app != "shop", app))


def not_running_message(endpoint_url: str) -> str:
    return f"LocalStack is not running at {endpoint_url}: make up"


class Collector:
    def __init__(self, budget: Budget | None = None, endpoint_url: str | None = None):
        self.endpoint_url = endpoint_url or shop_settings.ENDPOINT_URL
        self.budget = budget or Budget(settings.REQUEST_BUDGET, burst=settings.REQUEST_BUDGET)
        self.snapshot = Snapshot()
        self.lock = threading.Lock()
        self.watched = threading.Event()
        self.last_watch = 0.0
        self.due: dict[tuple, float] = {("structure",): 0.0}
        self.last_read = 0.0  # when the list of resources was last read (monotonic)
        self.log_cursors: dict[str, int] = {}
        self.peeked: dict[str, tuple] = {}
        self.clients = {}
        self.stopped = threading.Event()

    def aws(self, service: str):
        if service not in self.clients:
            made = client(service, self.endpoint_url, connect_timeout=1, read_timeout=10, retries={"max_attempts": 0})
            made.meta.events.register("before-send", self.budget.take)
            self.clients[service] = made
        return self.clients[service]

    # -- the page ----------------------------------------------------------------------------------
    def watch(self, loaded: bool = False) -> None:
        """A page asked: keep collecting for a while. A page (re)loaded reads the list of resources
        first, so what was created since shows without waiting for its period."""
        self.last_watch = time.monotonic()
        if loaded and ("structure",) in self.due:
            self.due[("structure",)] = min(self.due[("structure",)], self.last_read + settings.REFRESH_SECONDS)
        self.watched.set()

    def view(self) -> Snapshot:
        """A copy the page can render while the collector goes on changing its own."""
        with self.lock:
            copied = {
                key: {name: dict(entry) for name, entry in value.items()} if isinstance(value, dict) else value
                for key, value in vars(self.snapshot).items()
            }
        return Snapshot(**copied)

    # -- the loop ----------------------------------------------------------------------------------
    def start(self) -> "Collector":
        threading.Thread(target=self.run, name="dashboard-collector", daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.watched.set()

    def run(self) -> None:
        while not self.stopped.is_set():
            if time.monotonic() - self.last_watch > settings.WATCHED_SECONDS:
                self.watched.clear()
                self.watched.wait()
                continue
            part, due = min(self.due.items(), key=lambda item: item[1])
            wait = due - time.monotonic()
            if wait > 0:
                self.stopped.wait(min(wait, 1))
                continue
            self.collect(part)

    def collect(self, part: tuple) -> None:
        kind = part[0]
        self.due[part] = time.monotonic() + settings.PERIODS[kind]
        try:
            getattr(self, "read_" + kind.replace(" ", "_"))(*part[1:])
        except (EndpointConnectionError, ConnectionError) as e:
            self.down(not_running_message(self.endpoint_url), e)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in (
                "QueueDoesNotExist",
                "AWS.SimpleQueueService.NonExistentQueue",
                "ResourceNotFoundException",
            ):
                self.due.pop(part, None)  # deleted since the structure was read
                self.forget(part)
            else:
                self.problem(f"{kind}: {e}")
        except BotoCoreError as e:
            self.down(f"LocalStack does not answer properly at {self.endpoint_url} ({e}): check `make status`", e)
        else:
            with self.lock:
                self.snapshot.up, self.snapshot.problem, self.snapshot.updated = True, "", time.time()

    def down(self, message: str, _error: Exception) -> None:
        with self.lock:
            self.snapshot.up, self.snapshot.problem = False, message
        self.due = {("structure",): time.monotonic() + settings.REFRESH_SECONDS}

    def problem(self, message: str) -> None:
        with self.lock:
            self.snapshot.problem = message

    def forget(self, part: tuple) -> None:
        kind, name = part[0], part[1] if len(part) > 1 else None
        with self.lock:
            store = {
                "queue": self.snapshot.queues,
                "table": self.snapshot.tables,
                "invocations": self.snapshot.functions,
            }
            if kind in store:
                store[kind].pop(name, None)
            if kind == "dead letters":
                self.snapshot.dead_letters.pop(name, None)

    # -- the parts ---------------------------------------------------------------------------------
    def read_owners(self) -> dict[str, str]:
        """Physical resource id -> the CloudFormation stack that made it: each app of `make deploy-app`."""
        cloudformation = self.aws("cloudformation")
        owners = {}
        for stack in cloudformation.describe_stacks().get("Stacks", []):
            if stack.get("StackStatus", "").startswith("DELETE"):
                continue
            resources = cloudformation.describe_stack_resources(StackName=stack["StackName"])["StackResources"]
            for resource in resources:
                if resource.get("PhysicalResourceId"):
                    owners[resource["PhysicalResourceId"]] = stack["StackName"]
        return owners

    def read_structure(self) -> None:
        self.last_read = time.monotonic()
        owners = self.read_owners()
        functions = {}
        for page in self.aws("lambda").get_paginator("list_functions").paginate():
            for f in page["Functions"]:
                old = self.snapshot.functions.get(f["FunctionName"], {})
                functions[f["FunctionName"]] = {
                    "runtime": f.get("Runtime", "image"),
                    "memory": f.get("MemorySize"),
                    "timeout": f.get("Timeout"),
                    "app": app_of(f["FunctionName"], owners, f.get("FunctionArn", "")),
                    "invocations": old.get("invocations", []),
                }
        tables = {}
        for page in self.aws("dynamodb").get_paginator("list_tables").paginate():
            for name in page["TableNames"]:
                tables[name] = self.snapshot.tables.get(name, {"items": None}) | {"app": app_of(name, owners)}
        queues = {}
        for page in self.aws("sqs").get_paginator("list_queues").paginate():
            for url in page.get("QueueUrls", []):
                name = url.rsplit("/", 1)[-1]
                queues[name] = self.snapshot.queues.get(name, {}) | {"url": url, "app": app_of(name, owners, url)}
        buses = {}
        events = self.aws("events")
        for bus in events.list_event_buses().get("EventBuses", []):
            rules = []
            for rule in events.list_rules(EventBusName=bus["Name"]).get("Rules", []):
                targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus["Name"]).get("Targets", [])
                rules.append(
                    {
                        "name": rule["Name"],
                        "pattern": rule.get("EventPattern", ""),
                        "state": rule.get("State", ""),
                        "targets": [
                            {
                                "id": t["Id"],
                                "arn": t["Arn"],
                                "dead_letter": (t.get("DeadLetterConfig") or {}).get("Arn", "").rsplit(":", 1)[-1],
                            }
                            for t in targets
                        ],
                    }
                )
            if rules or bus["Name"] != "default":  # every account has an empty default bus
                rule_owners = [app_of(r["name"], owners, f"{bus['Name']}|{r['name']}") for r in rules]
                app = app_of(bus["Name"], owners, bus.get("Arn", ""))
                buses[bus["Name"]] = {"rules": rules, "app": app if app != "other" else next(iter(rule_owners), app)}
        apis = {}
        gateway = self.aws("apigateway")
        for api in gateway.get_rest_apis().get("items", []):
            stages = [s["stageName"] for s in gateway.get_stages(restApiId=api["id"]).get("item", [])] or [STAGE]
            base = f"{self.endpoint_url}/_aws/execute-api/{api['id']}/{stages[0]}"
            routes = []
            for resource in gateway.get_resources(restApiId=api["id"], limit=500).get("items", []):
                for method in sorted(resource.get("resourceMethods", {})):
                    routes.append({"method": method, "path": resource["path"], "url": base + resource["path"]})
            apis[api["name"]] = {
                "id": api["id"],
                "url": base,
                "routes": sorted(routes, key=lambda r: (r["path"], r["method"])),
                "app": app_of(api["name"], owners, api["id"]),
            }
        with self.lock:
            s = self.snapshot
            s.functions, s.tables, s.queues, s.buses, s.apis = functions, tables, queues, buses, apis
            s.dead_letters = {name: v for name, v in s.dead_letters.items() if name in queues}
        now = time.monotonic()
        wanted = {("structure",)} | {("queue", q) for q in queues} | {("table", t) for t in tables}
        wanted |= {("invocations", f) for f in functions}
        self.due = {part: self.due.get(part, now) for part in wanted}

    def read_queue(self, name: str) -> None:
        url = self.snapshot.queues[name]["url"]
        attributes = self.aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        counts = {key: int(attributes.get(attr, 0)) for key, attr in QUEUE_COUNTS.items()}
        policy = json.loads(attributes.get("RedrivePolicy") or "{}")
        dead_letter = policy.get("deadLetterTargetArn", "").rsplit(":", 1)[-1] or None
        with self.lock:
            self.snapshot.queues[name] = (
                self.snapshot.queues[name]
                | counts
                | {
                    "dead_letter": dead_letter,
                    "max_receives": policy.get("maxReceiveCount"),
                }
            )
            sources = {q: v["dead_letter"] for q, v in self.snapshot.queues.items() if v.get("dead_letter")}
        # A dead-letter queue: some queue's redrive policy names it, or the shop declares it as one.
        source_of = {dlq: src for src, dlq in sources.items()} | {k: v for k, v in SHOP_DEAD_LETTERS.items()}
        if name in source_of:
            count = counts["visible"] + counts["in_flight"]
            with self.lock:
                entry = self.snapshot.dead_letters.setdefault(name, {"messages": [], "app": app_of(name)})
                entry |= {"source": source_of[name], "count": count}
            if count and ("dead letters", name) not in self.due:
                self.due[("dead letters", name)] = time.monotonic()
            if not count:
                with self.lock:
                    entry["messages"] = []

    def read_dead_letters(self, name: str) -> None:
        """Peeks at the first messages (visibility 0: they stay where they are). A peek counts as a
        receive, so it is repeated only when the count changed or a minute passed."""
        entry = self.snapshot.dead_letters.get(name)
        queue = self.snapshot.queues.get(name)
        if not entry or not queue or not entry.get("count"):
            return
        key = (entry["count"], int(time.monotonic() // 60))
        if self.peeked.get(name) == key and entry.get("messages"):
            return
        self.peeked[name] = key
        messages = (
            self.aws("sqs")
            .receive_message(
                QueueUrl=queue["url"],
                MaxNumberOfMessages=settings.DEAD_LETTERS_SHOWN,
                VisibilityTimeout=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            .get("Messages", [])
        )
        shown = []
        for m in messages:
            body = m.get("Body", "")
            shown.append(
                {
                    "id": m["MessageId"],
                    "body": body[: settings.BODY_CHARS],
                    "size": len(body.encode()),
                    "cut": len(body) > settings.BODY_CHARS,
                    "receive_count": m.get("Attributes", {}).get("ApproximateReceiveCount", "?"),
                    "sent": m.get("Attributes", {}).get("SentTimestamp"),
                    "attributes": {
                        k: (v.get("StringValue") or f"({v.get('DataType', 'binary')})")[:500]
                        for k, v in m.get("MessageAttributes", {}).items()
                    },
                    "why": error_context(m),
                }
            )
        with self.lock:
            entry["messages"] = shown

    def read_table(self, name: str) -> None:
        table = self.aws("dynamodb").describe_table(TableName=name)["Table"]
        with self.lock:
            self.snapshot.tables[name] = self.snapshot.tables[name] | {"items": table.get("ItemCount")}

    def read_invocations(self, name: str) -> None:
        """The function's newest REPORT lines (duration, cold start) and whether each invocation failed,
        read on from where the last read ended."""
        logs = self.aws("logs")
        cursor = self.log_cursors.get(name) or int(time.time() * 1000) - LOG_LOOKBACK_MS
        try:
            events = logs.filter_log_events(
                logGroupName=f"/aws/lambda/{name}", startTime=cursor, limit=LOG_PAGE, interleaved=True
            )["events"]
        except logs.exceptions.ResourceNotFoundException:
            return  # never invoked
        failing: dict[str, bool] = {}
        found = list(self.snapshot.functions.get(name, {}).get("invocations", []))
        seen = {i["id"] for i in found}
        for event in events:
            stream, message = event.get("logStreamName", ""), event.get("message", "")
            if FAILURE.search(message):
                failing[stream] = True
            elif (match := REPORT.search(message)) and match["id"] not in seen:
                found.append(
                    {
                        "id": match["id"],
                        "at": event["timestamp"],
                        "duration_ms": float(match["ms"]),
                        "cold": match["init"] is not None,
                        "error": failing.pop(stream, False),
                    }
                )
                seen.add(match["id"])
        if events:
            self.log_cursors[name] = events[-1]["timestamp"]
        with self.lock:
            if name in self.snapshot.functions:
                self.snapshot.functions[name]["invocations"] = found[-settings.INVOCATIONS_SHOWN :]
