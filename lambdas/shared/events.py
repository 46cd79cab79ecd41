"""Publishing domain events to EventBridge."""

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from shared.errors import ServiceUnavailable
from shared.http import to_json


class EventPublisher:
    def __init__(self, bus_name: str):
        self.bus_name = bus_name
        self.client = boto3.client("events")

    def publish(self, source: str, detail_type: str, detail: dict) -> str:
        """Puts one event; ServiceUnavailable unless EventBridge accepted it."""
        entry = {"EventBusName": self.bus_name, "Source": source, "DetailType": detail_type, "Detail": to_json(detail)}
        try:
            response = self.client.put_events(Entries=[entry])
        except (BotoCoreError, ClientError) as e:
            raise ServiceUnavailable(f"could not publish {detail_type}: {e}") from e
        result = response["Entries"][0]
        if response.get("FailedEntryCount") or "EventId" not in result:
            raise ServiceUnavailable(f"could not publish {detail_type}: {result.get('ErrorMessage', 'rejected')}")
        return result["EventId"]
