"""LocalStack 4.14.0 on the host, without Docker: Lambda functions as local processes, DynamoDB from moto.

The platform's public API is what this module names; code outside the package (the shop, its tools,
benchmarks and tests of the shop) imports only these, never a submodule. They are loaded on first use
(PEP 562), because LocalStack imports this package for its plugins and needs none of them.

- ``Instance``: one embedded LocalStack (port, state folder, pid file), ``Instance.from_env()``;
- ``start(instance, timeout)``, ``stop(instance)``, ``status(instance)`` and ``wait_ready(...)``: its
  lifecycle, as ``make up``, ``make down`` and ``make status`` run it; ``failed_hooks(status)`` names the
  init hooks that failed in LocalStack's ``/_localstack/init`` answer, and ``hook_state`` reports their
  state as ``make status`` does in both modes;
- ``shared_settings()``: the LocalStack settings both modes start with (``config/localstack.env``);
- ``debugging``: the debugger settings and ports (``LAMBDA_DEBUG``), and ``tools_in_archive(names)``,
  which finds debugger or coverage files that must never ship in a function archive;
- ``install_wheels(requirements, target, python_version, platform)``: pinned packages for another Python;
- ``settings``: every environment variable the platform reads, declared once (``Setting``), which the
  shop's own settings module declares its variables with too;
- ``eventually(predicate, timeout)``: the one wait for a condition against a deadline;
- ``tree_rss_mb(pid)``: the resident memory of a process and all its descendants, in MiB;
- ``apps``: deploying one's own CDK, SAM or CloudFormation app (``apps.deploy``, ``apps.destroy``, ...),
  and the pytest plugin (``embedded_localstack.pytest_plugin``, loaded by its entry point).
"""

from importlib import import_module

_PUBLIC = {
    "Instance": ("embedded_localstack.lifecycle.instance", "Instance"),
    "start": ("embedded_localstack.lifecycle.start", "up"),
    "stop": ("embedded_localstack.lifecycle.stop", "down"),
    "status": ("embedded_localstack.lifecycle.status", "status"),
    "wait_ready": ("embedded_localstack.lifecycle.start", "wait_ready"),
    "failed_hooks": ("embedded_localstack.lifecycle.hook_state", "failed_hooks"),
    "hook_state": ("embedded_localstack.lifecycle.hook_state", None),
    "shared_settings": ("embedded_localstack.lifecycle.instance", "shared_settings"),
    "debugging": ("embedded_localstack.executor.instrumentation", None),
    "tools_in_archive": ("embedded_localstack.executor.instrumentation", "tools_in_archive"),
    "install_wheels": ("embedded_localstack.wheels", "install_wheels"),
    "eventually": ("embedded_localstack.waiting", "eventually"),
    "tree_rss_mb": ("embedded_localstack.executor.memory", "tree_rss_mb"),
    "apps": ("embedded_localstack.apps", None),
    "settings": ("embedded_localstack.settings", None),
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attribute = _PUBLIC[name]
    module = import_module(module_name)
    return module if attribute is None else getattr(module, attribute)
