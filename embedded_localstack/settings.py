"""Every environment variable the platform reads, declared once: its name, type, default, what it does and
which values it accepts. Code reads a variable only through its declaration here (``LOCALSTACK_PORT.read()``),
and tests/unit/test_settings_homes.py fails on a read anywhere else.

A setting is read when asked, not at import: ``Instance.from_env()`` and each execution environment's start
see the environment of that moment, and ``read(environ)`` reads an environment about to be handed to a child
process. This module imports nothing heavy, since LocalStack imports the platform's plugins at start.

docs/configuration.md's platform table is rendered from these declarations (``python -m
embedded_localstack.settings --markdown``), and a unit test compares the two.

Not settings: the Lambda runtime contract a function process reads (AWS_LAMBDA_RUNTIME_API, _HANDLER,
AWS_LAMBDA_FUNCTION_NAME, ...), which bootstrap.py, bootstrap.mjs, aws_guard and instrument_function read
where the contract is implemented.
"""

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

PROJECT_DIR = Path(__file__).resolve().parents[1]
T = TypeVar("T")


class SettingError(ValueError):
    """A variable with a value its setting does not accept; the message names both and what is accepted."""


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Setting(Generic[T]):  # noqa: UP046 (the Docker-mode hook imports this on the image's Python)
    name: str
    parse: Callable[[str], T]  # raises ValueError for a value it does not accept
    default: T
    doc: str
    accepted: str  # the values parse takes, as an error message and the docs say it
    shown_default: str = ""  # the default as the docs say it, when its value does not
    # A LocalStack setting: a value in config/localstack.env counts when the shell sets none (the shell
    # wins in embedded mode), and LocalStack's own default when neither does.
    localstack: bool = False

    def read(self, environ: Mapping[str, str] | None = None) -> T:
        """The value in environ (os.environ by default); unset or empty is the default."""
        value = (os.environ if environ is None else environ).get(self.name, "")
        if not value and self.localstack:
            import embedded_localstack  # the shared file's reader, loaded only for this

            value = embedded_localstack.shared_settings().get(self.name, "")
        if not value:
            if self.default is REQUIRED:
                raise SettingError(f"{self.name} is not set: expected {self.accepted}")
            return self.default
        try:
            return self.parse(value)
        except ValueError:
            raise SettingError(f"{self.name}={value!r}: expected {self.accepted}") from None

    def is_set(self, environ: Mapping[str, str] | None = None) -> bool:
        """Whether environ (os.environ by default) gives a value, rather than leaving the default."""
        return bool((os.environ if environ is None else environ).get(self.name))

    def named(self, **fields: str) -> "Setting[T]":
        """One member of a family of variables (EMBEDDED_LAMBDA_NODE{major}), e.g. named(major="22")."""
        return replace(self, name=self.name.format(**fields))

    def matches(self, name: str) -> bool:
        """Whether name is this setting's, or, for a family, a member's (digits in place of each field)."""
        prefix, _, rest = self.name.partition("{")
        if not rest:
            return name == self.name
        suffix = rest.partition("}")[2]
        middle = name[len(prefix) : len(name) - len(suffix)]
        return name.startswith(prefix) and name.endswith(suffix) and middle.isdigit()


# Parsers: each takes the variable's text and raises ValueError for what it does not accept.


def port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(value)
    return int(value)


def port_or_any(value: str) -> int:
    """A port, or 0 for any free one."""
    return 0 if value == "0" else port(value)


def flag(value: str) -> bool:
    if value not in ("0", "1"):
        raise ValueError(value)
    return value == "1"


def seconds(value: str) -> float:
    number = float(value)
    if not number >= 0:  # also refuses nan
        raise ValueError(value)
    return number


def log_bytes(value: str) -> int:
    if not value.isdigit() or int(value) < 4096:
        raise ValueError(value)
    return int(value)


def text(value: str) -> str:
    return value


def names(value: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in value.split(",") if name.strip())


# Where the instance is and what it listens on.
LOCALSTACK_PORT = Setting(
    "LOCALSTACK_PORT",
    port,
    4566,
    "port LocalStack listens on, on 127.0.0.1, in both modes (embedded mode: also on ::1 where available)",
    "a port number (1-65535)",
)
EMBEDDED_STATE_DIR = Setting(
    "EMBEDDED_STATE_DIR",
    Path,
    PROJECT_DIR / ".state",
    "embedded mode: pid file, lock, log, LocalStack's filesystem (function work folders included); "
    "owner-only (0700) when `make up` creates it: it holds the TLS certificate's private key",
    "a folder",
    "`.state`",
)
DYNAMODB_PORT = Setting(
    "EMBEDDED_DYNAMODB_PORT",
    port_or_any,
    0,
    "embedded mode: port of the DynamoDB process on 127.0.0.1 (functions reach it directly); 0: a free one",
    "a port number (1-65535), or 0",
)
LOCALSTACK_INIT_DIR = Setting(
    "LOCALSTACK_INIT_DIR",
    Path,
    PROJECT_DIR / "init",
    "embedded mode: the hook folder (`ready.d/` ...)",
    "a folder",
    "`init`",
)
LISTEN_ALL_INTERFACES = Setting(
    "EMBEDDED_LISTEN_ALL_INTERFACES_ANYONE_CAN_RUN_CODE",
    flag,
    False,
    "embedded mode: `1` listens on every interface, so anyone who reaches the port can run code as you",
    "0 or 1",
    "(unset)",
)
ALLOWED_HOSTS = Setting(
    "EMBEDDED_ALLOWED_HOSTS",
    text,
    "",
    "embedded mode: more `Host` names the gateway answers (comma-separated, `*.name`, `*`); others get 403 "
    "([the Host check](host-check.md))",
    "comma-separated host names",
    "(unset)",
)

# Where tools, clients and apps send AWS calls.
AWS_ENDPOINT_URL = Setting(
    "AWS_ENDPOINT_URL",
    text,
    "",
    "where provisioning, tests and tools send AWS calls; never the init hook's, which provisions its own LocalStack",
    "a URL",
    "`http://127.0.0.1:$LOCALSTACK_PORT`",
)
AWS_DEFAULT_REGION = Setting(
    "AWS_DEFAULT_REGION",
    text,
    "",
    "region of every resource (Docker mode passes it to the container)",
    "a region name",
    "`AWS_REGION`, else `us-east-1`",
)
AWS_REGION = Setting("AWS_REGION", text, "us-east-1", "region, when AWS_DEFAULT_REGION is not set", "a region name")

# The apps one deploys (embedded_localstack.apps).
EMBEDDED_TOOLCHAIN_DIR = Setting(
    "EMBEDDED_TOOLCHAIN_DIR",
    Path,
    PROJECT_DIR / "build" / "toolchains",
    "where the SAM and CDK tool chains are installed on first use",
    "a folder",
    "`build/toolchains`",
)

# The function processes (executor.py, interpreters.py, node_runtime.py, log_store.py, instrumentation.py).
MAX_LOG_BYTES = Setting(
    "EMBEDDED_LAMBDA_MAX_LOG_BYTES",
    log_bytes,
    REQUIRED,
    "embedded mode: the most of one invocation's output shipped; past it the middle goes, with a line saying how much",
    "a number of bytes of at least 4096 (config/localstack.env sets it)",
    "`67108864` (64 MiB, `config/localstack.env`)",
)
ALLOW_INTERNET = Setting(
    "EMBEDDED_LAMBDA_ALLOW_INTERNET",
    flag,
    True,
    "embedded mode: `0` keeps functions on this machine, other hosts refused at once; AWS hostnames always land "
    "in LocalStack ([function runtimes](function-runtime.md))",
    "0 or 1",
    "`1` (`config/localstack.env`)",
)
NODE_LOCATION = Setting(
    "EMBEDDED_LAMBDA_NODE{major}",
    text,
    "",
    "embedded mode: the node for `nodejs<N>.x`, e.g. `EMBEDDED_LAMBDA_NODE22=/opt/node22/bin/node`",
    "a node binary",
    "(unset)",
)
NODE_INSTALLS = Setting(
    "EMBEDDED_LAMBDA_NODE_INSTALLS",
    Path,
    PROJECT_DIR / "build" / "node",
    "embedded mode: where `make node MAJOR=<N>` installs Node.js majors",
    "a folder",
    "`build/node`",
)
NODE_MODULES = Setting(
    "EMBEDDED_LAMBDA_NODE_MODULES",
    Path,
    Path(sys.prefix) / "lambda-node-runtime" / "node_modules",
    "embedded mode: the AWS SDK v3 clients Node.js functions get, as Lambda's runtimes provide them",
    "a folder",
    "`.venv/lambda-node-runtime/node_modules` (`make up` installs it)",
)
PYTHON_FALLBACK = Setting(
    "EMBEDDED_LAMBDA_PYTHON_FALLBACK",
    flag,
    False,
    "embedded mode: `1` runs a function whose Python version is not installed on LocalStack's Python, with a "
    "warning; otherwise the function fails",
    "0 or 1",
    "(unset)",
)
RUNTIME_PACKAGES = Setting(
    "EMBEDDED_LAMBDA_RUNTIME_PACKAGES",
    text,
    "",
    "embedded mode: boto3 and the other packages Lambda's Python runtime provides, after the function's own; "
    "set by `make up`",
    "a folder",
    "`.venv/lambda-runtime`",
)
CLOUDWATCH_METRICS = Setting(
    "EMBEDDED_LAMBDA_CLOUDWATCH_METRICS",
    flag,
    False,
    "embedded mode: `1` sends Lambda's per-invocation `AWS/Lambda` metrics (Invocations, Errors) again",
    "0 or 1",
    "`0` (`config/localstack.env`)",
)
LAMBDA_DEBUG = Setting(
    "LAMBDA_DEBUG",
    text,
    "",
    "embedded mode: functions whose environments run under debugpy, on 127.0.0.1:5678 upwards in this order "
    "(`make debug FN=...`)",
    "comma-separated function names",
    "(unset)",
)
LAMBDA_DEBUG_ATTACH_TIMEOUT = Setting(
    "LAMBDA_DEBUG_ATTACH_TIMEOUT",
    seconds,
    # Under the 60 s that API Gateway waits for a function (README, Debugging a function): the request that started
    # the environment still gets its answer when the IDE attaches late or never.
    50.0,
    "seconds a debugged environment's first invocation waits for the IDE to attach (below API Gateway's 60 s)",
    "a number of seconds",
    "`50`",
)
FUNCTION_COVERAGE = Setting(
    "EMBEDDED_FUNCTION_COVERAGE",
    text,
    "",
    "embedded mode: folder where every function process writes its coverage data",
    "a folder",
    "(set by `scripts/test.sh`)",
)

# Set by the platform itself for LocalStack's process (cli.py), read inside it.
FILESYSTEM_ROOT = Setting(
    "FILESYSTEM_ROOT",
    text,
    "",
    "LocalStack's filesystem root; set by `make up` to the state folder's `filesystem/`",
    "a folder",
    "(set by `make up`)",
)
INSTANCE_MARKER = Setting(
    "_EMBEDDED_INSTANCE",
    text,
    "",
    "which instance a LocalStack and its function processes belong to; set by `make up`",
    "an instance id",
    "(set by `make up`)",
)

# The system's, passed on to the processes the platform starts.
PATH = Setting(
    "PATH", text, "", "where the tools the platform starts are looked for", "a search path", "(the system's)"
)
HOME = Setting("HOME", text, "/tmp", "the home folder of the SAM tool chain", "a folder", "(the system's)")
USER = Setting(
    "USER", text, "you", "who the warning about listening on every interface names", "a user name", "(the system's)"
)
LANG = Setting("LANG", text, "C.UTF-8", "the locale of the SAM tool chain", "a locale", "(the system's)")
PYENV_ROOT = Setting(
    "PYENV_ROOT",
    Path,
    Path.home() / ".pyenv",
    "where functions' Python versions are looked for among pyenv's installs",
    "a folder",
    "`~/.pyenv`",
)


def endpoint_url(environ: Mapping[str, str] | None = None) -> str:
    """The environment's endpoint: AWS_ENDPOINT_URL, else LocalStack on LOCALSTACK_PORT."""
    return AWS_ENDPOINT_URL.read(environ) or f"http://127.0.0.1:{LOCALSTACK_PORT.read(environ)}"


def region(environ: Mapping[str, str] | None = None) -> str:
    return AWS_DEFAULT_REGION.read(environ) or AWS_REGION.read(environ)


def declared(namespace: Mapping[str, object]) -> list[Setting]:
    """The settings a module declares, in the order it declares them."""
    return [value for value in namespace.values() if isinstance(value, Setting)]


def markdown(settings: Iterable[Setting]) -> str:
    """The settings as docs/configuration.md's table shows them."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for setting in settings:
        default = setting.shown_default or f"`{setting.default}`"
        rows.append(f"| `{setting.name}` | {default} | {setting.doc} |")
    return "\n".join(rows) + "\n"


SETTINGS = declared(dict(globals()))
# What LocalStack's process reads, from the environment `make up` gives it: checked before it starts,
# so that a bad value is an error at `make up`, not at a function's first start.
READ_BY_LOCALSTACK = (DYNAMODB_PORT, MAX_LOG_BYTES, ALLOW_INTERNET, PYTHON_FALLBACK, CLOUDWATCH_METRICS)

if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m embedded_localstack.settings --markdown")
    sys.stdout.write(markdown(SETTINGS))
