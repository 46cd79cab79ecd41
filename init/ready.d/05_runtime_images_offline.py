# Ready hook, before provisioning (hooks run in name order): in Docker mode, runtime images already
# present locally count as pulled, so creating the functions needs no network. A no-op in embedded
# mode. Runs in LocalStack's own interpreter (exec, no __file__), like 10_provision.py.
import os
import sys

sys.path.insert(0, os.environ.get("SHOP_PROJECT_DIR", "/opt/shop"))

from tools.docker_mode import mark_present_images_as_pulled

for image in mark_present_images_as_pulled():
    print(f"runtime image {image} is present locally: not pulling it")
