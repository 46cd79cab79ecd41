"""The shop's errors. Each maps to one HTTP status in shared/http.py."""


class NotFound(Exception):
    pass


class InvalidInput(Exception):
    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or []


class ServiceUnavailable(Exception):
    """A dependency failed; the client may retry. Nothing was changed."""
