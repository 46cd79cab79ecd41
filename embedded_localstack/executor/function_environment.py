"""What a function's process starts with: Lambda's variables with this machine's paths, Lambda's limits,
and the command that runs the runtime under its environment's init (environment_init.py)."""

import logging
import os
import resource
import sys
from pathlib import Path

from localstack import config

from embedded_localstack import dynamodb_process, settings
from embedded_localstack.executor import environment_init
from embedded_localstack.executor.instrumentation import FunctionInstrumentation
from embedded_localstack.lifecycle import reaper
from embedded_localstack.runtimes import aws_guard
from embedded_localstack.runtimes.interpreters import runtime_variables

LOG = logging.getLogger(__name__)

# Lambda's PATH after the runtime's own bin folder (/var/lang/bin on Lambda: here, the interpreter's).
LAMBDA_PATH_TAIL = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
ENVIRONMENT_INIT = Path(environment_init.__file__)
# Lambda's limits (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): 1,024 file
# descriptors and 1,024 processes/threads. No core files: a crashing function must not fill the disk.
FUNCTION_RLIMITS = {resource.RLIMIT_NOFILE: 1024, resource.RLIMIT_NPROC: 1024, resource.RLIMIT_CORE: 0}
if os.geteuid() == 0:
    LOG.warning(
        "embedded runtime runs as root: the kernel does not apply RLIMIT_NPROC to root, so a function "
        "that forks without end is not stopped at 1,024 processes (see README, Security)"
    )


def gateway_host() -> str:
    # LocalStack keeps GATEWAY_LISTEN in no particular order (a set per port): prefer IPv4 loopback.
    hosts = [entry.host for entry in config.GATEWAY_LISTEN]
    if any(host in ("", "0.0.0.0", "::", "127.0.0.1") for host in hosts):
        return "127.0.0.1"
    return f"[{hosts[0]}]" if config.is_ipv6_address(hosts[0]) else hosts[0]


def lambda_variables(
    runtime: str,
    env_vars: dict[str, str],
    own_variables: dict[str, str],
    python: Path,
    task_root: str,
    runtime_dir: str,
    tmp: Path,
    instrumentation: FunctionInstrumentation,
) -> dict[str, str]:
    """An environment's whole environment."""
    # Nothing of the host's environment: Lambda's variables only, in Lambda's shape with this
    # machine's paths (/var/lang -> the interpreter's prefix, /var/task -> the code's folder).
    # LANG, PATH and LD_LIBRARY_PATH are unreserved on Lambda: the function's own settings win.
    env = {
        "LANG": "en_US.UTF-8",
        "PATH": f"{python.parent}:{LAMBDA_PATH_TAIL}",
        "LD_LIBRARY_PATH": ":".join(
            (
                f"{python.parent.parent}/lib",
                "/lib64",
                "/usr/lib64",
                runtime_dir,
                f"{runtime_dir}/lib",
                task_root,
                f"{task_root}/lib",
                "/opt/lib",
            )
        ),
    } | runtime_variables(runtime, task_root, runtime_dir)
    env |= {key: str(value) for key, value in env_vars.items()}
    # DynamoDB straight from the function, not through LocalStack's gateway (dynamodb_process/), unless
    # the function's own configuration (not LocalStack's additions to it) names an endpoint.
    env |= dynamodb_process.function_environment(own_variables)
    env |= {
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",  # LocalStack's placeholder is AWS_Lambda_rapid
        # Where /var/task and /tmp are in a container. HOME too, so that ~ is scratch space.
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": runtime_dir,
        "TMPDIR": str(tmp),
        "HOME": str(tmp),
        # boto3 and friends, which the AWS runtime provides (/var/runtime); after the function's own code.
        "_EMBEDDED_RUNTIME_PACKAGES": settings.RUNTIME_PACKAGES.read(),
    }
    env |= instrumentation.environment()
    gateway = f"{gateway_host().strip('[]')}:{config.GATEWAY_LISTEN[0].port}"
    allow_internet = "1" if settings.ALLOW_INTERNET.read() else "0"
    env |= aws_guard.environment(env, gateway, allow_internet)
    return env


def environment_init_command(lifeline: int, marker: str, runtime: list[str]) -> list[str]:
    """The runtime's command under its environment's init, which sets Lambda's limits before it starts
    the runtime (preexec_fn may deadlock in LocalStack's threaded process). The marker goes to the
    runtime only: the reaper's sweeps must not kill an init while it ends its environment.
    LocalStack's own interpreter, isolated and without site-packages: it starts in about 15 ms."""
    limits = [argument for limit, value in FUNCTION_RLIMITS.items() for argument in ("--limit", f"{limit}={value}")]
    return [
        sys.executable,
        "-I",
        "-S",
        str(ENVIRONMENT_INIT),
        str(lifeline),
        *limits,
        "--set",
        f"{reaper.ENV_MARKER}={marker}",
        "--",
        *runtime,
    ]
