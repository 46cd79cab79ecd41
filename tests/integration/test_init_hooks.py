"""Every ready hook, as LocalStack reports it: the Docker-mode offline hook must not get in the way
of the embedded mode (where it has nothing to do) nor of provisioning, which runs after it."""

import json
import urllib.request

from infra import settings


def test_every_ready_hook_succeeded_and_the_image_hook_ran_before_provisioning():
    with urllib.request.urlopen(f"{settings.ENDPOINT_URL}/_localstack/init/ready", timeout=5) as response:
        status = json.load(response)

    names = [script["name"] for script in status["scripts"]]
    assert status["completed"] is True
    assert {script["state"] for script in status["scripts"]} == {"SUCCESSFUL"}, status
    assert names.index("05_runtime_images_offline.py") < names.index("10_provision.py")
