"""Records every AWS call the function makes, one JSON line on stdout (so in its CloudWatch log),
when AUDIT_AWS_CALLS=1. Provisioning sets it against LocalStack only; the integration suite reads
the lines back and checks each call against the function's role (LocalStack Community does not
enforce IAM, so a missing grant would otherwise show only on AWS).

Only what names the resource is recorded (table, queue, bus, sender, bucket and key), never
request data."""

import json
import sys

import botocore.client

from shared import config

# Parameters that name the resource a call acts on, per IAM's resource types.
RESOURCE_PARAMETERS = ("TableName", "QueueUrl", "EventBusName", "Source", "Bucket", "Key", "FunctionName")
MARK = "awsCall"


def _resources(params: dict) -> dict:
    found = {name: params[name] for name in RESOURCE_PARAMETERS if isinstance(params.get(name), str)}
    if "Entries" in params:  # PutEvents names its bus per entry
        buses = sorted({entry.get("EventBusName", "default") for entry in params["Entries"] if isinstance(entry, dict)})
        found["EventBusName"] = buses[0] if len(buses) == 1 else buses
    return found


def install() -> None:
    """Wraps botocore's one door for API calls, so that every client records: boto3's default
    session, Powertools' own sessions and clients made later alike."""
    if not config.flag("AUDIT_AWS_CALLS") or getattr(botocore.client.BaseClient, "_shop_recorded", False):
        return
    make_api_call = botocore.client.BaseClient._make_api_call

    def recorded(self, operation_name, api_params):
        line = {
            MARK: {
                "service": self.meta.service_model.service_name,
                "operation": operation_name,
                "resources": _resources(api_params),
            }
        }
        print(json.dumps(line), file=sys.stdout, flush=True)
        return make_api_call(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = recorded
    botocore.client.BaseClient._shop_recorded = True
