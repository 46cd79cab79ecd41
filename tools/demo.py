"""A scripted shopping session that shows each invocation path: `make demo` (python -m tools.demo).

run() drives the shop through client/ and returns what happened (a Report); Printer shows each step,
call and answer as it goes. It fails (DemoFailed) if any step does not end as described, so it
doubles as a test (tests/integration/test_demo_and_trace.py)."""

import json
import sys
import time
import uuid
from dataclasses import dataclass, field

import requests

from client import deadlines
from client.mailbox import emails_about
from client.queues import Queues
from client.shop import Shop
from client.waiting import eventually
from infra.stack import NOTIFICATION_FAILURES, NOTIFICATION_FUNCTION, ORDER_QUEUE, ORDER_QUEUE_DLQ, ORDERING_FUNCTION
from tools.dead_letters import move_matching

# Every checkout's function fails this many attempts in step 5: the notification's 1 + 2 retries,
# OrderQueue's maxReceiveCount.
FAIL_FIRST = ORDER_QUEUE.max_receive_count
WAITS = {
    "order": deadlines.ORDER,
    "email": deadlines.EMAIL,
    "failure record": deadlines.async_invoke(NOTIFICATION_FUNCTION.timeout),
    "dead letter": deadlines.queue_delivery(
        ORDERING_FUNCTION.timeout,
        receives=ORDER_QUEUE.max_receive_count,
        visibility_timeout=ORDER_QUEUE.visibility_timeout,
    ),
    "redriven order": deadlines.queue_delivery(
        ORDERING_FUNCTION.timeout, receives=2, visibility_timeout=ORDER_QUEUE.visibility_timeout
    ),
}
# The whole demo, at worst: every wait, plus its calls.
DEADLINE = sum(WAITS.values()) + 60


class DemoFailed(Exception):
    pass


@dataclass
class Report:
    user: str
    steps: list[str] = field(default_factory=list)
    checkout_id: str = ""
    failed_checkout_id: str = ""
    order: dict | None = None
    email_subject: str = ""
    failure: dict | None = None  # the notification's on-failure record: condition, attempts, error
    moved: int = 0
    redriven_order: dict | None = None


class Printer:
    """The thin layer that shows the session; run() works without it."""

    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url

    def step(self, number: int, title: str) -> None:
        print(f"\n\033[1m{number}. {title}\033[0m", flush=True)

    def note(self, text: str) -> None:
        print(f"   {text}", flush=True)

    def response(self, response: requests.Response) -> None:
        request = response.request
        body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
        self.note(f"{request.method} {request.url.removeprefix(self.endpoint_url)} {body}".rstrip())
        self.note(f"-> {response.status_code} {response.text[:300]}")

    def found(self, seconds: float, what) -> None:
        self.note(f"-> after {seconds:.1f} s: {json.dumps(what, default=str)[:300]}")


class Quiet(Printer):
    def __init__(self):
        super().__init__("")

    def step(self, number, title):
        pass

    def note(self, text):
        pass


def failure_record(queues: Queues, checkout_id: str) -> dict | None:
    for message in queues.peek(NOTIFICATION_FAILURES.name):
        record = json.loads(message["Body"])
        if record["requestPayload"]["detail"]["checkoutId"] == checkout_id:
            return record["requestContext"] | {"error": record["responsePayload"].get("errorMessage")}
    return None


def in_dead_letter_queue(queues: Queues, checkout_id: str) -> bool:
    return any(checkout_id in m["Body"] for m in queues.peek(ORDER_QUEUE_DLQ.name))


def run(printer: Printer | None = None) -> Report:
    printer = printer or Quiet()
    shop, queues = Shop(on_response=printer.response), Queues()
    quiet = Shop(shop.endpoint_url)  # polls, not shown call by call
    report = Report(user=f"demo-{uuid.uuid4().hex[:6]}")
    step_number = 0

    def step(title: str) -> None:
        nonlocal step_number
        step_number += 1
        report.steps.append(title)
        printer.step(step_number, title)

    def wait_for(what: str, probe):
        timeout = WAITS[what]
        printer.note(f"waiting up to {timeout:.0f} s for the {what} ...")
        started = time.monotonic()
        try:
            found = eventually(probe, timeout=timeout, interval=0.25, what=f"the {what}")
        except TimeoutError as e:
            raise DemoFailed(str(e)) from None
        printer.found(time.monotonic() - started, found)
        return found

    try:
        step("Create products (synchronous: API Gateway -> product function -> DynamoDB)")
        pen = shop.create_product(name="Fountain pen", category="office", price=129.95)
        ink = shop.create_product(name="Ink", category="office", price=7.5)

        step("Fill a basket and check out (the checkout answers 202: the order is made asynchronously)")
        items = [
            {"productId": pen["id"], "productName": pen["name"], "price": pen["price"], "quantity": 1},
            {"productId": ink["id"], "productName": ink["name"], "price": ink["price"], "quantity": 2},
        ]
        report.checkout_id = shop.shop(report.user, items)

        step("Watch the order appear (poll-based: EventBridge -> OrderQueue -> ordering function)")
        printer.note(f"polling GET {quiet.orders_url.removeprefix(shop.endpoint_url)}/order/{report.user}")
        report.order = wait_for("order", lambda: quiet.orders(report.user))[0]

        step("See the confirmation email (asynchronous: EventBridge invokes the notification function)")
        report.email_subject = wait_for("email", lambda: emails_about(report.checkout_id))[0]["Subject"]

        step(f"Force a failure: every function handling the next checkout fails its first {FAIL_FIRST} attempts")
        report.failed_checkout_id = failing = shop.shop(report.user, items, faultInjection={"failFirst": FAIL_FIRST})
        printer.note("notification: 1 attempt + 2 retries, 1 s and 2 s apart, then the on-failure destination")
        report.failure = wait_for("failure record", lambda: failure_record(queues, failing))
        printer.note(
            f"ordering: {ORDER_QUEUE.max_receive_count} receives, {ORDER_QUEUE.visibility_timeout} s apart (the visibility timeout), then {ORDER_QUEUE_DLQ.name}"
        )
        wait_for("dead letter", lambda: in_dead_letter_queue(queues, failing))

        step(f"Redrive this checkout from {ORDER_QUEUE_DLQ.name} to {ORDER_QUEUE.name}: the 4th attempt succeeds")
        printer.note("(make redrive moves every dead letter back; the demo moves only its own, so that other")
        printer.note("poison in the queue cannot spoil its batch)")
        report.moved = move_matching(queues, ORDER_QUEUE_DLQ.name, ORDER_QUEUE.name, lambda body: failing in body)
        printer.note(f"moved {report.moved} message(s)")
        report.redriven_order = wait_for(
            "redriven order", lambda: [o for o in quiet.orders(report.user) if o["checkoutId"] == failing]
        )[0]
    except (AssertionError, requests.RequestException) as e:
        raise DemoFailed(str(e)) from e
    return report


def main() -> int:
    shop = Shop()
    printer = Printer(shop.endpoint_url)
    print(f"Demo against {shop.endpoint_url}")
    try:
        report = run(printer)
    except DemoFailed as e:
        print(f"\nDEMO FAILED: {e}", file=sys.stderr)
        return 1
    print(f"\nDone. Follow a checkout through every hop: make trace ID={report.checkout_id}")
    print(
        f"and the one that failed, was retried, dead-lettered and redriven: make trace ID={report.failed_checkout_id}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
