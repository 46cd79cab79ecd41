"""Pages of a list: the requested size (`limit`, bounded by the contract's Limit parameter), the opaque
`nextToken` that resumes a list where its last page ended, and the byte budget that ends a page
before its response could pass Lambda's 6 MB limit. Free of HTTP and of AWS."""

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn, Protocol

from shared.api_contract import DOCUMENT, MAX_PATH_PARAMETER_BYTES, MAX_QUERY_PARAMETER_BYTES, unstorable_text
from shared.errors import InvalidInput
from shared.http import to_json

_LIMIT = DOCUMENT["components"]["parameters"]["Limit"]["schema"]
DEFAULT_LIMIT, MAX_LIMIT = _LIMIT["default"], _LIMIT["maximum"]

# Lambda refuses a synchronous response above 6 MB (6,291,456 bytes), and the function's body travels
# inside the API Gateway proxy response as a JSON string, so each item is counted as it is written
# there (escaped). The rest of the response (status, headers, the page's own braces and token) is
# far below the difference.
MAX_PAGE_BYTES = 4 * 1024 * 1024

_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
# A token is "<position>.<signature>": the position in base64url, and an HMAC-SHA256 of it (truncated, as
# it only has to be unguessable) under the environment's list-token key, which provisioning gives the list
# functions (LIST_TOKEN_KEY, infra/stack.py) and nobody else. An edited position, however well formed,
# is refused: a client can only send back what a page answered.
_SIGNATURE_BYTES = 16


def response_bytes(item: dict) -> int:
    """What the item adds to the Lambda response: its JSON, escaped once more as the proxy response's body."""
    return len(json.dumps(to_json(item))) + 1  # the comma between items


def parse_limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not _WHOLE_NUMBER.fullmatch(text) or not 1 <= int(text) <= MAX_LIMIT:
        message = f"give a whole number from 1 to {MAX_LIMIT}, or leave it out for {DEFAULT_LIMIT}"
        raise InvalidInput(f"limit must be from 1 to {MAX_LIMIT}", [{"field": "limit", "message": message}])
    return int(text)


@dataclass(frozen=True)
class PageRequest:
    signing_key: bytes  # the environment's list-token key
    limit: int = DEFAULT_LIMIT
    next_token: str | None = None


def page_request(limit: str | None, next_token: str | None, signing_key: bytes) -> PageRequest:
    """The page that the query parameters `limit` and `nextToken` ask for (InvalidInput for a bad limit;
    the token is checked against its list by start_key)."""
    return PageRequest(signing_key, parse_limit(limit), next_token)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _signature(position: str, signing_key: bytes) -> str:
    return _b64(hmac.digest(signing_key, position.encode("utf-8", "surrogatepass"), "sha256")[:_SIGNATURE_BYTES])


def _list_id(list_name: str) -> str:
    # A digest: the list's name carries its filters (a category of up to 1 KB), and the token must
    # stay well below the 1 KB a query parameter may hold.
    return hashlib.sha256(list_name.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def encode_token(list_name: str, key: dict, signing_key: bytes) -> str:
    """The nextToken that resumes `list_name` after the item with this primary key (DynamoDB's
    LastEvaluatedKey): base64url of canonical JSON, no padding, then "." and its signature."""
    position = _b64(to_json({"list": _list_id(list_name), "after": key}, sort_keys=True).encode("utf-8"))
    return f"{position}.{_signature(position, signing_key)}"


def start_key(token: str | None, list_name: str, key_names: tuple[str, ...], signing_key: bytes) -> dict | None:
    """The ExclusiveStartKey a nextToken stands for, or None for the first page. A token that this
    list did not answer is InvalidInput, never a DynamoDB error: its signature must be this
    environment's, and it must be canonical (encoding its content again gives it back exactly), name
    this list, and hold exactly this table's key attributes, as text DynamoDB can look up."""
    if token is None:
        return None
    position, _, signature = token.partition(".")
    if not hmac.compare_digest(signature.encode("utf-8", "surrogatepass"), _signature(position, signing_key).encode()):
        _refuse("it was not answered by this list, or it was changed")
    key = _decoded(position, list_name)
    if sorted(key) != sorted(key_names):
        _refuse("it does not hold a key of this list's table")
    limits = [MAX_PATH_PARAMETER_BYTES, *[MAX_QUERY_PARAMETER_BYTES] * (len(key_names) - 1)]
    for name, limit in zip(key_names, limits, strict=True):
        value = key[name]
        if not isinstance(value, str) or not value or unstorable_text(value) or len(value.encode()) > limit:
            _refuse("it does not hold a key of this list's table")
    if encode_token(list_name, key, signing_key) != token:
        _refuse("it is not in the form this list answers")
    return key


def _decoded(token: str, list_name: str) -> dict:
    if not _BASE64URL.fullmatch(token):
        _refuse("it is not base64url text")
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
        _refuse("it does not decode")
    if not isinstance(payload, dict) or set(payload) != {"list", "after"} or not isinstance(payload["after"], dict):
        _refuse("it does not decode to a position in a list")
    if payload["list"] != _list_id(list_name):
        _refuse("it belongs to another list (another operation or other filters)")
    return payload["after"]


def _refuse(reason: str) -> NoReturn:
    raise InvalidInput(
        f"nextToken is not valid for this list: {reason}",
        [
            {
                "field": "nextToken",
                "message": "pass the nextToken this list's previous page answered, unchanged; leave it out to start again",
            }
        ],
    )


class PagedTable(Protocol):
    """What a list needs of its table: its key's attribute names and pages of a filtered scan."""

    key_names: tuple[str, ...]

    def scan_page(
        self, limit: int, start_key: dict | None, max_bytes: int, size: Callable[[dict], int], **filters: object
    ) -> tuple[list[dict], dict | None]: ...


def read_page(
    table: PagedTable,
    page: PageRequest,
    list_name: str,
    filters: dict | None = None,
    shown: Callable[[dict], dict] | None = None,
) -> dict:
    """The answer to one page of a list: the items of `table` (a shared.dynamo.KeyValueTable) whose
    attributes equal `filters`, each as `shown(item)` makes it, and a nextToken while more may follow.
    `list_name` names the list with its filters: a token resumes only the list it came from."""
    shown = shown or (lambda item: item)
    items, last_key = table.scan_page(
        page.limit,
        start_key(page.next_token, list_name, table.key_names, page.signing_key),
        MAX_PAGE_BYTES,
        lambda item: response_bytes(shown(item)),
        **(filters or {}),
    )
    answer = {"items": [shown(item) for item in items]}
    return answer | ({"nextToken": encode_token(list_name, last_key, page.signing_key)} if last_key else {})
