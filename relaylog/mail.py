"""Sending one mail over SMTP (aiosmtplib), configured by settings: host, port, STARTTLS,
credentials, timeout. The message is plain text from ``relaylog.mail_texts``, with a
``Message-ID`` made from the notification's id, so a mail sent again after a crash in the
instant between the server's "250 OK" and our record of it is recognisably the same mail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from models.base import utcnow
from relaylog.mail_texts import MailText
from relaylog.settings import Settings

__all__ = ["Mailer", "OutgoingMail", "checked_address", "message_id_for"]

MESSAGE_ID_DOMAIN = "relaylog.invalid"


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    to: str
    language: str
    text: MailText
    notification_id: uuid.UUID


def message_id_for(notification_id: uuid.UUID) -> str:
    return f"<{notification_id}@{MESSAGE_ID_DOMAIN}>"


def checked_address(raw: str | None) -> str | None:
    """The address if it is one a mail can go to (one ``local@domain.tld``, no display name,
    no line breaks), else ``None``."""
    if raw is None:
        return None
    candidate = raw.strip()
    if not candidate or any(c.isspace() or ord(c) < 32 for c in candidate):
        return None
    try:
        address = Address(addr_spec=candidate)
    except (ValueError, IndexError, TypeError):
        return None
    if not address.username or "." not in address.domain or address.addr_spec != candidate:
        return None
    return candidate


class Mailer:
    """Sends through the configured SMTP server; one connection per mail (the worker sends
    few, and a fresh connection recovers from any server-side state)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def message(self, mail: OutgoingMail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = mail.to
        message["Subject"] = mail.text.subject
        message["Date"] = format_datetime(utcnow())
        message["Message-ID"] = message_id_for(mail.notification_id)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(mail.text.body)
        message["Content-Language"] = mail.language  # after set_content, which clears Content-*
        return message

    async def send(self, mail: OutgoingMail) -> None:
        s = self.settings
        await aiosmtplib.send(
            self.message(mail),
            hostname=s.smtp_host,
            port=s.smtp_port,
            start_tls=s.smtp_starttls,
            use_tls=False,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=s.smtp_timeout_seconds,
        )
