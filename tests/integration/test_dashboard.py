"""`make dashboard` in a real browser (Debian's Chromium, driven by Playwright) against the running
LocalStack with the shop: what a developer sees, what they can do from the page, and what another
site or a hostile message can never make it do. Screenshots of each view land in build/dashboard/screenshots/."""

import json
import re
import uuid

import pytest
import requests

from bench.measure import free_port
from client import deadlines
from client.queues import Queues
from client.shop import Shop
from client.waiting import eventually
from infra.aws import client
from infra.stack import NOTIFICATION_FUNCTION, ORDER_QUEUE, ORDERING_FUNCTION, STACK
from tests.integration.dashboard_browser import chromium, dashboard, screenshot, serving
from tests.integration.order_queues import DEAD_LETTER_DEADLINE, RETRY_DEADLINE, own_order_queue  # noqa: F401 (fixture)
from tests.integration.orders import checkout_event, exactly_one_order, orders_of

# Set by any script that runs on the page other than the dashboard's own: it must stay unset.
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
# A view shows what the collector read: a few of its periods, under the request budget, with the suite's own load.
SEEN = 60


@pytest.fixture(scope="module")
def served():
    with dashboard() as (url, app):
        yield url, app


@pytest.fixture
def browser(tmp_path):
    with chromium(tmp_path / "profile") as context:
        yield context


def open_page(browser, url: str):
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    page.problems = problems
    return page


def pwned(page):
    return page.evaluate("window.__pwned")


def test_the_page_shows_every_resource_of_the_shop_and_refreshes_without_reloading(served, browser):
    url, _ = served
    page = open_page(browser, url)
    shop = page.locator("article.app[data-app='shop']")
    # The first snapshot may still be on its way: the page fills itself in without a reload.
    shop.locator("table.tables td.name", has_text="checkout-audit").wait_for(timeout=SEEN * 1000)
    page.evaluate("window.__loaded_once = true")  # a reload would clear it

    text = shop.inner_text()
    for resource in [*STACK.functions, *STACK.queues, *STACK.tables, *STACK.buses, *STACK.apis]:
        assert resource.name in text, resource.name
    assert "CheckoutBasketRule" in text and "OrderQueue-dlq" in text
    assert re.search(r"POST\s+/basket/checkout", text)
    # A route's link is a working URL of the running API
    link = shop.locator("ul.routes a", has_text="/product").first.get_attribute("href")
    assert requests.get(link, timeout=10).status_code == 200

    # Then the sections are refreshed in place: the functions' last invocations appear without a reload
    shop.locator("tr:has(td.name:text-is('product')) span.inv").first.wait_for(timeout=SEEN * 1000)
    assert page.evaluate("window.__loaded_once") is True
    assert "not running" not in page.inner_text("#status")
    assert page.problems == []
    screenshot(page, "resources")


def test_a_checkout_shows_its_waterfall_with_every_hop(served, browser):
    url, _ = served
    shop = Shop()
    product = shop.create_product()
    user = f"dash-{uuid.uuid4().hex[:8]}"
    item = {"productId": product["id"], "productName": "Notebook", "price": 4.5, "quantity": 1, "color": "red"}
    checkout_id = shop.shop(user, [item])
    expected = {
        "checkout request validated, basket read",
        "API call answered (202)",
        "event on the bus",
        "message in the queue",
        "order row written",
        "confirmation email sent",
        "audit row written",
    }
    page = open_page(browser, f"{url}/?trace={checkout_id}")

    def drawn():
        page.reload()  # the page draws what the logs held when it was served (a goto to the same URL may not load)
        hops = set(page.locator("#hop-list td.what").all_inner_texts())
        assert expected <= hops, f"not drawn yet: {sorted(expected - hops)}"
        return hops

    # On a loaded machine an attempt may fail (a record's time limit) and be retried: its deadline too.
    deadline = max(
        deadlines.async_invoke(NOTIFICATION_FUNCTION.timeout),
        deadlines.queue_delivery(
            ORDERING_FUNCTION.timeout, receives=2, visibility_timeout=ORDER_QUEUE.visibility_timeout
        ),
    )
    eventually(drawn, timeout=deadline + deadlines.LOG_SHIPPING, interval=1, what="every hop drawn")
    rows = page.locator("#hops").inner_text()
    for row in (
        "API Gateway POST /basket/checkout",
        "λ basket",
        "EventBridge (CheckoutBasketRule)",
        "SQS OrderQueue",
        "λ ordering",
        "λ notification",
        "λ checkout-audit",
    ):
        assert row in rows, row
    assert re.search(r"\d+\.\d ms, (cold start|warm); attempt 1", rows), "each invocation's duration and start"
    # A failed attempt (a record's time limit on a loaded machine) is drawn as failed, and only then
    failed_hops = [hop for hop in page.locator("#hop-list td.what").all_inner_texts() if "attempt failed" in hop]
    assert rows.count("failed here") == len(failed_hops)
    assert page.locator("#waterfall-chart rect").count() >= 7
    assert page.problems == []
    screenshot(page, "waterfall")
    screenshot(page, "waterfall-section", "section:has(#waterfall-chart)")


def test_a_poisoned_message_shows_in_the_dead_letters_and_redriving_it_from_the_page_makes_the_order(
    served, browser, http, order_api, own_order_queue
):
    url, _ = served
    # Given a checkout whose ordering fails on every receive until its queue gives up on it
    queue = own_order_queue()
    envelope = checkout_event(f"poisoned-{uuid.uuid4().hex[:8]}")
    user = envelope["detail"]["userName"]
    envelope["detail"]["faultInjection"] = {"key": envelope["detail"]["checkoutId"], "failFirst": 3}
    queue.send_batch([envelope])
    own_order_queue.subscribe(queue)
    dead = eventually(
        queue.dead_letters, timeout=DEAD_LETTER_DEADLINE, what=f"the poisoned message in {queue.dlq_name}"
    )
    message_id = dead[0]["MessageId"]

    # Then the page lists it with its body, its receive count and why it is there
    page = open_page(browser, url + "/#dead-letters")
    message = page.locator(f"article.dlq[data-queue='{queue.dlq_name}'] .message[data-message='{message_id}']")
    message.wait_for(timeout=SEEN * 1000)
    assert envelope["detail"]["checkoutId"] in message.locator("pre.body").inner_text()
    assert re.search(r"received \d+ time", message.inner_text())
    assert "receives on arn:aws:sqs:" in message.locator(".why").inner_text()
    assert orders_of(http, order_api, user) == []
    screenshot(page, "dead-letters")

    # When it is redriven from the page (this message only)
    message.locator("button.redrive-one").click()
    page.wait_for_url(re.compile(r"notice="))
    assert f"moved message {message_id} back to {queue.name}" in page.inner_text("#notice")

    # Then the order appears, once, and the message is gone from the dead letters
    exactly_one_order(http, order_api, user, timeout=RETRY_DEADLINE)
    assert Queues().depth(queue.dlq_name) == 0


@pytest.fixture
def hostile_dead_letters(own_order_queue):
    """A queue pair (nothing polls it) whose dead-letter queue holds a script, markup in an attribute,
    and a 256 KB body; and an API whose name is a script."""
    queue = own_order_queue()
    sqs = client("sqs")
    sqs.send_message(
        QueueUrl=queue.dlq_url,
        MessageBody=HOSTILE,
        MessageAttributes={"note": {"DataType": "String", "StringValue": HOSTILE}},
    )
    sqs.send_message(QueueUrl=queue.dlq_url, MessageBody="x" * (256 * 1024))
    apigateway = client("apigateway")
    api = apigateway.create_rest_api(name=HOSTILE.replace("__pwned = 1", "__pwned = 3"))["id"]
    yield queue
    apigateway.delete_rest_api(restApiId=api)


def test_script_in_a_message_body_or_a_resource_name_renders_as_text_and_never_runs(
    served, browser, hostile_dead_letters
):
    url, _ = served
    queue = hostile_dead_letters
    page = open_page(browser, url + "/#dead-letters")
    article = page.locator(f"article.dlq[data-queue='{queue.dlq_name}']")
    article.locator(".message pre.body", has_text="<script>").wait_for(timeout=SEEN * 1000)
    page.locator("article.app[data-app='other']", has_text="window.__pwned = 3").wait_for(timeout=SEEN * 1000)

    # The markup is shown as the characters it is made of, and nothing of it ran: not on the first
    # render, nor after the sections were swapped in again by the refresh
    assert HOSTILE in article.inner_text()
    assert page.locator("img[src='x']").count() == 0
    assert pwned(page) is None
    page.reload()
    article.locator(".message pre.body", has_text="<script>").wait_for(timeout=SEEN * 1000)
    assert pwned(page) is None
    # The 256 KB body keeps the page whole: shown cut, with its size
    assert "262144 bytes" in article.inner_text()
    assert "the first 4000 characters shown" in article.inner_text()
    assert page.problems == []
    screenshot(page, "hostile-input")

    # And the whole queue is redriven with one button
    article.locator("button.redrive-all").click()
    page.wait_for_url(re.compile(r"notice="))
    assert f"moved 2 message(s) from {queue.dlq_name} back to {queue.name}" in page.inner_text("#notice")
    assert Queues().depth(queue.name) == 2


def test_a_cross_site_post_is_refused_and_moves_nothing(served, browser, own_order_queue):
    url, app = served
    queue = own_order_queue()
    Queues().sqs.send_message(QueueUrl=queue.dlq_url, MessageBody=json.dumps({"stay": "here"}))
    page = open_page(browser, url + "/#dead-letters")
    page.locator(f"article.dlq[data-queue='{queue.dlq_name}'] .message").wait_for(timeout=SEEN * 1000)

    # Given another site (another origin, localhost instead of 127.0.0.1) that knows even the page's token
    form = (
        f'<form id="f" method="post" action="{url}/redrive"><input name="token" value="{app.token}">'
        f'<input name="queue" value="{queue.dlq_name}"></form><script>document.getElementById("f").submit()</script>'
    )

    def attacker(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [form.encode()]

    with serving(attacker, free_port()) as attacker_url:
        # When the browser submits its form to the dashboard
        evil = open_page(browser, attacker_url.replace("127.0.0.1", "localhost"))
        evil.wait_for_url(f"{url}/redrive")
        # Then the dashboard refuses it
        assert "403 Forbidden" in evil.inner_text("body")
        assert "refused" in evil.inner_text("body")

    # Nor does a request without the token, a GET, or another Host name (DNS rebinding) do anything
    assert requests.post(f"{url}/redrive", data={"queue": queue.dlq_name}, timeout=10).status_code == 403
    assert requests.get(f"{url}/redrive", params={"queue": queue.dlq_name}, timeout=10).status_code == 405
    assert requests.get(url, headers={"Host": "attacker.example"}, timeout=10).status_code == 400
    assert (
        requests.post(
            f"{url}/redrive",
            data={"queue": queue.dlq_name, "token": app.token},
            headers={"Host": f"attacker.example:{url.rsplit(':', 1)[1]}"},
            timeout=10,
        ).status_code
        == 400
    )
    assert Queues().depth(queue.dlq_name) == 1, "the message stayed in its dead-letter queue"
    assert Queues().depth(queue.name) == 0


def test_with_localstack_not_running_the_page_says_so_and_how_to_start_it(browser):
    # A LocalStack that is not there: a free port on the loopback address
    with dashboard(endpoint_url=f"http://127.0.0.1:{free_port()}") as (url, _):
        page = open_page(browser, url)
        page.locator("#localstack-down").wait_for(timeout=SEEN * 1000)
        assert "LocalStack is not running" in page.inner_text("#localstack-down")
        assert "make up" in page.inner_text("#localstack-down")
        assert page.problems == []
        screenshot(page, "localstack-down")
