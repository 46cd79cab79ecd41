"""Statuses of the invoice's non-proxy integration follow error classes (shared.errors.STATUSES), not
wording: the function tags an error with its class, and the selection patterns are generated from
the same table. API Gateway matches a pattern against the whole errorMessage (Java's matches())."""

import re

import pytest

from infra.openapi import UNCLASSIFIED_STATUS, error_responses
from shared.errors import STATUSES, InvalidInput, NotFound, ServiceUnavailable, tagged_with_class


def status_for(error_message: str) -> str:
    """The status API Gateway picks for a Lambda error with this errorMessage; exactly one pattern may match."""
    matching = [
        response["statusCode"]
        for pattern, response in error_responses().items()
        if re.fullmatch(pattern, error_message)
    ]
    assert len(matching) == 1, (error_message, matching)
    return matching[0]


def error_message_of(error: Exception) -> str:
    """What the Lambda runtime reports as errorMessage when the function raises error."""
    with pytest.raises(type(error)) as raised, tagged_with_class():
        raise error
    return str(raised.value)


WORDINGS = [
    "no order of user ann at 2024-01-01",
    "request body: orderDate is not a string",
    "Something else entirely",
    "",
    "line one\nline two",
]


@pytest.mark.parametrize("error_class", list(STATUSES), ids=lambda c: c.__name__)
@pytest.mark.parametrize("message", WORDINGS)
def test_every_error_class_gets_its_status_whatever_its_message_says(error_class, message):
    assert status_for(error_message_of(error_class(message))) == str(int(STATUSES[error_class]))


def test_rewording_a_message_keeps_its_status():
    # The old patterns chose by wording: a 404's message starting "request body" became 400, and any other wording 502.
    before, after = (
        NotFound("no order of user ann at 2024-01-01"),
        NotFound("request body names an order that does not exist"),
    )
    assert status_for(error_message_of(before)) == status_for(error_message_of(after)) == "404"
    assert status_for(error_message_of(InvalidInput("no order date given"))) == "400"


@pytest.mark.parametrize("message", [*WORDINGS, "[NotFound]without the space", "x [NotFound] later"])
def test_any_other_error_is_502_even_if_worded_like_a_known_one(message):
    assert status_for(error_message_of(RuntimeError(message))) == UNCLASSIFIED_STATUS


def test_the_client_sees_the_message_without_the_tag():
    template = error_responses()[next(p for p in error_responses() if "NotFound" in p)]["responseTemplates"][
        "application/json"
    ]
    assert ".replace('[NotFound] ', '')" in template


@pytest.mark.parametrize(
    "error, status",
    [
        (ServiceUnavailable("could not read: Could not connect to the endpoint URL: http://127.0.0.1:4566/"), "503"),
        (RuntimeError('Could not connect to the endpoint URL: http://localhost:4566/ (File "/x/handler.py")'), "502"),
    ],
    ids=["dependency", "unforeseen"],
)
def test_a_failed_dependency_or_unforeseen_error_keeps_its_status_and_names_no_internals(error, status):
    message = error_message_of(error)

    assert status_for(message) == status
    assert not [word for word in ("127.0.0.1", "localhost", "4566", "http://", "File ") if word in message], message
