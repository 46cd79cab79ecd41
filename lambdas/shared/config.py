"""The functions' configuration: the environment provisioning declares for each function (infra/stack.py,
infra/reconcilers/lambda_.py) and the one value of Lambda's runtime contract the shop's code needs. The
functions read their environment only here."""

import os


def require_env(name: str) -> str:
    """Configuration is read once at import; a missing value fails the function's init loudly."""
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"environment variable {name} is not set; provisioning sets it (infra/reconcilers/lambda_.py)"
        )
    return value


def optional_env(name: str) -> str | None:
    """A variable provisioning sets for some functions only (FAULT_TABLE) or some runs only (CONTRACTS_DIR)."""
    return os.environ.get(name) or None


def flag(name: str) -> bool:
    """A switch provisioning turns on with "1" (AUDIT_AWS_CALLS)."""
    return os.environ.get(name) == "1"


def function_name() -> str:
    """This function's name, which Lambda sets in every execution environment."""
    return os.environ["AWS_LAMBDA_FUNCTION_NAME"]
