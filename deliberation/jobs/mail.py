"""E-mail: SMTP_URL read into settings, one message sent.

SMTP_URL: ``smtp://user:password@host:port`` (``?starttls=1`` to upgrade the connection),
``smtps://…`` for TLS from the start; the sender is MAIL_FROM, else ``?from=``, else noreply@host.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    ssl: bool
    starttls: bool
    sender: str
    timeout: float


def settings(url: str, mail_from: str | None = None, timeout: float = 30) -> SmtpSettings:
    """Read smtp[s]://user:pass@host:port?starttls=1&from=… into settings."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:password@host:port")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    use_ssl = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if use_ssl else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        ssl=use_ssl,
        starttls=query.get("starttls", "").lower() in TRUE,
        sender=mail_from or query.get("from") or f"noreply@{parts.hostname}",
        timeout=float(query.get("timeout", timeout)),
    )


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    if smtp.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
    if smtp.username:
        client.login(smtp.username, smtp.password or "")
    return client


def _message(sender: str, to_address: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to_address
    message["Subject"] = subject
    message.set_content(body)
    return message


def send(smtp: SmtpSettings, to_address: str, subject: str, body: str) -> None:
    """One message over a connection of its own; smtplib.SMTPException or OSError when refused."""
    client = _connect(smtp)
    try:
        client.send_message(_message(smtp.sender, to_address, subject, body))
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()
        client.close()
