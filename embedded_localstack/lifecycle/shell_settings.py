"""The settings that reach LocalStack, and so its init hooks, from the developer's shell: declared here
once, for both modes. (LocalStack settings with a default live in config/localstack.env, which both
modes read; a shell value for one of those wins in embedded mode only.)

- Embedded mode (instance.py) passes LocalStack's process these and nothing else of the shell.
- Docker mode passes BOTH_MODES (and DOCKER_ONLY) through docker-compose.yml's `environment:`, each as
  a bare key, which Compose fills from the shell or leaves unset as embedded mode does, or, for the
  two that make up always sets, as `${NAME:?...}`.
  tests/unit/test_compose_file.py compares that list with this one.
"""

from embedded_localstack.patches.host_check import SETTING as ALLOWED_HOSTS

# What a process needs from the shell to run at all: the container has its own.
PROCESS = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")

BOTH_MODES = (
    # LocalStack settings a developer may tune.
    "DEBUG",
    "LS_LOG",
    "LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT",
    "LAMBDA_KEEPALIVE_MS",
    # The shop's settings the init hook reads (infra/settings.py, infra/stack.py).
    "AWS_DEFAULT_REGION",
    "SHOP_FAULT_INJECTION",
    "SHOP_ORDER_BATCHING_WINDOW",
    "HOT_RELOAD",
    "SHOP",
    # The project's path on this machine, for hot-reload functions; make up sets it in both modes.
    "HOST_PROJECT_DIR",
)

# Each with why Docker mode does without it.
EMBEDDED_ONLY = (
    # Where the hook finds the project: docker-compose.yml mounts it at /opt/shop and says so.
    "SHOP_PROJECT_DIR",
    # Apps the ready hook deploys (init/ready.d/20_apps.py), and where their tool chains are: host
    # folders the container does not have (docs/your-own-app.md: apps run in embedded mode).
    "APPS",
    "EMBEDDED_TOOLCHAIN_DIR",
    # Where `make node` installs Node.js majors (node_majors.py): Lambda's images bring their own.
    # EMBEDDED_LAMBDA_NODE<N>, for any N, passes too (instance.py, node_majors.is_location_variable).
    "EMBEDDED_LAMBDA_NODE_INSTALLS",
    # Debugger and coverage in the function processes (instrumentation.py): make up refuses
    # LAMBDA_DEBUG in Docker mode, and coverage is measured in embedded mode.
    "LAMBDA_DEBUG",
    "LAMBDA_DEBUG_ATTACH_TIMEOUT",
    "EMBEDDED_FUNCTION_COVERAGE",
    # Host names besides this machine's that the gateway answers (patches/host_check.py); Docker mode's gateway
    # is LocalStack's own, which answers any Host (docs/host-check.md).
    ALLOWED_HOSTS,
)

# The LocalStack image's account token (docker-compose.yml): 4.14.0 starts without one, and the PyPI
# package embedded mode runs never asks.
DOCKER_ONLY = ("LOCALSTACK_AUTH_TOKEN",)

FROM_SHELL_EMBEDDED = PROCESS + BOTH_MODES + EMBEDDED_ONLY
