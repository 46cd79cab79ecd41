"""The shop's errors. Each maps to one HTTP status in shared/http.py."""


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
