# Ready hook: deploys the apps that APPS=<dir>[,<dir>] names (embedded_localstack/apps/), after the shop.
# A relative folder is read from the project folder. An app that fails makes this hook fail, so `make up`
# reports it. LocalStack exec()s this file without __file__ (see 10_provision.py).
import os
import sys

sys.path.insert(0, os.environ.get("SHOP_PROJECT_DIR", "/opt/shop"))

from embedded_localstack import apps
from infra import reserved_names, settings

project = sys.path[0]

folders = list(settings.APPS)
failed = []
for folder in folders:
    try:
        print(apps.deploy(os.path.join(project, folder), *reserved_names.shop()).describe())
    except apps.AppError as e:
        failed.append(f"{folder}: {e}")
if failed:
    raise RuntimeError("APPS: these apps failed to deploy:\n" + "\n".join(failed))
