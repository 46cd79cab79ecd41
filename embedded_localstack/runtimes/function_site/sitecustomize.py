"""Python processes that a function starts get the function's network guard (aws_guard.py): this
folder is first on their PYTHONPATH (aws_guard.environment), and Python imports sitecustomize at
start. The function's runtime itself runs isolated (-I) and installs the guard in python/runtime.py.
Standard library only; the interpreter may be any Python 3."""

import importlib.machinery
import importlib.util
import os
import sys


def _load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_here = os.path.dirname(os.path.abspath(__file__))
_load("_embedded_aws_guard", os.path.join(os.path.dirname(_here), "aws_guard.py")).install()

# The sitecustomize this one shadows (a distribution's, a virtual environment's) still runs.
_shadowed = importlib.machinery.PathFinder.find_spec(
    "sitecustomize", [entry for entry in sys.path if os.path.abspath(entry or ".") != _here]
)
if _shadowed is not None and _shadowed.origin:
    _load("_shadowed_sitecustomize", _shadowed.origin)
