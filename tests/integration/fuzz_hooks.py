"""Schemathesis hooks for test_api_fuzzing.py (loaded through SCHEMATHESIS_HOOKS).

Requests lose `faultInjection` before they are sent, in every phase (the coverage phase builds its
bodies without the data-generation hooks): a fuzzed checkout would otherwise make the ordering function
sleep past its timeout or fail up to 100 times, leaving slow poison in OrderQueue-dlq for the tests after
it, or ask for its own publish to fail (failPublish), a 503 by design. Failure injection has tests of
its own."""

import schemathesis


@schemathesis.hook
def before_call(context, case, **kwargs):
    if isinstance(case.body, dict):
        case.body.pop("faultInjection", None)
