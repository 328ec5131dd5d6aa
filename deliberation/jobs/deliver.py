"""Delivery of notifications beyond the site: rows queued in the notification's transaction, each sent by
one job, claimed so that it is sent once, retried with growing waits, failed after MAX_ATTEMPTS.

`queue()` is called at the end of `consultations.notifications.notify` with the notifications just
written. For each recipient it writes one row per chosen channel (e-mail where SMTP_URL is set and the
user gave an address; SMS where the user's person has a phone), or, for those who chose the daily
digest, one held row that `digest.py` gathers the next morning. The rows' `key` is unique, so the same
message is never queued twice. Once the transaction commits, their ids are handed to `dispatch`
(jobs on Redis where REDIS_URL is set, else sent in this process after the response).

`send_one()` claims a row with a conditional UPDATE (pending and due → sending, attempts + 1) and
sends only when that UPDATE changed it: two workers given the same row never both send it.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import event, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, SessionTransaction

from deliberation.accounts.models import Person, User
from deliberation.db import utcnow
from deliberation.jobs import mail, sms
from deliberation.jobs import queue as job_queue
from deliberation.jobs.models import Channel, Delivery, DeliveryStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_SECONDS = 60  # the first wait; each further one doubles (DELIVERY_RETRY_SECONDS)
DISPATCH = "jobs.dispatch"  # session.info: ids of rows queued in the open transaction
SMS_LENGTH = 300


def backoff(attempts: int, base: float = RETRY_SECONDS) -> timedelta:
    """The wait before the next try after `attempts` failed ones: base, 2×base, 4×base …"""
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


@dataclass(frozen=True)
class Recipient:
    """What the channels need to know of one user."""

    id: int
    email: str | None
    phone: str | None
    notify_email: bool
    notify_sms: bool
    notify_digest: bool

    def channels(self, smtp: bool) -> list[tuple[Channel, str]]:
        """The channels besides the site this user chose and can be reached by, with their address."""
        chosen = []
        if smtp and self.notify_email and self.email:
            chosen.append((Channel.EMAIL, self.email))
        if self.notify_sms and self.phone:
            chosen.append((Channel.SMS, self.phone))
        return chosen


def recipients(session: Session, user_ids: Iterable[int]) -> dict[int, Recipient]:
    """The active users among these, with their channels and addresses: one query."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(User.id, User.email, Person.phone, User.notify_email, User.notify_sms, User.notify_digest)
        .outerjoin(Person, Person.id == User.person_id)
        .where(User.id.in_(ids), User.is_active_account.is_(True))
    ).all()
    return {row.id: Recipient(*row) for row in rows}


def smtp_configured() -> bool:
    return has_app_context() and bool(current_app.config.get("SMTP_URL"))


def subject_of(text: str) -> str:
    return _("【议事平台】%(text)s", text=text)[:200]


def absolute(link: str) -> str:
    """The link as a recipient outside the site opens it: the site's address (SITE_URL) before the path.

    SITE_URL wins inside a request too. Behind nginx the request's address is built from the Host header (or
    X-Forwarded-Host through ProxyFix), which the client chooses: a message written during one person's
    request goes to others (a report tells the moderators), and must not carry an address that person made
    up. Without SITE_URL, a request's own address is the best there is; the scheduler and the worker have
    none, and the path stays as it is."""
    if not link:
        return link
    site = current_app.config.get("SITE_URL") if has_app_context() else None
    if site:
        return site.rstrip("/") + link
    if has_request_context():
        return request.url_root.rstrip("/") + link
    return link


def email_body(text: str, link: str) -> str:
    return text + ("\n\n" + _("查看详情：%(link)s", link=link) if link else "")


def sms_text(text: str, link: str) -> str:
    return (subject_of(text) + (" " + link if link else ""))[:SMS_LENGTH]


def queue(session: Session, notifications: list[dict]) -> int:
    """Rows for the notifications just written (dicts with id, user_id, text, link, and optionally key),
    per recipient's channels; held for the digest where the recipient chose it. Sent once the transaction
    commits; a key already queued is skipped."""
    if not notifications:
        return 0
    people = recipients(session, (n["user_id"] for n in notifications))
    smtp = smtp_configured()
    values = []
    for n in notifications:
        person = people.get(n["user_id"])
        chosen = person.channels(smtp) if person else []
        if not chosen:
            continue
        link = absolute(n.get("link") or "")
        text = n["text"]
        # A caller may name the message itself (e.g. "remind:v12:u5"), so that it is sent once however many
        # notifications say it; otherwise the notification's id names it.
        key = n.get("key") or f"n{n['id']}"
        if person.notify_digest:
            values.append(delivery_values(f"{key}:digest", person.id, Channel.DIGEST, "", text[:200],
                                          email_body(text, link), DeliveryStatus.HELD))
            continue
        for channel, address in chosen:
            body = email_body(text, link) if channel == Channel.EMAIL else sms_text(text, link)
            values.append(delivery_values(f"{key}:{channel}", person.id, channel, address, subject_of(text),
                                          body))
    return len(insert_rows(session, values))


def delivery_values(key: str, user_id: int, channel: Channel, address: str, subject: str, body: str,
         status: DeliveryStatus = DeliveryStatus.PENDING) -> dict:
    now = utcnow()
    return {"key": key, "user_id": user_id, "channel": channel, "address": address, "subject": subject[:200],
            "body": body, "status": status, "attempts": 0, "last_error": "", "created_at": now, "due_at": now}


def insert_rows(session: Session, values: list[dict]) -> list[int]:
    """Insert deliveries, skipping keys already queued; the pending ones are dispatched after commit."""
    if not values:
        return []
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Delivery).on_conflict_do_nothing(index_elements=["key"]).returning(Delivery.id, Delivery.status)
    inserted = session.execute(stmt, values).all()
    pending = [row.id for row in inserted if row.status == DeliveryStatus.PENDING]
    mark_for_dispatch(session, pending)
    return [row.id for row in inserted]


def mark_for_dispatch(session: Session, ids: list[int]) -> None:
    if ids:
        session.info.setdefault(DISPATCH, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    """Rows were queued and are now committed: hand them to the queue (or this process's sender)."""
    ids = session.info.pop(DISPATCH, None)
    if not ids or not has_app_context():
        return
    app = current_app._get_current_object()
    if app.config.get("DELIVER_AFTER_COMMIT", True):
        dispatch(app, ids)


SEND_DELIVERY = "deliberation.jobs.tasks.send_delivery"
_lock = threading.Lock()  # one in-process sender at a time; rows are claimed in the database anyway


def dispatch(app: Flask, ids: list[int]) -> None:
    """Hand these deliveries to the queue (REDIS_URL), or to a sender thread after the response. Never
    raises: rows that could not be enqueued stay pending and the scheduler's sweep sends them."""
    if not ids:
        return
    if app.config.get("REDIS_URL"):
        try:
            job_queue.enqueue_each(app, SEND_DELIVERY, ids)
        except Exception:
            logger.exception("jobs: could not enqueue %d deliveries", len(ids))
        return
    job_queue.after_response(lambda: threading.Thread(target=send_in_process, args=(app, ids), name="deliveries",
                                                  daemon=True).start())


def send_in_process(app: Flask, ids: list[int]) -> dict[str, int]:
    """Send these deliveries in a context of their own (no Redis); never raises."""
    from deliberation.extensions import db

    counts: dict[str, int] = {}
    with _lock, app.app_context():
        try:
            for delivery_id in ids:
                outcome, _wait = send_one(db.session, delivery_id)
                counts[outcome] = counts.get(outcome, 0) + 1
        except Exception:  # a sender must never take a worker thread down
            logger.exception("jobs: sending failed")
            db.session.rollback()
        finally:
            db.session.remove()
    return counts


@event.listens_for(Session, "after_transaction_end")
def _forget_dispatch(session: Session, transaction: SessionTransaction) -> None:
    """Rolled back or closed without a commit: the queued rows are gone, nothing to send."""
    if transaction.parent is None:
        session.info.pop(DISPATCH, None)


# -- sending -----------------------------------------------------------------------------------


class Outcome:
    SENT = "sent"
    RETRY = "retry"  # failed, pending again at due_at
    FAILED = "failed"  # failed for the last time
    SKIPPED = "skipped"  # not pending, not due, or claimed by another worker


def due_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Pending rows whose time has come, oldest first (the scheduler's sweep: lost jobs, retries)."""
    return list(session.execute(
        select(Delivery.id).where(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now)
        .order_by(Delivery.due_at, Delivery.id).limit(limit)
    ).scalars())


def claim(session: Session, delivery_id: int, now: datetime) -> bool:
    """pending and due → sending (due_at: when this attempt began), the attempt counted first; committed, so
    only one worker wins."""
    claimed = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now)
        .values(status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1, due_at=now)
    ).rowcount
    session.commit()
    return claimed == 1


STALE_AFTER = timedelta(minutes=15)


def fail_interrupted(session: Session, now: datetime) -> int:
    """Rows still `sending` long after their attempt began: the sender stopped midway (a killed worker).
    Whether the message left is unknown, so they are not sent again by themselves: they are marked failed
    for a moderator to look at and send again (消息发送记录)."""
    return session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.due_at < now - STALE_AFTER)
        .values(status=DeliveryStatus.FAILED, last_error="Interrupted: the sender stopped while sending")
    ).rowcount


def send_one(session: Session, delivery_id: int, now: datetime | None = None) -> tuple[str, timedelta | None]:
    """Send one delivery if this worker claims it. Returns the outcome and, for a retry, the wait.

    No transaction stays open while the message travels (a slow mail server or SMS gateway holds no lock).
    """
    now = now or utcnow()
    if not claim(session, delivery_id, now):
        return Outcome.SKIPPED, None
    message = session.execute(
        select(Delivery.channel, Delivery.address, Delivery.subject, Delivery.body, Delivery.attempts)
        .where(Delivery.id == delivery_id)
    ).one()
    session.commit()
    config = current_app.config
    try:
        transport(config, message)
    except (smtplib.SMTPException, OSError, sms.SmsError, ValueError) as error:
        error_text = f"{type(error).__name__}: {error}"[:500]
        wait = None
        values: dict = {"last_error": error_text}
        if message.attempts >= config.get("DELIVERY_MAX_ATTEMPTS", MAX_ATTEMPTS):
            values["status"] = DeliveryStatus.FAILED
        else:
            wait = backoff(message.attempts, config.get("DELIVERY_RETRY_SECONDS", RETRY_SECONDS))
            values |= {"status": DeliveryStatus.PENDING, "due_at": now + wait}
        session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))
        session.commit()
        logger.warning("delivery %s (%s) not sent, attempt %d: %s", delivery_id, message.channel,
                       message.attempts, error_text)
        return (Outcome.FAILED, None) if wait is None else (Outcome.RETRY, wait)
    session.execute(update(Delivery).where(Delivery.id == delivery_id)
                    .values(status=DeliveryStatus.SENT, sent_at=utcnow(), last_error=""))
    session.commit()
    return Outcome.SENT, None


def transport(config, delivery) -> None:
    """Hand the message to its channel; raises when it was not accepted."""
    if delivery.channel == Channel.EMAIL:
        url = config.get("SMTP_URL")
        if not url:
            raise ValueError("SMTP_URL is not set")
        smtp = mail.settings(url, config.get("MAIL_FROM"), config.get("SMTP_TIMEOUT", 30))
        mail.send(smtp, delivery.address, delivery.subject, delivery.body)
    elif delivery.channel == Channel.SMS:
        sms.send(config.get("SMS_URL"), delivery.address, delivery.body,
                 instance_path=current_app.instance_path, timeout=config.get("SMS_TIMEOUT", 10))
    else:
        raise ValueError(f"nothing sends {delivery.channel} deliveries")
