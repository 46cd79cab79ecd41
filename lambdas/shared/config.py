import os


def require_env(name: str) -> str:
    """Configuration is read once at import; a missing value fails the function's init loudly."""
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"environment variable {name} is not set; provisioning sets it (infra/reconcilers/lambda_.py)"
        )
    return value
