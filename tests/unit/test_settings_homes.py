"""Every environment variable has one home: the platform's settings (embedded_localstack/settings.py), the
shop's (infra/settings.py, which reads through the platform's Setting) or the functions' own configuration
(lambdas/shared/config.py, lambdas_node/shared/config.mjs). Any other read of the environment fails here,
named by file and line; docs/configuration.md's tables must match the declarations."""

import ast
import os
import re

import pytest

from embedded_localstack import settings
from infra.paths import PROJECT_DIR
from tools import configuration_doc

HOMES = {
    "embedded_localstack/settings.py": "the platform's settings",
    "lambdas/shared/config.py": "the Python functions' configuration",
    "lambdas_node/shared/config.mjs": "the Node.js functions' configuration",
}
# Not settings, each with why.
ALLOWED = {
    # Code that runs inside a function process and implements Lambda's runtime contract
    # (AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT, ...) or the executor's private hand-over to it.
    # A folder (ending in /) holds only such code.
    "embedded_localstack/runtimes/python/": "the Python runtime: Lambda's runtime contract, the executor's hand-over",
    "embedded_localstack/runtimes/node/": "the Node.js runtime: Lambda's runtime contract, its NODE_PATH",
    "embedded_localstack/runtimes/aws_guard.py": "inside every function process: where LocalStack is, per function",
    "embedded_localstack/runtimes/aws_guard.cjs": "inside every Node.js process: where LocalStack is, per function",
    # LocalStack runs these without the project on sys.path: SHOP_PROJECT_DIR is how they find it, and
    # so the settings module.
    "init/ready.d/05_runtime_images_offline.py": "finds the project before it can import its settings",
    "init/ready.d/10_provision.py": "finds the project before it can import its settings",
    "init/ready.d/20_apps.py": "finds the project before it can import its settings",
}
SKIPPED_FOLDERS = {"build", "node_modules", "tests", "__pycache__"}  # and hidden folders (.venv, .git, .state)
OS_READS = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
NODE_READ = re.compile(r"\bprocess\.env\b")


def _is_pass_through(node: ast.Attribute, parents: dict[ast.AST, ast.AST]) -> bool:
    """The whole environment handed on to a child process (os.environ | {...}, dict(os.environ),
    os.environ.copy()): no variable is read."""
    parent = parents.get(node)
    if node.attr != "environ":
        return False
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.BitOr) and parent.left is node:
        return True
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "dict":
        return parent.args == [node]
    return isinstance(parent, ast.Attribute) and parent.attr == "copy" and isinstance(parents.get(parent), ast.Call)


def python_reads(source: str) -> list[int]:
    """The lines of source that read the environment."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    imported = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "os" and {a.name for a in node.names} & OS_READS
    ]
    used = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in OS_READS
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
        and not _is_pass_through(node, parents)
    ]
    return sorted(imported + used)


def node_reads(source: str) -> list[int]:
    return [number for number, line in enumerate(source.splitlines(), 1) if NODE_READ.search(line)]


def project_sources():
    for folder, folders, files in os.walk(PROJECT_DIR):
        folders[:] = sorted(
            name
            for name in folders
            if name not in SKIPPED_FOLDERS and not name.startswith(".") and not name.endswith(".egg-info")
        )
        for name in sorted(files):
            if name.endswith((".py", ".mjs", ".cjs")):
                path = os.path.join(folder, name)
                yield os.path.relpath(path, PROJECT_DIR), path


def _allowed(relative: str) -> bool:
    return any(relative == name or (name.endswith("/") and relative.startswith(name)) for name in ALLOWED)


def test_the_environment_is_read_only_in_its_homes():
    reads = []
    for relative, path in project_sources():
        if relative in HOMES or _allowed(relative):
            continue
        with open(path) as source:
            text = source.read()
        lines = python_reads(text) if relative.endswith(".py") else node_reads(text)
        reads += [f"{relative}:{line}" for line in lines]
    assert reads == [], "read the environment through a settings module instead"


def test_every_home_and_exception_exists():
    missing = [name for name in HOMES if not (PROJECT_DIR / name).is_file()]
    missing += [name for name in ALLOWED if not (PROJECT_DIR / name).exists()]
    assert missing == []


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("import os\nos.environ.get('X')\n", [2]),
        ("import os\nos.environ['X']\n", [2]),
        ("import os\n'X' in os.environ\n", [2]),
        ("import os\nos.getenv('X')\n", [2]),
        ("import os\nos.environ.pop('X')\n", [2]),
        ("from os import environ\n", [1]),
        ("import os\nenv = os.environ | {'X': '1'}\n", []),
        ("import os\nenv = dict(os.environ)\n", []),
        ("import os\nenv = os.environ.copy()\n", []),
        ("import os\nshell = {'X': '1'} | os.environ\n", [2]),
    ],
)
def test_the_scan_tells_a_read_from_handing_the_environment_on(source, lines):
    assert python_reads(source) == lines


def test_the_scan_finds_node_reads():
    assert node_reads("const a = 1;\nconst t = process.env.TABLE_NAME;\nconst { X } = process.env;\n") == [2, 3]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "LOCALSTACK_PORT='abc': expected a port number (1-65535)"),
        ("70000", "LOCALSTACK_PORT='70000': expected a port number (1-65535)"),
    ],
)
def test_a_bad_value_names_the_variable_the_value_and_what_is_accepted(value, message):
    with pytest.raises(settings.SettingError) as raised:
        settings.LOCALSTACK_PORT.read({"LOCALSTACK_PORT": value})
    assert str(raised.value) == message


def test_a_setting_is_read_from_the_environment_it_is_given():
    assert settings.LOCALSTACK_PORT.read({"LOCALSTACK_PORT": "4611"}) == 4611
    assert settings.LOCALSTACK_PORT.read({}) == 4566
    assert settings.endpoint_url({"LOCALSTACK_PORT": "4611"}) == "http://127.0.0.1:4611"
    assert settings.region({"AWS_REGION": "eu-west-1"}) == "eu-west-1"


def test_a_required_setting_that_is_missing_says_what_it_expects():
    with pytest.raises(settings.SettingError, match="EMBEDDED_LAMBDA_MAX_LOG_BYTES is not set: expected a number"):
        settings.MAX_LOG_BYTES.read({})


def test_a_family_of_variables_names_its_members():
    assert settings.NODE_LOCATION.named(major="22").read({"EMBEDDED_LAMBDA_NODE22": "/opt/node"}) == "/opt/node"
    assert settings.NODE_LOCATION.matches("EMBEDDED_LAMBDA_NODE22")
    assert not settings.NODE_LOCATION.matches("EMBEDDED_LAMBDA_NODE_INSTALLS")


def test_each_variable_is_declared_once():
    names = [setting.name for setting in configuration_doc.TABLES["platform"] + configuration_doc.TABLES["shop"]]
    assert sorted(name for name in set(names) if names.count(name) > 1) == []


def test_the_configuration_doc_shows_the_declared_settings():
    doc = configuration_doc.DOC.read_text()
    assert configuration_doc.render(doc) == doc, "the doc differs from the settings: python -m tools.configuration_doc"
