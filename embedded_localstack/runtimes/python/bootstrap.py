"""One Lambda execution environment, run as a local process (embedded mode): the file the executor starts
under the *function's* interpreter (``python -I -u bootstrap.py``, runtimes/interpreters.py).

The runtime is this folder's modules (runtime.py and what it imports), standard library only. Isolated
mode (-I) puts no script folder on sys.path, and this folder must not go there: its modules would
shadow the function's own (a ``handler`` or ``errors`` module of its code). So the folder is imported
as a package under a private name, and its modules import each other relatively.
"""

import importlib
import importlib.util
import os
import sys

PACKAGE = "_embedded_python_runtime"


def load_runtime():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        PACKAGE, os.path.join(here, "__init__.py"), submodule_search_locations=[here]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)
    return importlib.import_module(PACKAGE + ".runtime")


if __name__ == "__main__":
    load_runtime().main()
