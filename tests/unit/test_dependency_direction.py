"""Dependencies point one way: lambdas/ <- infra/ and client/ <- tools/, tests/, bench/ and dashboard/, and the
platform (embedded_localstack/) imports none of the shop while the shop reaches the platform through
its public API only, as does the platform's own command line (cli.py); the Python runtime, which runs
under the function's interpreter, imports the standard library only. Read from the import statements of every module, so a new wrong-way import fails
here, not in a review."""

import ast

import pytest

from infra.paths import PROJECT_DIR

# What each package may import of the project's own top-level packages (the functions' code imports
# `shared` and its siblings as top-level packages, as inside an archive).
ALLOWED = {
    "lambdas": {"shared", "basket", "invoice", "notification", "ordering", "product", "product_images"},
    "infra": {"infra", "embedded_localstack"},
    "client": {"client", "infra", "embedded_localstack"},
    "tools": {"tools", "client", "infra", "embedded_localstack"},
    "bench": {"bench", "client", "infra", "embedded_localstack"},
    "dashboard": {"dashboard", "bench", "client", "infra", "embedded_localstack"},
    # The platform knows no app: the shop reaches it only through arguments (infra/reserved_names.py).
    "embedded_localstack": {"embedded_localstack"},
}
# The shop's packages, which may use the platform only through what embedded_localstack/__init__.py names.
SHOP_PACKAGES = ("lambdas", "lambdas_node", "infra", "client", "tools", "bench", "dashboard", "init")
PROJECT_PACKAGES = {
    "lambdas",
    "infra",
    "client",
    "tools",
    "tests",
    "bench",
    "dashboard",
    "embedded_localstack",
    "shop",
    "shared",
}


def project_imports(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & (PROJECT_PACKAGES | ALLOWED["lambdas"])


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_what_sits_below_it(package):
    wrong = {
        str(path.relative_to(PROJECT_DIR)): sorted(project_imports(path) - ALLOWED[package])
        for path in sorted((PROJECT_DIR / package).rglob("*.py"))
        if "__pycache__" not in path.parts and project_imports(path) - ALLOWED[package]
    }
    assert wrong == {}


def platform_imports(path) -> list[str]:
    """What a module imports of the platform, as dotted names (`embedded_localstack.lifecycle.instance`, `embedded_localstack.Instance`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "embedded_localstack"]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "embedded_localstack"
        ):
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def test_the_shop_uses_only_the_platforms_public_api():
    import embedded_localstack

    public = {"embedded_localstack"} | {f"embedded_localstack.{name}" for name in embedded_localstack.__all__}
    public |= {f"embedded_localstack.apps.{name}" for name in embedded_localstack.apps.__all__}
    wrong = {
        str(path.relative_to(PROJECT_DIR)): sorted(set(platform_imports(path)) - public)
        for package in SHOP_PACKAGES
        for path in sorted((PROJECT_DIR / package).rglob("*.py"))
        if "__pycache__" not in path.parts and set(platform_imports(path)) - public
    }
    assert wrong == {}


def test_the_command_line_uses_only_the_platforms_public_api():
    import embedded_localstack

    public = {"embedded_localstack"} | {f"embedded_localstack.{name}" for name in embedded_localstack.__all__}
    cli = PROJECT_DIR / "embedded_localstack" / "cli.py"
    assert set(platform_imports(cli)) - public == set()


def test_the_python_runtime_imports_the_standard_library_and_its_own_folder_only():
    # It runs under the function's interpreter as a package of a private name (runtimes/python/bootstrap.py):
    # the platform is not importable there, nor anything the function's archive does not bring.
    import sys

    folder = PROJECT_DIR / "embedded_localstack" / "runtimes" / "python"
    wrong = {}
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            # coverage and debugpy come from the tools' folder, put on the path when asked for.
            outside = [n for n in names if n.split(".")[0] not in {*sys.stdlib_module_names, "coverage", "debugpy"}]
            if outside:
                wrong.setdefault(path.name, []).extend(outside)
    assert wrong == {}


def test_every_name_of_the_public_api_resolves():
    import embedded_localstack

    assert {
        name: getattr(embedded_localstack, name) is not None for name in embedded_localstack.__all__
    } == dict.fromkeys(embedded_localstack.__all__, True)


def test_no_test_module_imports_another_test_module():
    offenders = {}
    for path in sorted((PROJECT_DIR / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text())
        modules = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
        if bad := [m for m in modules if m.rsplit(".", 1)[-1].startswith("test_")]:
            offenders[str(path.relative_to(PROJECT_DIR))] = bad
    assert offenders == {}


# Modules that do one job stay small enough to read in one sitting. The settings module is a table of
# declarations, one per variable, and grows with them.
MODULE_LINES = 320
LONGER_ON_PURPOSE = {"embedded_localstack/settings.py"}


def test_no_platform_module_does_several_jobs_by_its_length():
    long = {
        str(path.relative_to(PROJECT_DIR)): len(path.read_text().splitlines())
        for path in sorted((PROJECT_DIR / "embedded_localstack").rglob("*"))
        if path.suffix in (".py", ".mjs", ".cjs")
        and "node_modules" not in path.parts
        and str(path.relative_to(PROJECT_DIR)) not in LONGER_ON_PURPOSE
    }
    assert {name: lines for name, lines in long.items() if lines > MODULE_LINES} == {}
