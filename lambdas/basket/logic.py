"""Basket rules, free of HTTP and of AWS: `baskets` and `checkouts` (keyed by "id", the checkout answers)
are tables as basket/store.py describes them, and `publish_checkout` any callable that publishes one
CheckoutBasket event's detail."""

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeGuard

from basket.store import Baskets, Checkouts
from shared import money, pagination
from shared.api_contract import storable
from shared.errors import Claimed, Conflict, InvalidInput, KeyReused, NotFound
from shared.http import to_json

# The attribute a checkout in progress sets on the basket (never shown to clients).
CLAIM = "checkoutClaim"
# A checkout holds its basket at most this long (above the basket function's timeout), so one that
# crashed between claiming and publishing blocks the basket only briefly.
CLAIM_SECONDS = 30
# How long a checkout's answer is replayed for its idempotency key, and a repeat is told it is one.
ANSWER_SECONDS = 24 * 3600
# A request with the idempotency key of a checkout in flight waits this long for its answer.
WAIT_FOR_WINNER_SECONDS = 5
# The states of an idempotency key's record: its checkout may have been published (written before
# publishing, and left so when publishing fails or the function dies), is published (its answer is
# replayed), or was refused before anything was sent (the key is free again).
PENDING, PUBLISHED, REFUSED = "pending", "published", "refused"


def _shown(basket: dict) -> dict:
    return {key: value for key, value in basket.items() if key != CLAIM}


def list_baskets(baskets: Baskets, page: pagination.PageRequest) -> dict:
    """One page of the baskets."""
    return pagination.read_page(baskets, page, "basket", shown=_shown)


def get_basket(baskets: Baskets, user_name: str) -> dict:
    basket = baskets.get(user_name)
    if basket is None:
        raise NotFound(f"no basket for user {user_name}")
    return _shown(basket)


def save_basket(baskets: Baskets, basket: dict, *, clock: Callable[[], float] = time.time) -> dict:
    basket_total(basket["items"])  # refused now rather than at checkout
    # Saving replaces the whole item, claim included: not while a checkout holds it, or a second
    # checkout could claim the saved basket and publish again.
    if not baskets.put_unless_claimed(basket, CLAIM, int(clock())):
        raise Conflict(
            f"the basket of {basket['userName']} is being checked out; save it again once the checkout has ended"
        )
    return basket


def delete_basket(baskets: Baskets, user_name: str) -> None:
    if not baskets.delete(user_name):
        raise NotFound(f"no basket for user {user_name}")


def total_price(items: list[dict]) -> Decimal:
    """Price times quantity, summed exactly (the original ignored quantity)."""
    return money.total(money.amount(item["price"], item["quantity"]) for item in items)


def basket_total(items: list[dict]) -> Decimal:
    """The total, or InvalidInput when DynamoDB could not store it (more than 38 significant digits)."""
    total = total_price(items)
    if not storable(total):
        message = f"the total {total} would have more than 38 significant digits, which DynamoDB cannot store"
        raise InvalidInput("the basket's total cannot be stored", [{"field": "items", "message": message}])
    return total


def checkout_event(
    basket: dict, request: dict, checkout_id: str, correlation_id: str | None, checked_out_at: str
) -> dict:
    """The CheckoutBasket event's detail. The card number stays here: only its last four digits travel."""
    detail = {key: request[key] for key in ("userName", "firstName", "lastName", "email", "address")}
    detail |= {
        # The reference app sends "1" as well as 1; the event and the order always carry the number.
        "paymentMethod": int(request["paymentMethod"]),
        "checkoutId": checkout_id,
        "cardLast4": request["cardInfo"][-4:],
        # Money travels as decimal text: EventBridge parses the detail as JSON (LocalStack with
        # Python floats), which would round numbers beyond 17 significant digits.
        "items": [item | {"price": str(item["price"])} for item in basket["items"]],
        # A totalPrice in the request is the client's own sum: the basket's prices decide.
        "totalPrice": str(basket_total(basket["items"])),
        # The basket's first checkout attempt's time: a repeat publishes the same event, so the same order.
        "checkedOutAt": checked_out_at,
        "correlationId": correlation_id,
    }
    # failPublish is the basket's own fault (the consumers never see a checkout whose publish failed).
    if spec := {k: v for k, v in (request.get("faultInjection") or {}).items() if k != "failPublish"}:
        detail["faultInjection"] = {"key": checkout_id} | spec
    return detail


def _answer_id(user_name: str, idempotency_key: str) -> str:
    # A JSON list, not "answer#user#key": "#" may appear in either part, and ("a", "b#c") must not
    # name the same answer as ("a#b", "c").
    return json.dumps(["answer", user_name, idempotency_key])


def _last_checkout_id(user_name: str) -> str:
    return f"last#{user_name}"


def request_fingerprint(request: dict) -> str:
    """SHA-256 of the request in canonical form (sorted keys, no spaces, numbers exact), so a key sent
    again is recognised as the same request however its JSON was laid out.

    The card number enters it as its last four digits only. A card number has too few unknown digits
    to hide in an unkeyed hash: with the first six and the last four known, 10^6 guesses find it in
    about a second. The last four digits are all the shop uses of the number (the event, the order
    and the email carry nothing more), so two requests that differ only before them check out the
    very same thing: they are the same request, and a card with other last digits is a different one.
    A keyed HMAC would keep the whole number distinguishable, but needs a secret kept outside the
    table for no checkout it would tell apart; a payment step that uses the whole number would."""
    # Fault injection says how one attempt is handled, not what is requested.
    request = {key: value for key, value in request.items() if key != "faultInjection"}
    request["cardInfo"] = request["cardInfo"][-4:]
    return hashlib.sha256(to_json(request, sort_keys=True).encode("utf-8", "surrogatepass")).hexdigest()


def _saved(checkouts: Checkouts, record_id: str, now: float) -> dict | None:
    """A saved record, or None once it expired: DynamoDB's TTL deletes expired items only eventually."""
    record = checkouts.get(record_id)
    return record if record is not None and record["expiration"] >= now else None


def _key_record(
    checkouts: Checkouts, user_name: str, idempotency_key: str | None, fingerprint: str, now: float
) -> dict | None:
    """The key's record, unless there is none or its attempt was refused before anything was sent;
    KeyReused when the key came with another request."""
    if not idempotency_key or not (saved := _saved(checkouts, _answer_id(user_name, idempotency_key), now)):
        return None
    if saved.get("state") == REFUSED:
        return None
    if saved.get("requestFingerprint") != fingerprint:
        raise KeyReused("this Idempotency-Key was used for a different request; use a new key for a new request")
    return saved


def _published(record: dict | None) -> TypeGuard[dict]:
    return record is not None and record.get("state") == PUBLISHED


def checkout(
    baskets,
    checkouts,
    publish_checkout: Callable[[dict], object],
    request: dict,
    correlation_id: str | None = None,
    idempotency_key: str | None = None,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], object] = time.sleep,
) -> tuple[dict, bool]:
    """Publishes exactly one CheckoutBasket event per basket, then empties the basket. Returns the
    answer and whether it is a replay of an earlier one.

    The basket is claimed first, in one conditional write: of concurrent checkouts one wins, the
    others get Conflict. A request with the winner's idempotency key waits for the winner and gets
    its answer instead (KeyReused if its body differs). A basket gets one checkoutId, and one
    checkedOutAt, at its first claim, kept when a claim is released (publishing failed) or expires
    (the function died): every later attempt publishes the same event again, which the ordering
    service's idempotency (keyed by checkoutId) turns into the same one order. Saving the basket
    replaces it, claim included: the saved basket is checked out under a new checkoutId.

    An idempotency key's answer is replayed only once its event is published. Its record is written
    PENDING before publishing, so that a key whose attempt failed or died is known: a failed publish
    may still have put the event (a reply lost), so the key's checkoutId is published again while the
    basket still holds it, and a basket saved since is refused (Conflict) rather than published under
    a second checkoutId beside one that may be out. `checkouts` also keeps the last checkout per user,
    so a repeat after the basket is gone is a replay or a Conflict rather than a NotFound. The order
    itself is written later, by the ordering service."""
    user_name = request["userName"]
    fingerprint = request_fingerprint(request)
    deadline = clock() + WAIT_FOR_WINNER_SECONDS
    while True:
        record = _key_record(checkouts, user_name, idempotency_key, fingerprint, clock())
        if _published(record):
            return record["answer"], True
        moment = clock()
        now = int(moment)
        checked_out_at = datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        renewal = {"until": now + CLAIM_SECONDS, "idempotencyKey": idempotency_key or ""}
        fresh = renewal | {"id": str(uuid.uuid4()), "checkedOutAt": checked_out_at}
        try:
            basket = baskets.claim(user_name, CLAIM, fresh, renewal, now)
        except Claimed as e:
            if idempotency_key and e.claim.get("idempotencyKey") == idempotency_key and clock() < deadline:
                sleep(0.05)  # the same request, still in flight: answer as it will
                continue
            raise Conflict(f"the basket of {user_name} is being checked out by another request") from None
        if basket is not None:
            break
        last = _saved(checkouts, _last_checkout_id(user_name), clock())
        record = _key_record(checkouts, user_name, idempotency_key, fingerprint, clock())
        # The winner finished between our two reads, or the key's checkout was published by a retry without it.
        if record is not None and (
            _published(record) or (last and last["checkoutId"] == record["answer"]["checkoutId"])
        ):
            return record["answer"], True
        if last:
            raise Conflict(f"the basket of {user_name} was already checked out (checkoutId {last['checkoutId']})")
        raise NotFound(f"no basket for user {user_name}")

    claim = basket[CLAIM]
    checkout_id = claim["id"]
    answer = {"checkoutId": checkout_id}
    expiration = int(clock()) + ANSWER_SECONDS

    def remember(state: str) -> None:
        if idempotency_key:
            checkouts.put(
                {
                    "id": _answer_id(user_name, idempotency_key),
                    "answer": answer,
                    "state": state,
                    "requestFingerprint": fingerprint,
                    "expiration": expiration,
                }
            )

    try:
        if not basket.get("items"):
            raise InvalidInput("the basket is empty", [{"field": "items", "message": "nothing to check out"}])
        if record is not None and (earlier := record["answer"]["checkoutId"]) != checkout_id:
            raise Conflict(
                f"an earlier attempt with this Idempotency-Key (checkoutId {earlier}) failed, and the basket of "
                f"{user_name} has been saved since; to check out the basket as saved, send the request again "
                "with a new Idempotency-Key"
            )
        remember(PENDING)
        try:
            publish_checkout(checkout_event(basket, request, checkout_id, correlation_id, claim["checkedOutAt"]))
        except InvalidInput:
            remember(REFUSED)  # the event broke its contract: nothing was sent
            raise
        remember(PUBLISHED)
    except BaseException:
        baskets.release(user_name, CLAIM, checkout_id)
        raise
    checkouts.put({"id": _last_checkout_id(user_name), "checkoutId": checkout_id, "expiration": expiration})
    baskets.delete_claimed(user_name, CLAIM, checkout_id)
    return answer, False
