"""Debugger and coverage inside one function environment (runs under the function's interpreter,
imported by runtime.py; standard library only until the tools' folder is on the path).

The host (instrumentation.py) asks for them with private variables, removed here before the function's
code runs. A debugged environment listens on its port from start-up and waits for the IDE at its first
invocation; a measured one saves its coverage data after every invocation.
"""

from __future__ import annotations

import json
import os
import sys

_coverage = None
_attach: tuple[str, int, float] | None = None  # host, port, seconds to wait; None once waited


def start() -> None:
    """Before the handler is imported, so that its module code is measured, and breakpoints in it
    hold once the IDE has attached (a replaced process imports again)."""
    global _attach
    tools = os.environ.pop("_EMBEDDED_TOOLS", "")
    debug = os.environ.pop("_EMBEDDED_DEBUG", "")
    measure = os.environ.pop("_EMBEDDED_COVERAGE", "")
    if tools:
        sys.path.extend(tools.split(os.pathsep))
    if measure:
        _start_coverage(json.loads(measure))
    if debug:
        host, port, wait = debug.split(":")
        _attach = _listen(host, int(port), float(wait))


def _start_coverage(settings: dict) -> None:
    """Measures the project's packages this function's code holds (from the task root, as imported)."""
    global _coverage
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    source = [
        os.path.join(task_root, name) for name in settings["packages"] if os.path.isdir(os.path.join(task_root, name))
    ]
    if not source:  # none of the project's code (a test's own function): nothing to measure
        return
    import coverage

    _coverage = coverage.Coverage(
        config_file=settings["config"],
        data_file=os.path.join(settings["data"], ".coverage"),
        data_suffix=True,  # one file per process, combined after the run
        source=source,
    )
    # Its warnings would land in the function's log ("module never imported" for a package it never uses).
    _coverage.set_option("run:disable_warnings", ["module-not-imported", "no-data-collected", "module-not-measured"])
    _coverage.start()


def _listen(host: str, port: int, wait: float):
    import debugpy

    try:
        debugpy.listen((host, port))
    except Exception as e:  # e.g. the port is taken by this function's other environment
        print(
            f"[embedded runtime] debugger not listening on {host}:{port}: {e}; this environment runs without it",
            flush=True,
        )
        return None
    print(f"[embedded runtime] debugger listening on {host}:{port}", flush=True)
    return host, port, wait


def before_invoke() -> None:
    """The first invocation of a debugged environment waits for the IDE, up to the attach timeout."""
    global _attach
    if _attach is None:
        return
    host, port, wait = _attach
    _attach = None
    import threading

    import debugpy

    if debugpy.is_client_connected():
        return
    print(f"[embedded runtime] waiting up to {wait:.0f} s for a debugger to attach to {host}:{port}", flush=True)
    waiter = threading.Thread(target=debugpy.wait_for_client, daemon=True)
    waiter.start()
    waiter.join(wait)
    if waiter.is_alive():
        debugpy.wait_for_client.cancel()
        print(f"[embedded runtime] no debugger attached within {wait:.0f} s: running on", flush=True)


def after_invoke() -> None:
    if _coverage is not None:
        _coverage.save()
