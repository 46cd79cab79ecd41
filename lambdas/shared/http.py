"""A Powertools REST resolver with the shop's error mapping: one place decides every status code,
and no error leaves with a stack trace."""

import json
from decimal import Decimal
from http import HTTPStatus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from shared.contract import allowed_methods
from shared.errors import InvalidInput, NotFound, ServiceUnavailable


def _json_default(value):
    if isinstance(value, Decimal):  # DynamoDB numbers; int or float keeps them JSON numbers
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(value) -> str:
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def error(status: HTTPStatus, message: str, errors: list | None = None, headers: dict | None = None) -> Response:
    body = {"message": message} | ({"errors": errors} if errors is not None else {})
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=to_json(body), headers=headers)


def no_content() -> Response:
    return Response(status_code=HTTPStatus.NO_CONTENT, body="")


def request_body(app: APIGatewayRestResolver) -> str | None:
    """The body as text. API Gateway hands over bytes it cannot pass as text in base64."""
    try:
        return app.current_event.decoded_body
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("request body is not UTF-8 text", [{"message": "send JSON encoded as UTF-8"}]) from None


def create_app(logger: Logger) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(serializer=to_json)

    @app.exception_handler(InvalidInput)
    def invalid_input(e: InvalidInput):
        logger.info("invalid input", reason=str(e), errors=e.errors)
        return error(HTTPStatus.BAD_REQUEST, str(e), e.errors)

    @app.exception_handler(NotFound)
    def not_found(e: NotFound):
        return error(HTTPStatus.NOT_FOUND, str(e))

    @app.exception_handler(ServiceUnavailable)
    def unavailable(e: ServiceUnavailable):
        logger.warning("dependency unavailable", reason=str(e))
        return error(HTTPStatus.SERVICE_UNAVAILABLE, str(e))

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
        return error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")

    return app
