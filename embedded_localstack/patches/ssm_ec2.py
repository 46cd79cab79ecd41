"""moto's SSM imports moto's EC2 when it first uses it, not as moto's SSM is imported.

``moto.ssm.models`` imports ``ec2_backends`` at its top for one use: SendCommand's targets (instances
found by their tags). Importing moto's EC2 takes about 0.4 s (its instance types, AMIs, regions and
zones are module data), and LocalStack imports moto's SSM on the first SSM request. The shop's deploy
makes one for its secrets, on the one core the rest of the deploy needs.

Here ``moto.ssm.models`` is compiled from its own source with that import replaced by an object that
imports ``moto.ec2`` when SSM first looks up an account in it, and answers as ``ec2_backends`` does.
The rest of the module is moto's, line for line (same file name, so tracebacks and ``inspect`` read
the real file); compiling it without its cached bytecode costs about 30 ms. A moto whose module does
not import and use ``ec2_backends`` exactly so is imported as it is.
"""

import importlib.abc
import importlib.machinery
import sys

MODULE = "moto.ssm.models"
IMPORT = "from moto.ec2 import ec2_backends\n"
REPLACEMENT = f"from {__name__} import EC2_ON_FIRST_USE as ec2_backends\n"
# The one use the replacement answers for (moto's _get_instance_ids_from_targets).
USE = "ec2_backends[self.account_id]"


class _EC2OnFirstUse:
    """moto's ``ec2_backends``, imported on the first lookup of an account."""

    def __getitem__(self, account_id: str):
        from moto.ec2 import ec2_backends

        return ec2_backends[account_id]


EC2_ON_FIRST_USE = _EC2OnFirstUse()


def import_on_first_use() -> None:
    """Installs the finder (idempotent); nothing to do once moto's SSM is imported."""
    if MODULE not in sys.modules and not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def replaceable(source: str) -> bool:
    """Whether the module imports ec2_backends once and uses it only as the replacement answers."""
    return source.count(IMPORT) == 1 and source.count("ec2_backends") == 2 and source.count(USE) == 1


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = _Loader(spec.loader)
        return spec


class _Loader(importlib.abc.Loader):
    def __init__(self, loader: importlib.machinery.SourceFileLoader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        source = self.loader.get_source(MODULE)
        if source is None or not replaceable(source):
            self.loader.exec_module(module)
            return
        code = compile(source.replace(IMPORT, REPLACEMENT), self.loader.get_filename(MODULE), "exec")
        exec(code, module.__dict__)

    def __getattr__(self, name: str):  # get_source, get_filename, ... as the real loader answers
        if name == "loader" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.loader, name)
