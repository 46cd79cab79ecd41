"""A Powertools REST resolver with the shop's error mapping: one place decides every status code,
and no error leaves with a stack trace."""

import json
import re
import uuid
from decimal import Decimal
from http import HTTPStatus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from shared.api_contract import allowed_methods, refuse_unstorable_parameters
from shared.errors import STATUSES, Conflict, InvalidInput, KeyReused, NotFound, ServiceUnavailable, client_message

# json.dumps can write a Decimal only through float, which rounds to 17 significant digits. So each
# Decimal is written as a string carrying this marker, and the marked strings become bare numbers
# afterwards. The marker holds a random part no client can guess, so no stored string is mistaken for one.
_EXACT_MARK = f"\ue000{uuid.uuid4().hex}:"
_MARKED_NUMBER = re.compile(r'"\\ue000' + _EXACT_MARK[1:] + r'([-+0-9.Ee]+)"')


def _json_default(value):
    if isinstance(value, Decimal):  # DynamoDB numbers, written exactly (finite only: parse_body refuses others)
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return _EXACT_MARK + str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(value, sort_keys: bool = False) -> str:
    return _MARKED_NUMBER.sub(
        r"\1", json.dumps(value, default=_json_default, separators=(",", ":"), sort_keys=sort_keys)
    )


def error(status: HTTPStatus, message: str, errors: list | None = None, headers: dict | None = None) -> Response:
    body = {"message": message} | ({"errors": errors} if errors is not None else {})
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=to_json(body), headers=headers
    )


def no_content() -> Response:
    return Response(status_code=HTTPStatus.NO_CONTENT, body="")


def request_body(app: APIGatewayRestResolver) -> str | None:
    """The body as text. API Gateway hands over bytes it cannot pass as text in base64."""
    try:
        return app.current_event.decoded_body
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("request body is not UTF-8 text", [{"message": "send JSON encoded as UTF-8"}]) from None


def _storable_parameters(app: APIGatewayRestResolver, next_middleware):
    """Path and query parameters that DynamoDB could not store or look up are 400, naming the
    parameter, rather than a DynamoDB error (500) or retries until the function times out."""
    event = app.current_event
    refuse_unstorable_parameters(event.path_parameters or {}, event.query_string_parameters or {})
    return next_middleware(app)


def create_app(logger: Logger) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(serializer=to_json)
    app.use(middlewares=[_storable_parameters])

    @app.exception_handler(InvalidInput)
    def invalid_input(e: InvalidInput):
        logger.info("invalid input", reason=str(e), errors=e.errors)
        return error(STATUSES[InvalidInput], str(e), e.errors)

    @app.exception_handler(NotFound)
    def not_found(e: NotFound):
        return error(STATUSES[NotFound], str(e))

    @app.exception_handler(Conflict)
    def conflict(e: Conflict):
        return error(STATUSES[Conflict], str(e))

    @app.exception_handler(KeyReused)
    def key_reused(e: KeyReused):
        return error(STATUSES[KeyReused], str(e))

    @app.exception_handler(ServiceUnavailable)
    def unavailable(e: ServiceUnavailable):
        logger.warning("dependency unavailable", reason=str(e))
        return error(STATUSES[ServiceUnavailable], client_message(e))

    @app.not_found
    def no_route(_):
        event = app.current_event
        allowed = allowed_methods(event.resource)
        if allowed:
            message = f"{event.http_method} is not allowed on {event.resource}"
            return error(HTTPStatus.METHOD_NOT_ALLOWED, message, headers={"Allow": ", ".join(allowed)})
        return error(HTTPStatus.NOT_FOUND, f"no route for {event.http_method} {event.path}")

    @app.exception_handler(Exception)
    def unexpected(e: Exception):
        logger.exception("unhandled error")
        return error(HTTPStatus.INTERNAL_SERVER_ERROR, client_message(e))

    return app
