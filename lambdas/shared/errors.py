"""The shop's errors, and the one table of the HTTP status each maps to (STATUSES)."""

import contextlib
import logging
from http import HTTPStatus


class NotFound(Exception):
    pass


class InvalidInput(Exception):
    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or []


class ServiceUnavailable(Exception):
    """A dependency failed; the client may retry. Its message is for the log: it may name the
    dependency's endpoint, so clients get UNAVAILABLE_MESSAGE instead."""


class Conflict(Exception):
    """The request contradicts the resource's current state (a basket already being checked out)."""


class Claimed(Exception):
    """An item is claimed by another request (not an HTTP error by itself: the rules decide)."""

    def __init__(self, claim: dict):
        super().__init__(f"claimed: {claim}")
        self.claim = claim


class KeyReused(Exception):
    """An Idempotency-Key sent again with a different request (422, as in the IETF Idempotency-Key draft)."""


# What a client is told when a dependency failed, or on an error of no class in STATUSES: nothing
# about the machine (hosts, ports, stack traces), and what to do.
UNAVAILABLE_MESSAGE = (
    "a service the shop depends on is unavailable; retry the request (with the same Idempotency-Key, if it had one)"
)
INTERNAL_MESSAGE = "internal error"

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


class Disclosed(Exception):
    """An error whose message names nothing internal, so the client sees it as it is (an injected failure
    says which attempt failed; a retry or a failure destination shows it)."""


def client_message(error: Exception) -> str:
    """The message a client may see for this error: its own for the shop's rules, a fixed one for a
    failed dependency or anything unforeseen (whose message may name a host, a port or a file)."""
    if isinstance(error, ServiceUnavailable):
        return UNAVAILABLE_MESSAGE
    if isinstance(error, (Disclosed, *STATUSES)):
        return str(error)
    return INTERNAL_MESSAGE


@contextlib.contextmanager
def tagged_with_class():
    """For non-proxy functions, whose errorMessage API Gateway shows the client: an error from
    STATUSES leaves with its class's tag before its client message, any other with the internal
    message (never empty: an empty errorMessage is what a success reads as, so API Gateway would
    answer it 200). What it said goes to the log first."""
    try:
        yield
    except Exception as error:
        message = client_message(error)
        if message != str(error):
            logging.getLogger(__name__).error("error hidden from the client: %s", error, exc_info=error)
        classes = [c for c in STATUSES if isinstance(error, c)]
        error.args = ((class_tag(classes[0]) if classes else "") + message,)
        raise
