"""E-mail of notifications: queued in the notification's transaction, sent after the response.

`queue()` writes outbox rows (only when SMTP_URL is set, only for users with an e-mail address) and
marks the session; once that transaction commits, sending is scheduled after the response has gone
out (`response.call_on_close`), in a thread of its own, so a slow or dead mail server never slows a
page. `flask outbox send` (commands.py) sends what is left, e.g. from cron after a restart.

SMTP_URL: ``smtp://user:password@host:port`` (``?starttls=1`` to upgrade the connection),
``smtps://…`` for TLS from the start; the sender is MAIL_FROM, else ``?from=``, else noreply@host.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, after_this_request, current_app, has_app_context, has_request_context
from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction

from deliberation.accounts.models import User
from deliberation.consultations.models import OutboxMessage
from deliberation.db import utcnow

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH = 50
PENDING = "consultations.outbox_pending"  # session.info flag: rows queued in the open transaction
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


# -- queueing ----------------------------------------------------------------------------------


def queue(session: Session, user_ids: Iterable[int], subject: str, body: str) -> int:
    """Outbox rows for those of these users who have an e-mail address, when SMTP_URL is set."""
    if not has_app_context() or not current_app.config.get("SMTP_URL"):
        return 0
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    addresses = session.execute(
        select(User.id, User.email).where(User.id.in_(ids), User.email.is_not(None), User.email != "")
    ).all()
    if not addresses:
        return 0
    now = utcnow()
    session.execute(
        insert(OutboxMessage),
        [
            {"user_id": uid, "to_address": email, "subject": subject[:200], "body": body, "created_at": now}
            for uid, email in addresses
        ],
    )
    session.info[PENDING] = True
    return len(addresses)


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    """Rows were queued and are now committed: send them once the response has gone out."""
    if not session.info.pop(PENDING, False) or not has_app_context():
        return
    app = current_app._get_current_object()
    if not app.config.get("OUTBOX_SEND_AFTER_RESPONSE", True):
        return

    def start() -> None:
        threading.Thread(target=send_pending, args=(app,), name="outbox", daemon=True).start()

    if has_request_context():
        try:
            @after_this_request
            def _on_close(response):
                response.call_on_close(start)
                return response
        except (AssertionError, RuntimeError):  # the response is already being made
            start()
        return
    start()


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    """Rolled back or closed without a commit: the queued rows are gone, nothing to send."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


# -- sending -----------------------------------------------------------------------------------


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0


_lock = threading.Lock()  # one sender per process at a time; rows are also claimed in the database


def send_pending(app: Flask, limit: int = BATCH) -> SendResult:
    """Send unsent messages (oldest first) in a context of their own; never raises."""
    with _lock, app.app_context():
        from deliberation.extensions import db

        try:
            return _send(db.session, app, limit)
        except Exception:  # a sender must never take a worker thread down
            logger.exception("outbox: sending failed")
            db.session.rollback()
            return SendResult()
        finally:
            db.session.remove()


def _claim(session: Session, message_id: int, attempts: int) -> bool:
    """Count the attempt first, so that two senders never send the same message twice."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.attempts == attempts,
        )
        .values(attempts=attempts + 1)
    ).rowcount
    session.commit()
    return claimed == 1


def _send(session: Session, app: Flask, limit: int) -> SendResult:
    url = app.config.get("SMTP_URL")
    result = SendResult()
    if not url:
        return result
    smtp = settings(url, app.config.get("MAIL_FROM"), app.config.get("SMTP_TIMEOUT", 30))
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.to_address, OutboxMessage.subject,
               OutboxMessage.body)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
               OutboxMessage.attempts < MAX_ATTEMPTS, OutboxMessage.to_address != "")
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    session.commit()
    if not rows:
        return result
    client: smtplib.SMTP | None = None
    try:
        for message_id, attempts, to_address, subject, body in rows:
            if not _claim(session, message_id, attempts):
                continue
            try:
                if client is None:
                    client = _connect(smtp)
                client.send_message(_message(smtp.sender, to_address, subject, body))
            except (smtplib.SMTPException, OSError) as error:
                _failed(session, message_id, attempts + 1, error)
                result.failed += 1
                if client is not None and isinstance(error, (smtplib.SMTPServerDisconnected, OSError)):
                    client.close()
                    client = None  # reconnect for the next message
                continue
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                            .values(sent_at=utcnow(), last_error=""))
            session.commit()
            result.sent += 1
    finally:
        if client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()
            client.close()
    if result.sent or result.failed:
        logger.info("outbox: %d sent, %d failed", result.sent, result.failed)
    return result


def _failed(session: Session, message_id: int, attempts: int, error: Exception) -> None:
    values = {"last_error": f"{type(error).__name__}: {error}"[:500]}
    if attempts >= MAX_ATTEMPTS:
        values["failed_at"] = utcnow()
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
    session.commit()
    logger.warning("outbox: message %s not sent (attempt %d): %s", message_id, attempts, error)


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
