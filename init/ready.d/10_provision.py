# Ready hook: deploys the shop's stack (infra/deploy.py) once LocalStack is ready, in Docker and embedded mode
# alike; with SHOP=0 (infra/settings.py) it deploys nothing.
# LocalStack exec()s this file in its own interpreter (which has boto3) without __file__, so the
# project folder comes from SHOP_PROJECT_DIR: /opt/shop in the container, the checkout on the host.
import os
import sys

sys.path.insert(0, os.environ.get("SHOP_PROJECT_DIR", "/opt/shop"))

from infra import settings
from infra.deploy import deploy

if settings.SHOP:
    deploy()
else:
    print("SHOP=0: a bare environment, the shop is not deployed")
