"""The shop's errors, and the one table of the HTTP status each maps to (STATUSES)."""

import contextlib
from http import HTTPStatus


class NotFound(Exception):
    pass


class InvalidInput(Exception):
    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or []


class ServiceUnavailable(Exception):
    """A dependency failed; the client may retry. Nothing was changed."""


class Conflict(Exception):
    """The request contradicts the resource's current state (a basket already being checked out)."""


class Claimed(Exception):
    """An item is claimed by another request (not an HTTP error by itself: the rules decide)."""

    def __init__(self, claim: dict):
        super().__init__(f"claimed: {claim}")
        self.claim = claim


class KeyReused(Exception):
    """An Idempotency-Key sent again with a different request (422, as in the IETF Idempotency-Key draft)."""


# The one error-to-status table: the REST resolvers (shared/http.py) answer with it, and the
# non-proxy integration's selection patterns (infra/openapi.py) are generated from it. Any other
# error of a non-proxy function is 502.
STATUSES = {
    InvalidInput: HTTPStatus.BAD_REQUEST,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    KeyReused: HTTPStatus.UNPROCESSABLE_ENTITY,
    ServiceUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}


def class_tag(error_class: type) -> str:
    """What starts the errorMessage of an error of this class in a non-proxy integration. API Gateway
    selects a response by errorMessage alone, so the class travels in it, not in the wording."""
    return f"[{error_class.__name__}] "


@contextlib.contextmanager
def tagged_with_class():
    """For non-proxy functions: an error from STATUSES leaves with its class's tag before its message.
    Any other error leaves with a message at least (its class's name): an empty errorMessage is what a
    success reads as, so API Gateway would answer it 200."""
    try:
        yield
    except tuple(STATUSES) as error:
        tag = class_tag(next(c for c in STATUSES if isinstance(error, c)))
        error.args = (tag + str(error), *error.args[1:])
        raise
    except Exception as error:
        if not str(error):
            error.args = (type(error).__name__,)
        raise
