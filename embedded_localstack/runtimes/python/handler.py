"""The function's handler, imported as AWS's Python runtime imports it."""

from __future__ import annotations  # the function's interpreter may be older than this file's syntax

import importlib
import sys

from .errors import RuntimeFault


def load_handler(spec: str):
    """Imports the handler as AWS's Python runtime does. Only the runtime's own faults get a
    ``Runtime.*`` type: any other exception raised by the module's code propagates as it is, and is
    reported with its own type and message."""
    module_name, dot, function_name = spec.rpartition(".")
    if not dot:
        raise RuntimeFault(
            f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)", "Runtime.MalformedHandlerName"
        )
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise RuntimeFault(
            f"Cannot use built-in module {module_name} as a handler module", "Runtime.BuiltInModuleConflict"
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise RuntimeFault(f"Unable to import module '{module_name}': {e}", "Runtime.ImportModuleError") from None
    except SyntaxError as e:
        trace = [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']
        raise RuntimeFault(
            f"Syntax error in module '{module_name}': {e}", "Runtime.UserCodeSyntaxError", trace
        ) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise RuntimeFault(
            f"Handler '{function_name}' missing on module '{module_name}'", "Runtime.HandlerNotFound"
        ) from None
