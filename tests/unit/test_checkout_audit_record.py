"""The Node.js audit's domain code (lambdas_node/checkout_audit/record.mjs), run by node in-process
of a small script: what it keeps of a CheckoutBasket event, and the events it refuses, checked with
ajv against the same contract as the Python consumers (api/events/checkout-basket.schema.json)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from infra.node_archives import EVENT_CONTRACTS, NODE_SOURCES, bundle_module, dereferenced, install_packages
from infra.paths import OPENAPI_DOCUMENT
from tests.unit.lambda_events import load_event

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
RECORD = NODE_SOURCES / "checkout_audit" / "record.mjs"
CARD = "4111111111111111"


@pytest.fixture(scope="module")
def record_bundle(tmp_path_factory) -> Path:
    """record.mjs as the function's bundle has it: ajv from node_modules, the contract with its $refs
    resolved (written under build/), bundled by esbuild."""
    install_packages()
    return bundle_module(RECORD, tmp_path_factory.mktemp("audit") / "record.js", "20")


def audit_records(bundle: Path, events: list) -> list[dict]:
    """Each event's {"record": ...} or {"error": [name, message]}, from one node process: the contract
    is compiled once, as in a function's execution environment (and the unit tests stay light)."""
    script = (
        f"import {{ auditRecord }} from {json.dumps(bundle.as_uri())};\n"
        "import { readFileSync } from 'node:fs';\n"
        "const outcome = (event) => {\n"
        "  try { return { record: auditRecord(event, 'now', 'AWS_Lambda_nodejs20.x') }; }\n"
        "  catch (e) { return { error: [e.name, e.message] }; }\n"
        "};\n"
        "console.log(JSON.stringify(JSON.parse(readFileSync(0, 'utf8')).map(outcome)));\n"
    )
    out = subprocess.run(
        ["node", "--no-warnings", "--input-type=module", "-e", script],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(out.stdout)


def event(**detail) -> dict:
    valid = load_event("checkout_basket_event")
    valid["detail"]["items"].append({"productId": "p-1", "price": "1.25", "quantity": 2})
    valid["detail"] |= detail
    return valid


def test_the_record_keeps_counts_and_ids_and_nothing_of_the_card_or_the_address(record_bundle):
    [outcome] = audit_records(record_bundle, [event()])
    record = outcome["record"]

    assert record == {
        "checkoutId": "0b7d3c1e-5f0a-4a8e-9a57-2f1c6d9e4b21",
        "userName": "ann",
        "totalPrice": "8.50",
        "itemCount": 7,
        "productIds": ["p-1", "p-2"],
        "checkedOutAt": "2026-12-02T00:00:00.123Z",
        "eventId": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "recordedAt": "now",
        "recordedBy": "AWS_Lambda_nodejs20.x",
    }


def without(field: str) -> dict:
    broken = event()
    del broken["detail"][field]
    return broken


def with_item(**change) -> dict:
    broken = event()
    broken["detail"]["items"][0] |= change
    return broken


HOSTILE = [
    (event() | {"detail-type": "OrderPlaced"}, "not a CheckoutBasket event: its detail-type is not CheckoutBasket"),
    (event() | {"detail": None}, "not a CheckoutBasket event: no detail object"),
    (event(cardInfo=CARD), "detail must NOT have additional properties: cardInfo"),
    (without("email"), "detail must have required property 'email'"),
    (without("correlationId"), "detail must have required property 'correlationId'"),
    (event(items="p-1"), "detail.items must be array"),
    (event(items=[]), "detail.items must NOT have fewer than 1 items"),
    (with_item(quantity=1.5), "detail.items.0.quantity must be integer"),
    (with_item(quantity=0), "detail.items.0.quantity must be >= 1"),
    (with_item(cardInfo=CARD), "detail.items.0 must NOT have additional properties: cardInfo"),
    (event(totalPrice=8.5), "detail.totalPrice must be string"),
    (event(userName=""), "detail.userName must NOT have fewer than 1 characters"),
    (
        event(checkoutId="c-1"),
        'detail.checkoutId must match pattern "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"',
    ),
    (event(cardLast4=CARD), 'detail.cardLast4 must match pattern "^[0-9]{4}$"'),
    (event(paymentMethod=4), "detail.paymentMethod must be <= 3"),
    (event(email=CARD), 'detail.email must match pattern "^[^@\\s]+@[^@\\s]+$"'),
]


@pytest.fixture(scope="module")
def refusals(record_bundle) -> list[dict]:
    return audit_records(record_bundle, [hostile for hostile, _ in HOSTILE])


@pytest.mark.parametrize("index", range(len(HOSTILE)), ids=[message[:60] for _, message in HOSTILE])
def test_events_that_break_the_contract_are_refused_naming_the_field_and_never_a_value(refusals, index):
    message = HOSTILE[index][1]
    if not message.startswith("not a CheckoutBasket event"):
        message = f"CheckoutBasket event breaks its contract: {message}"

    assert refusals[index] == {"error": ["BrokenContract", message]}
    assert CARD not in json.dumps(refusals[index])


def test_the_bundled_contract_is_the_api_s_with_only_its_own_definitions_left_to_resolve(record_bundle):
    written = json.loads((EVENT_CONTRACTS / "checkout-basket.schema.json").read_text())
    document = yaml.safe_load(OPENAPI_DOCUMENT.read_text())

    references = re.findall(r'"\$ref": "([^"]*)"', json.dumps(written))
    assert references and set(references) == {"#/definitions/decimalText"}
    assert written["properties"]["email"] == document["components"]["schemas"]["CheckoutRequest"]["properties"]["email"]
    assert written["properties"]["paymentMethod"] == document["components"]["schemas"]["PaymentMethod"]


def test_a_contract_referring_to_another_document_is_refused_at_build_time():
    with pytest.raises(ValueError, match=re.escape("refer to ../openapi.yaml only")):
        dereferenced({"properties": {"x": {"$ref": "https://example.com/schema.json#/x"}}}, {})
