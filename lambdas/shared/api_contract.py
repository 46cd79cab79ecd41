"""Request validation against the OpenAPI document (api/openapi.yaml, shipped as contracts/openapi.json)."""

import functools
import json
from decimal import Decimal
from pathlib import Path

import fastjsonschema

from shared import config
from shared.errors import InvalidInput

# API Gateway accepts 10 MB; nothing in this shop needs more than a few kB.
MAX_BODY_BYTES = 64 * 1024
# Beside this package in an archive or a hot-reload folder (infra/archives.py); CONTRACTS_DIR where the
# code runs from its sources (the unit tests, which point it at the build folder).
CONTRACTS = Path(config.optional_env("CONTRACTS_DIR") or Path(__file__).parent.parent / "contracts")
DOCUMENT = json.loads((CONTRACTS / "openapi.json").read_text())


def allowed_methods(resource: str) -> list[str]:
    """The methods the contract defines for an API Gateway resource path such as /product/{id}."""
    item = DOCUMENT["paths"].get(resource, {})
    return sorted(
        method.upper() for method, operation in item.items() if isinstance(operation, dict) and method != "parameters"
    )


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
        exact = json.loads(body, parse_float=Decimal, parse_int=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as e:
        raise InvalidInput("request body is not valid JSON", [{"message": str(e)[:200]}]) from None
    refuse_unstorable_text(exact)
    # Bounds and integrality are checked on the exact value: as a float, 1000000000.00000000000000000001
    # would be 1e9 and pass "maximum: 1000000000".
    check(for_validation(exact), schema_name)
    exact = _whole_numbers_as_integers(exact, {"$ref": f"#/components/schemas/{schema_name}"})
    if unstorable := [(field, str(number)) for field, number in _numbers(exact) if not storable(number)]:
        message = (
            "numbers must have at most 38 significant digits and lie between 1E-130 and 1E+125, as DynamoDB stores them"
        )
        errors = [{"field": field, "message": message, "value": value} for field, value in unstorable[:5]]
        raise InvalidInput("request body has a number out of range", errors)
    return exact


def unstorable_text(value, path: str = "") -> list[str]:
    """The fields (dotted paths, keys included) holding text that is not Unicode: JSON's \\ud800
    escapes decode to lone surrogates, which have no UTF-8 form, so DynamoDB cannot store them."""
    found = []
    if isinstance(value, str):
        if not _encodable(value):
            found.append(path or "(body)")
    elif isinstance(value, dict):
        for key, item in value.items():
            field = f"{path}.{key}" if path else str(key)
            if not _encodable(str(key)):
                found.append(field.encode("utf-8", "backslashreplace").decode())
            else:
                found += unstorable_text(item, field)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += unstorable_text(item, f"{path}[{index}]")
    return found


def refuse_unstorable_text(data, where: str = "request body") -> None:
    if fields := unstorable_text(data):
        errors = [
            {"field": field, "message": "lone surrogate: not Unicode text, DynamoDB cannot store it"}
            for field in fields[:5]
        ]
        # The message names the fields too: the invoice's API Gateway integration passes on only the message.
        raise InvalidInput(f"{where} has text that cannot be stored: {', '.join(fields[:5])}", errors)


# Path parameters become partition keys (at most 2048 bytes in DynamoDB), query parameters sort keys
# or filters (a sort key holds at most 1024 bytes).
MAX_PATH_PARAMETER_BYTES, MAX_QUERY_PARAMETER_BYTES = 2048, 1024


def refuse_unstorable_parameters(path: dict[str, str], query: dict[str, str] | None = None) -> None:
    query = query or {}
    refuse_unstorable_text(path | query, where="request parameter")
    limits = [(name, value, MAX_PATH_PARAMETER_BYTES) for name, value in path.items()]
    limits += [(name, value, MAX_QUERY_PARAMETER_BYTES) for name, value in query.items()]
    if long := [(name, limit) for name, value, limit in limits if len(value.encode("utf-8")) > limit]:
        errors = [{"field": name, "message": f"at most {limit} bytes"} for name, limit in long]
        raise InvalidInput(f"request parameter too long: {', '.join(name for name, _ in long)}", errors)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _numbers(value, path: str = ""):
    if isinstance(value, Decimal):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _numbers(item, f"{path}[{index}]")


def _integral(number: Decimal) -> bool:
    # adjusted() first: a literal such as 1E+999999999 is refused without building its integer.
    return number.is_finite() and number.adjusted() < 40 and number == number.to_integral_value()


def for_validation(value):
    """The body with its whole numbers as int (so 1.0 and 1E+2 meet "type: integer", as JSON Schema
    since draft 6 has it) and the others as exact Decimals, which the validator compares exactly."""
    if isinstance(value, Decimal):
        return int(value) if _integral(value) else value
    if isinstance(value, dict):
        return {key: for_validation(item) for key, item in value.items()}
    if isinstance(value, list):
        return [for_validation(item) for item in value]
    return value


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _whole_numbers_as_integers(value, schema: dict):
    """A valid body with each number where the schema wants an integer written as one (1.0 and
    1E+2 become 1 and 100), so it is stored and answered as the integer it is."""
    schema = _resolve(schema)
    if isinstance(value, Decimal):
        if any(
            _resolve(option).get("type") == "integer"
            for option in [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]
        ):
            return Decimal(int(value))
        return value
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {key: _whole_numbers_as_integers(item, properties.get(key, {})) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers_as_integers(item, schema.get("items", {})) for item in value]
    return value


def storable(number: Decimal) -> bool:
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
        field = (e.name or "").removeprefix("data.").removeprefix("data")
        raise InvalidInput(
            f"request body does not match the schema: {e.message}", [{"field": field or "(body)", "message": e.message}]
        ) from None
