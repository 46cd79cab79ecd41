"""moto lists a handler class's methods once per class, not once per request.

moto answers a request by looking its action up among the names of its handler class's functions,
which it lists anew for every request (moto/core/responses.py: ``BaseResponse.call_action`` calls
``method_names_from_class(self.__class__)``, an ``inspect.getmembers`` over the whole class). For a
GetItem that listing was about half of the 0.3 ms of CPU that moto's dispatch took in the DynamoDB
process, whose every request goes through it, as do those of LocalStack's moto-backed services (SES,
SSM, IAM and others) in LocalStack's own process.

Here the listing is made once per class. A name that is not in it is looked for again before it
counts as missing, so a method added to a class after its first request (as a patch might) is still
found; methods are never taken away. Answers are the same: the listing only decides whether the action
is one of the class's functions, which it then calls.

Checked against moto's source before it changes anything: on a moto whose ``call_action`` no longer
makes that call, ``list_each_class_once`` leaves moto as it is and says so, and its unit test
(tests/unit/test_performance_parts.py) fails, so that whoever upgrades moto looks at this again.
"""

import inspect
import logging
import threading

LOG = logging.getLogger(__name__)

# The line of moto's BaseResponse.call_action that this replaces the function of.
THE_CALL = "method_names = method_names_from_class(self.__class__)"


class MethodNames:
    """The names of ``clazz``'s functions, as moto lists them, listed once."""

    def __init__(self, clazz: type, listing) -> None:
        self.clazz = clazz
        self.listing = listing
        self.names = frozenset(listing(clazz))

    def __contains__(self, name: object) -> bool:
        if name in self.names:
            return True
        self.names = frozenset(self.listing(self.clazz))  # a method added since the first listing
        return name in self.names


def list_each_class_once() -> bool:
    """Makes moto list each handler class's methods once. True if moto is (now) patched."""
    from moto.core import responses

    if isinstance(getattr(responses.method_names_from_class, "listed", None), dict):
        return True
    try:
        source = inspect.getsource(responses.BaseResponse.call_action)
    except (OSError, TypeError):  # moto installed without its sources: nothing to check against
        source = ""
    if THE_CALL not in source:
        LOG.warning(
            "moto lists handler methods per request: moto's call_action is not the one %s was read against", __name__
        )
        return False
    listing = responses.method_names_from_class
    listed: dict[type, MethodNames] = {}
    lock = threading.Lock()

    def method_names_from_class(clazz: type) -> MethodNames:
        names = listed.get(clazz)
        if names is None:
            with lock:
                names = listed.setdefault(clazz, MethodNames(clazz, listing))
        return names

    method_names_from_class.listed = listed  # type: ignore[attr-defined]
    responses.method_names_from_class = method_names_from_class
    return True
