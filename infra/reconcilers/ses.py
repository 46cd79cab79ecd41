"""Sender identities. Verifying is idempotent; LocalStack verifies at once, AWS after a confirmation email."""

from infra.model import EmailSender
from infra.target import Target, log


def ensure_sender(target: Target, sender: EmailSender) -> None:
    target.client("ses").verify_email_identity(EmailAddress=sender.address)


def delete_sender(target: Target, sender: EmailSender) -> None:
    ses = target.client("ses")
    if sender.address in ses.list_identities(IdentityType="EmailAddress")["Identities"]:
        ses.delete_identity(Identity=sender.address)
        log(f"sender {sender.address} deleted")
