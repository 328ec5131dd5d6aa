"""Notifications: tell users inside the site (and queue them by their other channels: jobs.deliver), read
them, count them, the newest unread."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Membership, Role, User
from deliberation.accounts.roles import role_listeners
from deliberation.consultations.models import Comment, Notification
from deliberation.db import utcnow
from deliberation.jobs import deliver
from deliberation.pagination import Page, paginate


def consultation_link(consultation_id: int, anchor: str = "") -> str:
    """The session page (at a comment, with an anchor), as notifications link to it."""
    return f"/consultations/{consultation_id}" + (f"#{anchor}" if anchor else "")


def notify(session: Session, user_ids: Iterable[int], kind: str, text: str, link: str = "") -> int:
    """Tell users inside the site; then queue the same message by the other channels each chose
    (jobs.deliver: e-mail, SMS, the daily digest), written in this same transaction, sent after it.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    now = utcnow()
    text = text[:500]
    rows = [{"user_id": uid, "kind": kind, "text": text, "link": link, "created_at": now} for uid in ids]
    written = session.execute(
        insert(Notification).returning(Notification.id, Notification.user_id, sort_by_parameter_order=True), rows
    ).all()
    for row, (notification_id, _user_id) in zip(rows, written, strict=True):
        row["id"] = notification_id
    deliver.queue(session, rows)
    return len(ids)



def announce_reply(session: Session, comment: Comment) -> None:
    """Tell the author of the comment replied to (once the reply is public)."""
    parent = comment.parent
    if parent is None or parent.author_id == comment.author_id:
        return
    title = comment.consultation.title
    if comment.is_official_answer:
        text = _("您在“%(title)s”中的意见收到了正式答复", title=title)
    else:
        text = _("有人回复了您在“%(title)s”中的意见", title=title)
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
        text = _("%(actor)s 已任命您为“%(community)s”的主持人", actor=actor.display_name, community=community.name)
    else:
        text = _("%(actor)s 已撤销您在“%(community)s”的主持人角色", actor=actor.display_name,
                 community=community.name)
    notify(session, [membership.user_id], "role", text, f"/communities/{community.id}")


if announce_role_change not in role_listeners:
    role_listeners.append(announce_role_change)


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
