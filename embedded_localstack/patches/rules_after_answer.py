"""EventBridge starts a PutEvents' rules once the PutEvents answer is written, not before.

LocalStack 4.14.0's PutEvents (``EventsProvider._process_entry``) starts a thread per event that has
rules to match (``start_worker_thread(self._process_rules_async, ...)``) and then serialises its
answer. On LocalStack's one core the two take turns: the rules thread matches the event and hands it
to each target (an SQS send, an asynchronous Lambda invocation through LocalStack's whole handler
chain) while the caller still waits for its answer. The shop's checkout publishes to a rule with three
targets from inside the basket function, so every checkout waited for part of its own fan-out.

Here the thread is started through ``later`` (``serving/after_answer.later``, which plugins.py passes
in): right after the gateway has written the answer of the request whose thread put the event (SSM's
parameter-change events, put inside a PutParameter, after that answer), at once on LocalStack's own
threads. The rules, their order and their targets are LocalStack's; an event whose answer could not be
written (the caller hung up) is still delivered, and if no thread can be started the rules run on the
answering thread, after the answer, rather than not at all. On AWS, too, PutEvents answers
before the rules' targets are invoked. Interleaved in one instance (100 checkouts a batch, four
pairs): checkout -> 202 p50 50.4/49.0/47.5/42.5 -> 43.2/44.9/39.7/38.1 ms.

Applied when LocalStack imports its events provider; pinned to LocalStack's version like
events_to_sqs.py (tests/unit/test_performance_parts.py fails on another, so that it is read again).
"""

import functools
import importlib
import inspect
import logging
from collections.abc import Callable

from embedded_localstack.patches.after_import import patch_after_import
from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK, is_pinned

LOG = logging.getLogger(__name__)

MODULE = "localstack.services.events.provider"
# The provider's one use of start_worker_thread, 4.14.0's lines verbatim: the rules of one event.
ORIGINAL_CALL = "start_worker_thread(\n                self._process_rules_async,"


def on_import(later: Callable[[Callable[[], object]], None]) -> None:
    """Patches once LocalStack imports its events provider (at once if it has)."""
    patch_after_import(
        MODULE,
        functools.partial(start_after_answer, later),
        "EventBridge starts rules before answering: patches/rules_after_answer.py did not apply",
    )


def start_after_answer(later: Callable[[Callable[[], object]], None]) -> bool:
    """Makes the events provider start each event's rules through ``later``. True if it patched."""
    if not is_pinned("embedded_localstack/patches/rules_after_answer.py", "EventBridge starts rules before answering"):
        return False
    provider = importlib.import_module(MODULE)
    start = provider.start_worker_thread
    if getattr(start, "_after_answer", False):
        return True
    source = inspect.getsource(provider)
    if source.count("start_worker_thread(") != 1 or ORIGINAL_CALL not in source:
        raise RuntimeError(f"LocalStack {PINNED_LOCALSTACK}'s events provider no longer calls {ORIGINAL_CALL!r} once")

    def start_worker_thread_after_answer(method, params=None, name=None):
        def begin():
            try:
                start(method, params=params, name=name)
            except RuntimeError:  # "can't start new thread": the rules run here, late rather than never
                LOG.warning("no thread for an event's rules (%s): running them on the answering thread", name)
                method(params)

        later(begin)

    start_worker_thread_after_answer._after_answer = True
    provider.start_worker_thread = start_worker_thread_after_answer
    return True
