"""No derivative of the card number at rest from which it can be recovered: a checkout with an
Idempotency-Key stores a fingerprint of its request in the checkout table, and an attacker who reads
it knows the card's first six digits (its issuer) and last four (on every order and email)."""

import hashlib
import json
import uuid

from basket.logic import request_fingerprint
from client.shop import checkout_request
from infra.aws import client
from infra.stack import CHECKOUT_TABLE
from shared.http import to_json

CARD = "4111111111111111"
KNOWN_FIRST, KNOWN_LAST = CARD[:6], CARD[-4:]
PLACEHOLDER = "#" * 6


def middle_digit_guesses() -> list[str]:
    """The 10^6 card numbers that share the card's known digits."""
    return [f"{KNOWN_FIRST}{middle:06d}{KNOWN_LAST}" for middle in range(10**6)]


def strings_in(value) -> list[str]:
    """Every string in a DynamoDB item as GetItem answers it (typed values), keys included."""
    if isinstance(value, dict):
        return [s for key, inner in value.items() for s in [key, *strings_in(inner)]]
    if isinstance(value, list):
        return [s for inner in value for s in strings_in(inner)]
    return [value] if isinstance(value, str) else []


def unkeyed_hashes_of_the_request(request: dict) -> dict[str, str]:
    """An attacker's guesses: SHA-256 of the request as canonical JSON, with each guessed card."""
    before, after = to_json(request | {"cardInfo": KNOWN_FIRST + PLACEHOLDER + KNOWN_LAST}, sort_keys=True).split(
        PLACEHOLDER
    )
    return {
        hashlib.sha256(f"{before}{guess[6:12]}{after}".encode()).hexdigest(): guess for guess in middle_digit_guesses()
    }


def test_the_stored_request_fingerprint_gives_away_no_card_number(http, basket_api, filled_basket, user_name):
    # Given a checkout with an Idempotency-Key, whose record the attacker reads from the checkout table
    request = checkout_request(user_name, cardInfo=CARD)
    key = str(uuid.uuid4())
    response = http.post(f"{basket_api}/basket/checkout", json=request, headers={"Idempotency-Key": key})
    assert response.status_code == 202, response.text
    record_id = json.dumps(["answer", user_name, key])
    item = client("dynamodb").get_item(TableName=CHECKOUT_TABLE.name, Key={"id": {"S": record_id}})["Item"]
    stored = set(strings_in(item))

    # When they hash the request with each of the 10^6 numbers that share the card's known digits
    recovered = [guess for digest, guess in unkeyed_hashes_of_the_request(request).items() if digest in stored]
    # and compute the fingerprint as the shop does, for the card and for guesses with other middle digits
    fingerprints = {request_fingerprint(request | {"cardInfo": guess}) for guess in middle_digit_guesses()[::997]}

    # Then no guess matches, the shop's fingerprint is the same whatever the middle digits, and the
    # table holds no card number anywhere
    assert recovered == []
    assert fingerprints == {request_fingerprint(request)} and fingerprints <= stored
    table = client("dynamodb").scan(TableName=CHECKOUT_TABLE.name)["Items"]
    assert CARD not in json.dumps(table)
