"""Deploying one's own app (CDK, SAM or a CloudFormation template) into the running environment.

from embedded_localstack import apps
deployment = apps.deploy("path/to/app")   # detects the tool from the folder
apps.destroy("path/to/app")
"""

from embedded_localstack.apps.deployment import Deployment, app_urls, deploy, destroy, status
from embedded_localstack.apps.errors import AppError
from embedded_localstack.apps.toolchains import sam_bin

__all__ = ["AppError", "Deployment", "app_urls", "deploy", "destroy", "sam_bin", "status"]
