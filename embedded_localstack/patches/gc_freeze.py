"""What LocalStack loads once (its modules at start, each service's specs and provider on first use) is
taken out of the cyclic garbage collector's reach, so that a request never waits for it to be walked.

CPython's collector walks every tracked object of a generation it collects. LocalStack 4.14.0 starts
with about 150,000 of them and its first AWS request adds some 700,000 (the service catalog and the
service's specs: localstack/services/plugins.py, ``ServiceContainer.start`` and what the request parsed
before it); each full collection then walks all of them, again and again as services load: requests
measured while services loaded waited up to a second (three full collections of 1.0 to 1.2 s in the
first thousand requests of a fresh instance), and a full collection comes whenever a quarter as many
objects again have outlived the young generations. ``gc.freeze()`` moves every tracked object into the
permanent generation, which no collection walks; objects that become garbage later are still freed by
reference counting, and cycles among them only once the process ends: a bounded amount, since it
happens once at start and once per service loaded. No full collection comes first: it would walk
what the freeze saves walking, on the time of the request that waits (at start: about 100 ms, while
the first requests arrive), to find little (seen: 457 unreachable objects of 152,000 at start).

Pinned to LocalStack's version: on another one ``freeze_loaded_services`` patches nothing and says so,
and tests/unit/test_performance_parts.py fails, so that whoever upgrades LocalStack reads this again.
"""

import gc
import inspect
import logging

from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK, is_pinned

LOG = logging.getLogger(__name__)

# What ServiceContainer.start must still do for a freeze after it to follow a service's load (4.14.0's line).
SERVICE_STARTS = "self.service.start(asynchronous=True)"


def freeze_at_start() -> None:
    """Once LocalStack serves: what start-up left out of every collection's walk."""
    gc.freeze()


def freeze_loaded_services() -> bool:
    """After each service starts, what it loaded out of every collection's walk. True if it patched."""
    if not is_pinned(
        "embedded_localstack/patches/gc_freeze.py", "loaded services stay in the garbage collector's walk"
    ):
        return False
    from localstack.services.plugins import ServiceContainer

    if getattr(ServiceContainer, "_freezes_on_start", False):
        return True
    if SERVICE_STARTS not in inspect.getsource(ServiceContainer.start):
        raise RuntimeError(f"LocalStack {PINNED_LOCALSTACK}'s ServiceContainer.start no longer calls {SERVICE_STARTS}")
    start = ServiceContainer.start

    def start_and_freeze(self) -> bool:
        started = start(self)
        gc.freeze()
        return started

    ServiceContainer.start = start_and_freeze
    ServiceContainer._freezes_on_start = True
    return True
