"""Dependencies point one way: embedded_localstack/ and lambdas/ <- infra/ and client/ <- tools/, tests/ and bench/. Read from
the import statements of every module, so a new wrong-way import fails here, not in a review."""

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
    # The platform knows no app: the shop reaches it only through arguments (infra/reserved_names.py).
    "embedded_localstack": {"embedded_localstack"},
}
PROJECT_PACKAGES = {"lambdas", "infra", "client", "tools", "tests", "bench", "embedded_localstack", "shop", "shared"}


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


def test_no_test_module_imports_another_test_module():
    offenders = {}
    for path in sorted((PROJECT_DIR / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text())
        modules = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
        if bad := [m for m in modules if m.rsplit(".", 1)[-1].startswith("test_")]:
            offenders[str(path.relative_to(PROJECT_DIR))] = bad
    assert offenders == {}


def test_the_old_tooling_package_is_gone():
    assert not (PROJECT_DIR / "shop").exists()
