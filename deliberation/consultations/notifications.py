"""Notifications: tell users inside the site (and queue them by their other channels: jobs.deliver), read
them, count them, the newest unread."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from datetime import datetime

from flask import has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import Connection, String, any_, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Membership, Role, User
from deliberation.accounts.roles import role_listeners
from deliberation.booking.bookings import decision_listeners
from deliberation.booking.models import Booking, BookingStatus
from deliberation.consultations.models import Comment, Notification
from deliberation.db import utcnow
from deliberation.jobs import deliver
from deliberation.pagination import Page, paginate


def consultation_link(consultation_id: int, anchor: str = "") -> str:
    """The session page (at a comment, with an anchor), as notifications link to it."""
    return f"/consultations/{consultation_id}" + (f"#{anchor}" if anchor else "")


# What a notification says: a plain str (already worded), or a message worded for each recipient in their own
# language — a lazy_gettext string with its parameters (``_l("…%(title)s", title=…)``) or a callable.
Message = str | LazyString | Callable[[], str]

LANGUAGES = ("zh_Hans", "en")


def _language(locale: str | None) -> str:
    """The language a user reads notifications in: their chosen one, Chinese first."""
    return locale if locale in LANGUAGES else "zh_Hans"


def word(message: Message) -> str:
    """The message in the language now in force."""
    if isinstance(message, str):
        return message
    if isinstance(message, LazyString):
        return str(message)
    return str(message())


def _languages(session: Session, ids: list[int]) -> dict[int, str]:
    """Each recipient's language (users that no longer exist are left out)."""
    return {uid: _language(locale) for uid, locale in
            session.execute(select(User.id, User.locale).where(User.id.in_(ids))).all()}


def notify(session: Session, user_ids: Iterable[int], kind: str, text: Message, link: str = "") -> int:
    """Tell users inside the site, each in their language (see Message); then queue the same message by the
    other channels each chose (jobs.deliver: e-mail, SMS, the daily digest), written in this same transaction,
    sent after it, worded in the recipient's language too.
    """
    return notify_each(session, [(user_ids, text)], kind, link)


def notify_each(session: Session, messages: Iterable[tuple[Iterable[int], Message]], kind: str,
                link: str = "") -> int:
    """Several messages of one kind and link, each to its own users (the voters whose ballots paper forms
    replaced: each their unit and receipt), told as `notify` tells one: the readers' languages read once, then
    one INSERT and one queue of deliveries per language, however many messages."""
    messages = [(sorted(set(ids)), text) for ids, text in messages]
    everyone = sorted({uid for ids, _text in messages for uid in ids})
    if not everyone:
        return 0
    now = utcnow()
    worded = any(not isinstance(text, str) for _ids, text in messages)
    language_of = _languages(session, everyone) if worded else {}
    by_language: dict[str | None, list[dict]] = {}
    for ids, text in messages:
        groups: dict[str | None, list[int]] = {}
        for uid in ids:
            if isinstance(text, str):
                groups.setdefault(None, []).append(uid)
            elif uid in language_of:
                groups.setdefault(language_of[uid], []).append(uid)
        for language, group in groups.items():
            with speaking(language):
                said = word(text)[:500]
            by_language.setdefault(language, []).extend(
                {"user_id": uid, "kind": kind, "text": said, "link": link, "created_at": now} for uid in group)
    for language, rows in by_language.items():
        written = session.execute(
            insert(Notification).returning(Notification.id, Notification.user_id, sort_by_parameter_order=True),
            rows,
        ).all()
        for row, (notification_id, _user_id) in zip(rows, written, strict=True):
            row["id"] = notification_id
        with speaking(language):
            deliver.queue(session, rows)
    return sum(len(ids) for ids, _text in messages)


@contextmanager
def speaking(language: str | None):
    """Word what follows in this language (None: leave the language in force as it is)."""
    if language is None or not has_app_context():
        yield
        return
    with force_locale(language):
        yield


def announce_reply(session: Session, comment: Comment) -> None:
    """Tell the author of the comment replied to (once the reply is public)."""
    parent = comment.parent
    if parent is None or parent.author_id == comment.author_id:
        return
    title = comment.consultation.title
    if comment.is_official_answer:
        text = _l("您在“%(title)s”中的意见收到了正式答复", title=title)
    else:
        text = _l("有人回复了您在“%(title)s”中的意见", title=title)
    notify(
        session,
        [parent.author_id],
        "answer" if comment.is_official_answer else "reply",
        text,
        consultation_link(comment.consultation_id, f"comment-{comment.id}"),
    )



def announce_role_change(session: Session, actor: User, membership: Membership, previous: Role) -> None:
    """Tell a member that an administrator made them a moderator, or no longer one (accounts.roles)."""
    community = membership.community
    if membership.role == Role.MODERATOR:
        text = _l("%(actor)s 已任命您为“%(community)s”的主持人", actor=actor.display_name, community=community.name)
    else:
        text = _l("%(actor)s 已撤销您在“%(community)s”的主持人角色", actor=actor.display_name,
                 community=community.name)
    notify(session, [membership.user_id], "role", text, f"/communities/{community.id}")


if announce_role_change not in role_listeners:
    role_listeners.append(announce_role_change)


def moderators_of(session: Session, community_id: int) -> list[int]:
    """The users who run a community: its moderators and its own administrators."""
    return list(session.execute(
        select(Membership.user_id).where(Membership.community_id == community_id,
                                         Membership.role.in_([Role.MODERATOR, Role.ADMIN]))
    ).scalars())


def announce_report(session: Session, actor: User, comment: Comment, reason: str) -> None:
    """Tell the community's moderators that a comment was reported (comments.report_comment)."""
    consultation = comment.consultation
    notify(
        session,
        [uid for uid in moderators_of(session, consultation.community_id) if uid != actor.id],
        "report",
        _l("“%(title)s”中的一条意见被举报，理由：%(reason)s", title=consultation.title, reason=reason),
        f"/communities/{consultation.community_id}/moderation",
    )


def announce_booking_decision(session: Session, actor: User, booking: Booking) -> None:
    """Tell the holder of a booking that a moderator approved or declined it (booking.bookings)."""
    if booking.booked_by_id == actor.id:
        return
    facts = {"room": booking.room.name, "title": booking.title, "when": booking.when}
    if booking.status == BookingStatus.APPROVED:
        text = _l("您预约的%(room)s（%(when)s，“%(title)s”）已获批准", **facts)
    elif booking.decision_note:
        text = _l("您预约的%(room)s（%(when)s，“%(title)s”）未获批准，说明：%(note)s", note=booking.decision_note,
                  **facts)
    else:
        text = _l("您预约的%(room)s（%(when)s，“%(title)s”）未获批准", **facts)
    notify(session, [booking.booked_by_id], "booking", text, "/bookings/mine")


if announce_booking_decision not in decision_listeners:
    decision_listeners.append(announce_booking_decision)


def unread_count(session: Session, user: User) -> int:
    """How many of the user's notifications are unread."""
    return (
        session.execute(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        ).scalar()
        or 0
    )


def mark_notifications_read(session: Session, actor: User) -> int:
    """Mark all of the user's notifications read."""
    count = session.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount
    audit.record(session, actor, "notification.read", None, count=count)
    return count


_notices = Notification.__table__


def _read_about(kind_is_one_of):
    return (update(_notices)
            .where(_notices.c.user_id == bindparam("reader"), _notices.c.read_at.is_(None),
                   _notices.c.link == bindparam("page"), kind_is_one_of)
            .values(read_at=bindparam("moment")))


# Compiled once: it runs in the transaction of a ballot, the hot path of a vote. READ_ABOUT_PG takes the kinds as
# one array parameter (``kind = ANY(:kinds)``): the expanding IN of READ_ABOUT is rewritten at every run, a cost
# of its own on a ballot (voting.quick, on PostgreSQL).
READ_ABOUT = _read_about(_notices.c.kind.in_(bindparam("kinds", expanding=True)))
READ_ABOUT_PG = _read_about(_notices.c.kind == any_(bindparam("kinds", type_=postgresql.ARRAY(String))))


def read_about(db: Session | Connection, user_id: int, link: str, kinds: Sequence[str],
               now: datetime | None = None) -> int:
    """The user's unread notices of these kinds that link to this page, read: what they asked is done (a ballot
    cast, a survey answered), so they no longer wait on the front door. One UPDATE, in the caller's transaction
    (a Session, or the Core connection of voting.quick); not audited apart: the ballot or the answer is."""
    return db.execute(READ_ABOUT, read_about_parameters(user_id, link, kinds, now)).rowcount


def read_about_parameters(user_id: int, link: str, kinds: Sequence[str], now: datetime | None = None) -> dict:
    """READ_ABOUT's parameters, also for a statement that runs it as its WITH (voting.quick on PostgreSQL)."""
    return {"reader": user_id, "page": link, "kinds": list(kinds), "moment": now or utcnow()}


def notifications_of(session: Session, user: User, *, page: int | None = None, per_page: int = 30) -> Page:
    """The user's notifications, newest first."""
    stmt = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return paginate(session, stmt, per_page=per_page, number=page or 1)


def latest_unread(session: Session, user: User, limit: int = 3) -> list[Notification]:
    """The user's newest unread notifications (one query)."""
    return list(session.execute(
        select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ).scalars())
