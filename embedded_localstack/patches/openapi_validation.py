"""LocalStack's OpenAPI validation of its own endpoints, loaded when it is switched on instead of at start.

LocalStack 4.14.0's handler chain imports localstack/aws/handlers/validation.py at start, and with it
openapi_core, jsonschema and their dependencies: about 100 ms of the 1 s of CPU before
/_localstack/health answers. Its two handlers do nothing unless OPENAPI_VALIDATE_REQUEST or
OPENAPI_VALIDATE_RESPONSE is set (their first lines return), which LocalStack's own tests set and
the embedded mode does not. So, before the handler chain is built, ``validate_on_use`` puts stand-ins
for the two handler classes in the module's place: each returns when its setting is off, as
LocalStack's does, and otherwise loads LocalStack's module, builds LocalStack's handler and hands the
request to it. A setting switched on at run time (LocalStack's config endpoint) is honoured the same way.

Pinned to LocalStack's version: on another one ``validate_on_use`` changes nothing and says so, and
tests/unit/test_performance_parts.py fails, so that whoever upgrades LocalStack reads this again.
"""

import importlib.machinery
import importlib.util
import logging
import os
import sys
import threading
import types

from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK, is_pinned

LOG = logging.getLogger(__name__)

MODULE = "localstack.aws.handlers.validation"
# What each handler of 4.14.0 must still begin with for a stand-in that returns to mean the same.
FIRST_LINES = {
    "OpenAPIRequestValidator": "if not config.OPENAPI_VALIDATE_REQUEST:\n            return",
    "OpenAPIResponseValidator": "if not config.OPENAPI_VALIDATE_RESPONSE:\n            return",
}

_loading = threading.Lock()


def validate_on_use() -> bool:
    """Before LocalStack's handler chain is imported: the stand-ins. True if it put them in place."""
    if not is_pinned("embedded_localstack/patches/openapi_validation.py", "OpenAPI validation is imported at start"):
        return False
    if MODULE in sys.modules:
        return isinstance(sys.modules[MODULE], _StandIns)
    # Found without importing its package: that would import the handler chain, and this module with it.
    package, _, _ = MODULE.rpartition(".")
    parent, _, folder = package.rpartition(".")
    locations = [
        os.path.join(location, folder) for location in importlib.util.find_spec(parent).submodule_search_locations
    ]
    spec = importlib.machinery.PathFinder.find_spec(MODULE, locations)
    source = spec.loader.get_source(MODULE)
    for name, first_lines in FIRST_LINES.items():
        if f"class {name}(" not in source or first_lines not in source:
            raise RuntimeError(
                f"LocalStack {PINNED_LOCALSTACK}'s {MODULE}.{name} no longer begins with {first_lines!r}"
            )
    sys.modules[MODULE] = _StandIns(spec)
    return True


class _StandIns(types.ModuleType):
    """The module as the handler chain sees it: the two handler classes, and LocalStack's module on use."""

    def __init__(self, spec):
        super().__init__(spec.name)
        self.__spec__, self.__file__ = spec, spec.origin
        self._localstack = None
        self.OpenAPIRequestValidator = _stand_in(self, "OpenAPIRequestValidator", "OPENAPI_VALIDATE_REQUEST")
        self.OpenAPIResponseValidator = _stand_in(self, "OpenAPIResponseValidator", "OPENAPI_VALIDATE_RESPONSE")

    def localstacks(self) -> types.ModuleType:
        with _loading:
            if self._localstack is None:
                module = importlib.util.module_from_spec(self.__spec__)
                self.__spec__.loader.exec_module(module)
                self._localstack = module
            return self._localstack

    def __getattr__(self, name: str):
        # Anything else of LocalStack's module (OpenAPIValidator, LOG, ...) from LocalStack's module.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.localstacks(), name)


def _stand_in(module: _StandIns, name: str, setting: str) -> type:
    from localstack import config

    def __init__(self) -> None:
        self._handler = None

    def __call__(self, chain, context, response) -> None:
        if not getattr(config, setting):
            return
        if self._handler is None:
            self._handler = getattr(module.localstacks(), name)()
        self._handler(chain, context, response)

    return type(name, (), {"__init__": __init__, "__call__": __call__, "__module__": MODULE})
