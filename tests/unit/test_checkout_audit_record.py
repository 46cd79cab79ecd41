"""The Node.js audit's domain code (lambdas_node/checkout_audit/record.mjs), run by node in-process
of a small script: what it keeps of a CheckoutBasket event, and the events it refuses."""

import json
import shutil
import subprocess

import pytest

from infra.node_archives import NODE_SOURCES

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
RECORD = NODE_SOURCES / "checkout_audit" / "record.mjs"


def audit_record(event) -> dict:
    """{"record": ...} or {"error": [name, message]}"""
    script = (
        f"import {{ auditRecord }} from {json.dumps(RECORD.as_uri())};\n"
        "const event = JSON.parse(process.argv[1]);\n"
        "try { console.log(JSON.stringify({ record: auditRecord(event, 'now', 'AWS_Lambda_nodejs20.x') })); }\n"
        "catch (e) { console.log(JSON.stringify({ error: [e.name, e.message] })); }\n"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(event)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(out.stdout)


def event(**detail) -> dict:
    base = {
        "checkoutId": "c-1",
        "userName": "ann",
        "totalPrice": "8.50",
        "checkedOutAt": "2026-01-01T00:00:00Z",
        "cardLast4": "1111",
        "email": "ann@example.com",
        "items": [
            {"productId": "p-2", "quantity": 1},
            {"productId": "p-1", "quantity": 4},
            {"productId": "p-2", "quantity": 2},
        ],
    }
    return {"id": "e-1", "detail-type": "CheckoutBasket", "detail": base | detail}


def test_the_record_keeps_counts_and_ids_and_nothing_of_the_card_or_the_address():
    record = audit_record(event())["record"]

    assert record == {
        "checkoutId": "c-1",
        "userName": "ann",
        "totalPrice": "8.50",
        "itemCount": 7,
        "productIds": ["p-1", "p-2"],
        "checkedOutAt": "2026-01-01T00:00:00Z",
        "eventId": "e-1",
        "recordedAt": "now",
        "recordedBy": "AWS_Lambda_nodejs20.x",
    }


@pytest.mark.parametrize(
    "hostile, message",
    [
        ({"detail-type": "OrderPlaced"}, 'not a CheckoutBasket event: detail-type "OrderPlaced"'),
        ({"detail": None}, 'not a CheckoutBasket event: detail-type "CheckoutBasket"'),
        ({"detail": {"items": "p-1"}}, "CheckoutBasket detail.items must be a list"),
        ({"detail": {"items": [{"productId": "p", "quantity": 1.5}]}}, "each item needs a positive integer quantity"),
        ({"detail": {"items": [{"productId": "p", "quantity": -1}]}}, "each item needs a positive integer quantity"),
        ({"detail": {"totalPrice": 8.5}}, "CheckoutBasket detail.totalPrice must be a non-empty string"),
        ({"detail": {"userName": ""}}, "CheckoutBasket detail.userName must be a non-empty string"),
    ],
)
def test_malformed_events_are_refused_with_what_is_wrong(hostile, message):
    hostile_event = event()
    if "detail" in hostile and isinstance(hostile["detail"], dict):
        hostile_event["detail"] |= hostile["detail"]
    else:
        hostile_event |= hostile

    assert audit_record(hostile_event) == {"error": ["InvalidCheckoutEvent", message]}
