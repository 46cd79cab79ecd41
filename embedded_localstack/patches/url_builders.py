"""werkzeug compiles a rule's URL builders when a request first needs one, not when the rule is bound.

Binding a werkzeug routing rule compiles its matcher and, beside it, two functions that build URLs
from the rule (``Rule._compile_builder``: Python source made through ``ast`` and ``compile``), about
0.2 ms per rule. LocalStack binds many rules and never builds a URL from one: each REST service's
operations (API Gateway, Lambda, S3, ...) are rules, and rolo's router binds every rule it holds again
each time a route is added (Lambda's execution environments, API Gateway's APIs). A `make up` that
deploys the shop bound about 850.

Here ``_compile_builder`` hands back a function that compiles the real builder on its first call and
then calls it: what a builder answers is unchanged, werkzeug's own code makes it, and a rule that is
never built from costs nothing. werkzeug's ``Rule.compile`` takes the function as it took the real one
(``__get__`` binds it to the rule).
"""

from werkzeug.routing.rules import Rule

_ORIGINAL = Rule._compile_builder


def compile_on_first_use() -> None:
    """Installs the deferral (idempotent)."""
    Rule._compile_builder = _deferred_builder


def _deferred_builder(self: Rule, append_unknown: bool = True):
    compiled = []

    def build(rule: Rule, *args, **kwargs):
        if not compiled:  # two threads may both compile: the same function, one of them kept
            compiled.append(_ORIGINAL(rule, append_unknown))
        return compiled[0](rule, *args, **kwargs)

    return build
