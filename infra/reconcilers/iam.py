"""Each function's role, with its least-privilege policy (infra/policies.py). The policy is put on
every run: PutRolePolicy replaces it, so a changed grant takes effect."""

import json

from infra.model import Function
from infra.policies import LAMBDA_TRUST, ROLE_POLICY_NAME, role_name, role_policy
from infra.target import Target, log


def ensure_role(target: Target, function: Function) -> str:
    iam = target.client("iam")
    name = role_name(function)
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name, PolicyName=ROLE_POLICY_NAME, PolicyDocument=json.dumps(role_policy(target.arns, function))
    )
    return arn


def delete_role(target: Target, function: Function) -> None:
    iam = target.client("iam")
    name = role_name(function)
    try:
        iam.delete_role_policy(RoleName=name, PolicyName=ROLE_POLICY_NAME)
    except iam.exceptions.NoSuchEntityException:
        pass
    try:
        iam.delete_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        return
    log(f"role {name} deleted")
