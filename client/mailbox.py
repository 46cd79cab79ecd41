"""The emails the shop sent, from LocalStack's SES mailbox (/_aws/ses, LocalStack only: on AWS they
are delivered)."""

import json
import urllib.parse
import urllib.request

from infra import settings
from infra.model import EmailSender
from infra.stack import EMAIL_SENDER


def sent_emails(sender: EmailSender = EMAIL_SENDER, endpoint_url: str | None = None) -> list[dict]:
    query = urllib.parse.urlencode({"email": sender.address})
    with urllib.request.urlopen(
        f"{endpoint_url or settings.require_local_endpoint()}/_aws/ses?{query}", timeout=5
    ) as response:
        return json.load(response)["messages"]


def emails_about(checkout_id: str) -> list[dict]:
    """The confirmation emails of one checkout (its id is in the subject)."""
    return [message for message in sent_emails() if checkout_id in message["Subject"]]
