"""Secrets: random keys made once per environment, as SSM SecureString parameters. Made when first
deployed and read back on every later deploy, so a function's environment does not change from one
deploy to the next; deleted with the stack."""

import secrets as random

from infra.model import Secret
from infra.target import Target, log


def ensure_secret(target: Target, secret: Secret) -> str:
    """The secret's value, made now if the environment has none yet."""
    ssm = target.client("ssm")
    try:
        return ssm.get_parameter(Name=secret.name, WithDecryption=True)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        pass
    try:
        ssm.put_parameter(Name=secret.name, Value=random.token_hex(32), Type="SecureString", Overwrite=False)
        log(f"secret {secret.name} created")
    except ssm.exceptions.ParameterAlreadyExists:  # a deploy alongside made it first: use that one
        pass
    return ssm.get_parameter(Name=secret.name, WithDecryption=True)["Parameter"]["Value"]


def delete_secret(target: Target, secret: Secret) -> None:
    ssm = target.client("ssm")
    try:
        ssm.delete_parameter(Name=secret.name)
        log(f"secret {secret.name} deleted")
    except ssm.exceptions.ParameterNotFound:
        pass
