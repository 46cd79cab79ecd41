"""DynamoDB and DynamoDB Streams in a process of their own (embedded mode): moto's, one operation at
a time, on 127.0.0.1.

LocalStack runs on one core (the GIL), and most of a checkout's requests are DynamoDB's: served
inside LocalStack, they took the core the gateway, Lambda and SQS need. Here they cost LocalStack a
forward (``forward.py``), and the functions call the process directly: the executor gives each
function ``AWS_ENDPOINT_URL_DYNAMODB`` and ``AWS_ENDPOINT_URL_DYNAMODB_STREAMS``
(``function_environment``), unless its own configuration says where those go.

- ``server.py``: the process (moto's handlers behind one lock; the account from LocalStack's header
  or the caller's access key).
- ``process.py``: LocalStack's side: started on first need as LocalStack's child, ends with it,
  watched; ``problem`` for `make status`.
- ``forward.py``: the dispatch table of LocalStack's two providers (plugins.py).
"""

from embedded_localstack.dynamodb_process.process import THE_PROCESS, Ended, problem

ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
# The account of a request LocalStack passes on (forward.py sets it, server.py reads it): moto's header.
ACCOUNT_HEADER = "x-moto-account-id"


def function_environment(own: dict[str, str]) -> dict[str, str]:
    """What a function's environment gets, given the variables its configuration sets: the process's
    endpoint for both APIs, unless the function names an endpoint of its own (for all services, or
    for either of these)."""
    if any(name in own for name in ("AWS_ENDPOINT_URL", *ENDPOINT_VARIABLES)):
        return {}
    try:
        endpoint = THE_PROCESS.endpoint()
    except Ended:
        return {}  # through LocalStack, which answers each call with why (forward.py)
    return dict.fromkeys(ENDPOINT_VARIABLES, endpoint)


__all__ = ["ACCOUNT_HEADER", "ENDPOINT_VARIABLES", "THE_PROCESS", "function_environment", "problem"]
