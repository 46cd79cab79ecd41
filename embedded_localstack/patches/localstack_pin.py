"""The LocalStack release that the platform's changes inside LocalStack (executor plugin, patches, the
moto DynamoDB provider) were read against, and that requirements/localstack.txt installs. Each patch
checks it before it changes anything, and its unit test fails on another release, so that whoever
upgrades LocalStack reads each patch again."""

import inspect
import logging
from importlib.metadata import version

LOG = logging.getLogger(__name__)


PINNED_LOCALSTACK = "4.14.0"


def is_pinned(patch: str, left_as_is: str) -> bool:
    """Whether the installed LocalStack is the release the patch (its module path) was read against;
    if not, says what stays as LocalStack does it, and the patch changes nothing."""
    installed = version("localstack-core")
    if installed == PINNED_LOCALSTACK:
        return True
    LOG.warning("%s: %s patches LocalStack %s, not %s", left_as_is, patch, PINNED_LOCALSTACK, installed)
    return False


def still_does(function, steps: tuple[str, ...], what: str) -> None:
    """Raises unless the function's source still has each line the patch replacing it was read against
    (verbatim, from the pinned release): on another, the patch would not do what LocalStack does."""
    if not all(step in inspect.getsource(function) for step in steps):
        raise RuntimeError(f"LocalStack {PINNED_LOCALSTACK}'s {what} no longer does {steps}")
