"""Work that a request starts and its client does not wait for, started once the request's answer is out.

LocalStack starts such work on a thread while the request is still being answered: EventBridge's
PutEvents, for one, starts its rules (matching, then each target: an SQS send, a Lambda invocation)
before its answer is serialised and written. On LocalStack's one core that thread and the answer take
turns, so the caller waited for part of the fan-out it never asked to wait for.

``later(start)`` runs ``start`` (which should start a thread, not do the work) after server.py has
written the answer of the request the calling thread serves, or at once on a thread that serves none
(LocalStack's own threads: a rule's targets, a poller). LocalStack's internal requests run in the thread
that makes them (IN_MEMORY_CLIENT), so one made while a request is served (SSM's parameter-change
PutEvents inside a PutParameter) starts its work after that request's answer. Nothing of LocalStack's
waits, before answering, for what such work does. A request whose answer could not be written (the
client hung up, a 500) still starts its work: what was accepted is not dropped.
"""

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

LOG = logging.getLogger(__name__)
_serving = threading.local()


def later(start: Callable[[], object]) -> None:
    """``start`` once the answer of the request this thread serves is written; at once if none."""
    pending = getattr(_serving, "pending", None)
    if pending is None:
        start()
    else:
        pending.append(start)


@contextmanager
def answering() -> Iterator[None]:
    """Around one request's application and the writing of its answer (server.py)."""
    pending: list[Callable[[], object]] = []
    _serving.pending = pending
    try:
        yield
    finally:
        _serving.pending = None
        for start in pending:
            try:
                start()
            except Exception:  # one that cannot start must not keep the others from it
                LOG.exception("work started by a request could not start after its answer")
