"""A patch applied right after LocalStack imports the module it patches, so that installing it imports
nothing: an instance that never uses the service does not load it at start. A patch that fails leaves
LocalStack's code as it is and says so in the log."""

import importlib.abc
import importlib.machinery
import logging
import sys
from collections.abc import Callable

LOG = logging.getLogger(__name__)


def patch_after_import(module: str, patch: Callable[[], object], if_it_fails: str) -> None:
    """``patch()`` once ``module`` has been imported: at once if it is, else right after its import.
    One finder per module, carrying each patch once by name, however often this is called (also from a
    reloaded copy of a patch). A patch that raises is logged with ``if_it_fails`` (what stays as
    LocalStack does it, and which patch did not apply)."""
    finder = next((f for f in sys.meta_path if getattr(f, "patched_module", None) == module), None)
    if finder is None:
        finder = _PatchAfterImport(module)
        sys.meta_path.insert(0, finder)
    finder.patches.setdefault(_name(patch), (patch, if_it_fails))
    if module in sys.modules:
        _apply(patch, if_it_fails)


def _apply(patch: Callable[[], object], if_it_fails: str) -> None:
    try:
        patch()
    except Exception:  # LocalStack as it ships rather than none at all
        LOG.exception(if_it_fails)


def _name(patch: Callable[[], object]) -> str:
    function = getattr(patch, "func", patch)  # a functools.partial names its function
    return f"{function.__module__}.{function.__qualname__}"


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Finds the module as the path finder does, and has its loader patch right after it ran the module."""

    def __init__(self, module: str) -> None:
        self.patched_module = module
        self.patches: dict[str, tuple[Callable[[], object], str]] = {}

    def find_spec(self, fullname, path, target=None):
        if fullname != self.patched_module:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenPatch(spec.loader, list(self.patches.values()))
        return spec


class _ThenPatch(importlib.abc.Loader):
    def __init__(self, loader, patches: list[tuple[Callable[[], object], str]]) -> None:
        self.loader, self.patches = loader, patches

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        for patch, if_it_fails in self.patches:
            _apply(patch, if_it_fails)

    def __getattr__(self, name: str):  # get_source, get_filename, ... as the real loader answers
        if name in ("loader", "patches") or name.startswith("__"):  # (copy and pickle build one without __init__)
            raise AttributeError(name)
        return getattr(self.loader, name)
