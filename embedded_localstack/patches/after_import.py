"""A patch applied right after LocalStack imports the module it patches, so that installing it imports
nothing: an instance that never uses the service does not load it at start."""

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable


def patch_after_import(module: str, patch: Callable[[], None]) -> None:
    """``patch()`` once ``module`` has been imported: at once if it is, else right after its import
    (one finder per module, however often this is called, also from a reloaded copy of a patch)."""
    if not any(getattr(finder, "patched_module", None) == module for finder in sys.meta_path):
        sys.meta_path.insert(0, _PatchAfterImport(module, patch))
    if module in sys.modules:
        patch()


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Finds the module as the path finder does, and has its loader patch right after it ran the module."""

    def __init__(self, module: str, patch: Callable[[], None]) -> None:
        self.patched_module, self.patch = module, patch

    def find_spec(self, fullname, path, target=None):
        if fullname != self.patched_module:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenPatch(spec.loader, self.patch)
        return spec


class _ThenPatch(importlib.abc.Loader):
    def __init__(self, loader, patch: Callable[[], None]) -> None:
        self.loader, self.patch = loader, patch

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        self.patch()

    def __getattr__(self, name: str):  # get_source, get_filename, ... as the real loader answers
        if name in ("loader", "patch") or name.startswith("__"):  # (copy and pickle build one without __init__)
            raise AttributeError(name)
        return getattr(self.loader, name)
