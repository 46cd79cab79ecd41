"""Schemathesis hooks for test_api_fuzzing.py (loaded through SCHEMATHESIS_HOOKS).

Generated bodies lose `faultInjection`: a fuzzed checkout would otherwise make the ordering
function sleep past its timeout or fail up to 100 times, leaving slow poison in OrderQueue-dlq for
the tests after it. Failure injection has tests of its own."""

import schemathesis


@schemathesis.hook
def map_body(context, body):
    if isinstance(body, dict):
        body.pop("faultInjection", None)
    return body
