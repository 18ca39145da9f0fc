"""Senders deliver one notification each: by email, by SMS, or to the log.

A sender raises on failure; the dispatcher records the error and retries later. The
console sender is the default for both channels, so a development server and the tests
can read links and codes from the log without any mail or SMS account.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from server.settings import Settings

log = logging.getLogger("casegraph.notify")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A notification ready to go: the row's fields with the public URL filled in."""

    id: int
    channel: str  # "email" or "sms"
    kind: str
    recipient: str
    subject: str | None
    body: str


class Sender(Protocol):
    async def send(self, message: Outgoing) -> None:
        """Deliver the message or raise."""


class ConsoleSender:
    """Logs one JSON line per notification (the default): with the server's JSON log
    format, `{"message": "notification", "channel": …, "recipient": …, "body": …}`."""

    async def send(self, message: Outgoing) -> None:
        log.info(
            "notification",
            extra={
                "notification": message.id,
                "channel": message.channel,
                "kind": message.kind,
                "recipient": message.recipient,
                "subject": message.subject,
                "body": message.body,
            },
        )


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    security: str = "starttls"  # "starttls", "ssl" or "none"
    timeout: float = 30.0


class SmtpEmailSender:
    """Email through an SMTP server. The standard library's smtplib, run in a worker
    thread: one short session per message needs no extra dependency."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, message: Outgoing) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: Outgoing) -> None:
        config = self.config
        email = EmailMessage()
        email["From"] = config.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        email.set_content(message.body)
        smtp: smtplib.SMTP
        if config.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout,
                context=ssl.create_default_context(),
            )  # fmt: skip
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        with smtp:
            if config.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config.username:
                smtp.login(config.username, config.password or "")
            smtp.send_message(email)


@dataclass(frozen=True, slots=True)
class Senders:
    """The sender for each channel."""

    email: Sender
    sms: Sender

    def for_channel(self, channel: str) -> Sender:
        if channel == "email":
            return self.email
        if channel == "sms":
            return self.sms
        raise ValueError(f"unknown notification channel {channel!r}")


def senders_from_settings(settings: Settings) -> Senders:
    """SMTP for email when SMTP_HOST is set, else the console; SMS always to the console
    until an SMS provider is wired in (implement `Sender` and add it here)."""
    console = ConsoleSender()
    email: Sender = console
    if settings.smtp_host:
        email = SmtpEmailSender(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_from,
                username=settings.smtp_username,
                password=settings.smtp_password,
                security=settings.smtp_security,
            )
        )
    return Senders(email=email, sms=console)
