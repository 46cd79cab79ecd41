"""The dashboard's server without LocalStack: what it refuses, how it renders what it read, and how a
trace becomes a waterfall. tests/integration/test_dashboard.py covers the same in a real browser."""

from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.test import Client

from client.checkout_trace import Hop, Invocation, Trace
from dashboard.environment import Collector, Snapshot, app_of
from dashboard.server import Dashboard
from dashboard.waterfall import build

PORT = 4580
HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror=alert(1)>"


@pytest.fixture
def app():
    # A collector that never runs: the page shows what the test puts in its snapshot.
    return Dashboard(Collector(endpoint_url="http://127.0.0.1:9"), port=PORT)


def post(app, token, **headers):
    return Client(app).post(
        "/redrive", data={"queue": "OrderQueue-dlq", "token": token}, headers={"Host": f"127.0.0.1:{PORT}", **headers}
    )


def test_a_redrive_without_the_pages_token_or_from_another_site_is_refused(app):
    assert post(app, "").status_code == 403
    assert post(app, "a-guess").status_code == 403
    assert post(app, app.token, Origin="http://attacker.example").status_code == 403
    assert post(app, app.token, Origin=f"http://localhost:{PORT + 1}").status_code == 403
    assert post(app, app.token, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert post(app, app.token, **{"Sec-Fetch-Site": "same-site"}).status_code == 403
    # The page's own POST passes the checks (and is then refused for naming no known dead-letter queue)
    own = post(app, app.token, Origin=f"http://127.0.0.1:{PORT}", **{"Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 400


def test_no_get_changes_anything_and_only_local_host_names_are_answered(app):
    client = Client(app)
    assert client.get("/redrive", headers={"Host": f"127.0.0.1:{PORT}"}).status_code == 405
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/", headers={"Host": f"attacker.example:{PORT}"}).status_code == 400
    assert post(app, app.token, Host=f"rebound.example:{PORT}").status_code == 400
    for host in (f"127.0.0.1:{PORT}", f"localhost:{PORT}"):
        assert client.get("/", headers={"Host": host}).status_code == 200


def test_markup_in_what_was_read_is_shown_as_text_and_no_inline_script_may_run(app):
    app.collector.snapshot = Snapshot(
        up=True,
        queues={HOSTILE: {"url": "u", "app": "other", "visible": 1, "in_flight": 0, "delayed": 0}},
        apis={HOSTILE: {"id": "x", "url": "http://127.0.0.1:4566/x", "routes": [], "app": "other"}},
        dead_letters={
            "d": {
                "source": "s",
                "count": 1,
                "app": "other",
                "messages": [
                    {
                        "id": HOSTILE,
                        "body": HOSTILE,
                        "size": 10,
                        "cut": False,
                        "receive_count": HOSTILE,
                        "attributes": {HOSTILE: HOSTILE},
                        "why": HOSTILE,
                    }
                ],
            }
        },
    )
    response = Client(app).get("/", headers={"Host": f"127.0.0.1:{PORT}"})
    page = response.get_data(as_text=True)
    assert "<script>window" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_localstack_not_running_is_said_with_the_command_that_starts_it(app):
    app.collector.collect(("structure",))  # nothing listens on port 9
    page = Client(app).get("/", headers={"Host": f"127.0.0.1:{PORT}"}).get_data(as_text=True)
    assert "LocalStack is not running at http://127.0.0.1:9: make up" in page


def test_a_waterfall_has_a_row_per_attempt_with_its_duration_start_and_failure():
    zero = datetime(2026, 1, 1, tzinfo=UTC)

    def at(ms):
        return zero + timedelta(milliseconds=ms)

    hops = [
        Hop(at(0), "basket", "checkout request validated, basket read", "", "b1"),
        Hop(at(20), "basket", "event on the bus", "", "b1"),
        Hop(at(30), "basket", "API call answered (202)", "", "b1"),
        Hop(at(25), "OrderQueue", "message in the queue", "receive 1", "o1"),
        Hop(at(60), "ordering", "ordering attempt failed", "receive 1, Boom", "o1"),
        Hop(at(40), "OrderQueue", "message in the queue", "receive 2", "o2"),
        Hop(at(90), "ordering", "order row written", "receive 2", "o2"),
    ]
    invocations = [
        Invocation("basket", "b1", hops[:3], duration_ms=35.0, init_ms=None, attempt=1),
        Invocation("ordering", "o1", [hops[4]], duration_ms=12.0, init_ms=300.0, attempt=1),
        Invocation("ordering", "o2", [hops[6]], duration_ms=8.0, init_ms=None, attempt=2),
    ]

    waterfall = build(Trace("c-1", sorted(hops, key=lambda h: h.at), invocations))

    rows = {(r.label, r.attempt): r for r in waterfall.rows}
    assert rows[("API Gateway POST /basket/checkout", 1)].duration_ms == 30
    first, second = rows[("λ ordering", 1)], rows[("λ ordering", 2)]
    assert (first.failed, first.cold, first.duration_ms) == (True, True, 12.0)
    assert (second.failed, second.cold, second.start_ms) == (False, False, 90)
    queue_waits = [r for r in waterfall.rows if r.kind == "queue"]
    assert [(r.start_ms, r.end_ms) for r in queue_waits] == [(25, 60), (40, 90)]
    assert [h["what"] for h in waterfall.hops] == [h.what for h in sorted(hops, key=lambda h: h.at)]
    assert build(Trace("none", [], [])) is None


def test_resources_are_grouped_by_the_app_that_deployed_them():
    owners = {"orders-queue-url": "my-app", "fn": "my-app", "abc123": "other-app"}
    assert app_of("basket", owners) == "shop", "the shop's own names, from infra/stack.py"
    assert app_of("fn", owners) == "my-app"
    assert app_of("orders", owners, "orders-queue-url") == "my-app", "a queue is known by its URL"
    assert app_of("an api", owners, "abc123") == "other-app", "an API by its id"
    assert app_of("leftover", owners) == "other"
