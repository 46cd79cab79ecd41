"""Request validation against the OpenAPI document (api/openapi.yaml, shipped as openapi.json)."""

import functools
import json
from decimal import Decimal
from pathlib import Path

import fastjsonschema

from shared.errors import InvalidInput

# API Gateway accepts 10 MB; nothing in this shop needs more than a few kB.
MAX_BODY_BYTES = 64 * 1024
DOCUMENT = json.loads((Path(__file__).parent / "openapi.json").read_text())


def allowed_methods(resource: str) -> list[str]:
    """The methods the contract defines for an API Gateway resource path such as /product/{id}."""
    item = DOCUMENT["paths"].get(resource, {})
    return sorted(method.upper() for method, operation in item.items() if isinstance(operation, dict) and method != "parameters")


@functools.cache
def validator(name: str):
    """A compiled validator per schema. Compiling costs about 10 ms, so it happens once per
    environment rather than per request (Powertools' validate() compiles on every call)."""
    # fastjsonschema resolves "#/components/..." against the schema's own root, so carry the components.
    return fastjsonschema.compile({"$ref": f"#/components/schemas/{name}", "components": DOCUMENT["components"]})


def parse_body(body: str | None, schema_name: str) -> dict:
    """The request body as a dict with Decimal numbers (exact through DynamoDB), or InvalidInput."""
    if body is None or body == "":
        raise InvalidInput("request body is required", [{"message": "empty body"}])
    if len(body.encode("utf-8", errors="surrogatepass")) > MAX_BODY_BYTES:
        raise InvalidInput("request body is too large", [{"message": f"limit is {MAX_BODY_BYTES} bytes"}])
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as e:
        raise InvalidInput("request body is not valid JSON", [{"message": str(e)[:200]}]) from None
    check(data, schema_name)
    exact = json.loads(body, parse_float=Decimal, parse_int=Decimal)
    if unstorable := [str(number) for number in _numbers(exact) if not _storable(number)]:
        message = "numbers must have at most 38 digits and lie between 1E-130 and 1E+125, as DynamoDB stores them"
        raise InvalidInput("request body has a number out of range", [{"message": message, "values": unstorable[:5]}])
    return exact


def _numbers(value):
    if isinstance(value, Decimal):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)


def _storable(number: Decimal) -> bool:
    """DynamoDB's number range: up to 38 significant digits, magnitude 1E-130 to 9.99...E+125."""
    if number.is_zero():
        return True
    digits = len("".join(map(str, number.as_tuple().digits)).strip("0"))  # normalize() would round to 28
    return number.is_finite() and digits <= 38 and Decimal("1E-130") <= abs(number) < Decimal("1E+126")


def _refuse_constant(name: str):
    # Python's json accepts NaN and Infinity, which are not JSON and which DynamoDB cannot store.
    raise ValueError(f"{name} is not a JSON number")


def check(data: dict, schema_name: str) -> None:
    try:
        validator(schema_name)(data)
    except fastjsonschema.JsonSchemaValueException as e:
        raise InvalidInput("request body does not match the schema", [{"field": e.name, "message": e.message}]) from None
