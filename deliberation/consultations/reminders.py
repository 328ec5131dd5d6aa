"""Reminders before a vote or a survey closes, and the notices the clock sets off rather than a person.

The moderator picks the days before the close on which those who may take part and have not yet done so are
reminded (``reminder_days``: "3,1" is three days and one day before; "" none). Those who took part are never
reminded. Each capability that closes something says whom to remind and registers a source here
(voting.telling, surveys.telling), so this module imports none of them; ``send_due(session, now)`` runs every
source (the scheduler calls it each minute; ``flask reminders send`` by hand or from cron).

Sent once, whatever runs at once: a round (an opening, a result, a reminder day of one vote or survey) is
claimed by inserting its row of notice_rounds, and each person reminded by a row of reminders_sent, both
under a unique key with INSERT … ON CONFLICT DO NOTHING — a second worker inserts nothing and tells nobody.

Attention: a reminder day whose moment came before the opening is skipped (the opening notice has just told
them), and when several days are due at once (the scheduler was down) only the nearest to the close is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliberation.consultations.models import NoticeRound, ReminderSent
from deliberation.errors import Invalid
from deliberation.jobs import periodic

logger = logging.getLogger(__name__)

MAX_DAYS = 14  # a reminder at most two weeks before the close
DEFAULT_DAYS = "1"

# Each source sends what is due of its capability and answers how many people it told: (session, now) -> int.
sources: list[Callable[[Session, datetime], int]] = []


def check_days(value: str | Iterable[int] | None) -> str:
    """The reminder days as stored ("3,1": distinct whole days from 1 to MAX_DAYS, farthest first; "" none),
    from what a form or the API sent ("3, 1", "1 3", [3, 1]); None gives the default (one day before)."""
    if value is None:
        return DEFAULT_DAYS
    parts = value.replace("，", ",").replace(" ", ",").split(",") if isinstance(value, str) else list(value)
    days = set()
    for part in parts:
        if isinstance(part, str) and not part.strip():
            continue
        try:
            day = int(part)
        except (TypeError, ValueError):
            day = 0
        if not 1 <= day <= MAX_DAYS:
            message = _("提醒须为截止前 1 到 %(n)d 天的整数，用逗号分开，如 3,1", n=MAX_DAYS)
            raise Invalid(message, fields={"reminder_days": message})
        days.add(day)
    return ",".join(str(day) for day in sorted(days, reverse=True))


def days_of(stored: str | None) -> list[int]:
    """The stored reminder days as numbers, farthest first."""
    return sorted({int(part) for part in (stored or "").split(",") if part.strip().isdigit()}, reverse=True)


def due_days(opened_at: datetime | None, closes_at: datetime | None, stored: str | None, done: set[str],
             now: datetime) -> tuple[int | None, list[str]]:
    """Which reminder to send now and which rounds it settles: (the day to remind, or None; the rounds to claim).

    A day is due once its moment (closes_at − days) has come while the vote or survey is open; a day whose
    moment came before the opening is settled without a reminder; of several due at once, only the nearest
    to the close is sent."""
    if opened_at is None or closes_at is None or now >= closes_at:
        return None, []
    due = [day for day in days_of(stored) if closes_at - timedelta(days=day) <= now
           and f"remind:{day}" not in done]
    if not due:
        return None, []
    nearest = min(due)
    send = nearest if closes_at - timedelta(days=nearest) >= opened_at else None
    return send, [f"remind:{day}" for day in due]


def _upsert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def rounds_done(session: Session, subject: str, subject_ids: list[int]) -> dict[int, set[str]]:
    """The rounds already sent for these votes or surveys: one query."""
    done: dict[int, set[str]] = {subject_id: set() for subject_id in subject_ids}
    if subject_ids:
        for subject_id, round_ in session.execute(select(NoticeRound.subject_id, NoticeRound.round).where(
                NoticeRound.subject == subject, NoticeRound.subject_id.in_(subject_ids))).all():
            done[subject_id].add(round_)
    return done


def claim_rounds(session: Session, subject: str, subject_id: int, rounds: list[str], now: datetime) -> set[str]:
    """Claim these rounds of one vote or survey: the ones this transaction got (none that another has sent)."""
    if not rounds:
        return set()
    table = NoticeRound.__table__
    stmt = _upsert(session)(table).on_conflict_do_nothing(
        index_elements=["subject", "subject_id", "round"]).returning(table.c.round)
    return set(session.execute(stmt, [{"subject": subject, "subject_id": subject_id, "round": round_,
                                       "sent_at": now} for round_ in rounds]).scalars())


def claim_reminders(session: Session, subject: str, subject_id: int, day: int, user_ids: Iterable[int],
                    now: datetime) -> list[int]:
    """Record the reminder of ``day`` for these people: those not reminded of it before (the ones to tell)."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    table = ReminderSent.__table__
    stmt = _upsert(session)(table).on_conflict_do_nothing(
        index_elements=["subject", "subject_id", "user_id", "days"]).returning(table.c.user_id)
    return sorted(session.execute(stmt, [{"subject": subject, "subject_id": subject_id, "user_id": uid,
                                          "days": day, "sent_at": now} for uid in ids]).scalars())


@periodic.task("reminders.due")
def send_due(session: Session, now: datetime) -> int:
    """Send every notice and reminder that is due (each source registered by its capability); flushes, never
    commits (the caller does). How many notices the sources counted (a vote brought up to its schedule tells
    its electorate through voting.lifecycle, uncounted)."""
    told = 0
    for source in sources:
        told += source(session, now)
    session.flush()
    if told:
        logger.info("reminders and scheduled notices: %s people told", told)
    return told
