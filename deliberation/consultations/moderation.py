"""Moderation: hide, restore and keep reported comments, the moderation queue (and its size per community),
the blocked words."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from deliberation import audit
from deliberation.accounts.models import Community, User
from deliberation.consultations.models import (
    BlockedWord,
    Comment,
    CommentReport,
    CommentStatus,
    Consultation,
)
from deliberation.consultations.notifications import announce_reply, consultation_link, notify
from deliberation.consultations.versions import bump_comments_version
from deliberation.db import utcnow
from deliberation.errors import Conflict, NotFound, require
from deliberation.pagination import Page, paginate
from deliberation.validation import clean_text


def blocked_words(session: Session, community_id: int) -> list[str]:
    """The community's blocked words, in order."""
    return list(
        session.execute(
            select(BlockedWord.word)
            .where(BlockedWord.community_id == community_id)
            .order_by(BlockedWord.word)
        ).scalars()
    )


def blocked_word_rows(session: Session, community: Community) -> list[BlockedWord]:
    """The community's blocked words as rows (for removing them), in order."""
    return list(
        session.execute(
            select(BlockedWord).where(BlockedWord.community_id == community.id).order_by(BlockedWord.word)
        ).scalars()
    )


def _resolve_reports(session: Session, comment: Comment) -> None:
    session.execute(
        update(CommentReport)
        .where(CommentReport.comment_id == comment.id, CommentReport.resolved_at.is_(None))
        .values(resolved_at=utcnow())
    )


def hide_comment(session: Session, actor: User, comment: Comment, reason: str) -> Comment:
    """Hide a comment with a reason; the text stays for moderators and the audit log; the author is told."""
    consultation = comment.consultation
    require(consultation.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    reason = clean_text(reason, "reason", _("隐藏理由"), max_length=500)
    if comment.status == CommentStatus.HIDDEN:
        raise Conflict(_("这条意见已经隐藏"))
    before = comment.status
    comment.status = CommentStatus.HIDDEN
    comment.hidden_reason = reason
    comment.hidden_by_id = actor.id
    comment.hidden_at = utcnow()
    _resolve_reports(session, comment)
    session.flush()
    bump_comments_version(session, consultation)
    audit.record(
        session,
        actor,
        "comment.hide",
        comment,
        community_id=consultation.community_id,
        reason=reason,
        before=before.value,
        body=comment.body,
    )
    notify(
        session,
        [comment.author_id],
        "hidden",
        _l("您在“%(title)s”中的意见已被隐藏，理由：%(reason)s", title=consultation.title, reason=reason),
        consultation_link(consultation.id, f"comment-{comment.id}"),
    )
    return comment


def restore_comment(session: Session, actor: User, comment: Comment) -> Comment:
    """Publish a hidden or pending comment (approving it from the queue)."""
    consultation = comment.consultation
    require(consultation.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if comment.status == CommentStatus.PUBLISHED:
        raise Conflict(_("这条意见已经公开"))
    before = comment.status
    comment.status = CommentStatus.PUBLISHED
    comment.hidden_reason = ""
    comment.hidden_by_id = None
    comment.hidden_at = None
    _resolve_reports(session, comment)
    session.flush()
    bump_comments_version(session, consultation)
    audit.record(
        session,
        actor,
        "comment.restore",
        comment,
        community_id=consultation.community_id,
        before=before.value,
    )
    if before == CommentStatus.PENDING:
        announce_reply(session, comment)
    return comment


def dismiss_reports(session: Session, actor: User, comment: Comment) -> Comment:
    """Keep a reported comment public and close its reports."""
    require(comment.consultation.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    _resolve_reports(session, comment)
    session.flush()
    audit.record(
        session, actor, "comment.reports_dismissed", comment, community_id=comment.consultation.community_id
    )
    return comment


def _open_reports():
    return (
        select(CommentReport.comment_id, func.count(CommentReport.id).label("reports"))
        .where(CommentReport.resolved_at.is_(None))
        .group_by(CommentReport.comment_id)
        .subquery()
    )


def _in_queue(open_reports):
    """Pending comments, and published ones with open reports: what the moderation queue holds."""
    return or_(
        Comment.status == CommentStatus.PENDING,
        and_(open_reports.c.reports > 0, Comment.status == CommentStatus.PUBLISHED),
    )


def queue_counts(session: Session, community_ids: Sequence[int]) -> dict[int, int]:
    """How many comments wait in each community's moderation queue: one query for all of them."""
    if not community_ids:
        return {}
    open_reports = _open_reports()
    return dict(session.execute(
        select(Consultation.community_id, func.count(Comment.id))
        .join(Consultation, Consultation.id == Comment.consultation_id)
        .outerjoin(open_reports, open_reports.c.comment_id == Comment.id)
        .where(Consultation.community_id.in_(community_ids), _in_queue(open_reports))
        .group_by(Consultation.community_id)
    ).all())


def moderation_queue(session: Session, actor: User, community: Community, page: int | None = None) -> Page:
    """Pending comments and comments with open reports, oldest first, with the reports' count."""
    require(community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    open_reports = _open_reports()
    stmt = (
        select(Comment, func.coalesce(open_reports.c.reports, 0))
        .join(Consultation, Consultation.id == Comment.consultation_id)
        .outerjoin(open_reports, open_reports.c.comment_id == Comment.id)
        .where(Consultation.community_id == community.id, _in_queue(open_reports))
        .options(selectinload(Comment.author), selectinload(Comment.consultation))
        .order_by(Comment.created_at, Comment.id)
    )
    return paginate(session, stmt, per_page=30, number=page or 1)


def reports_of(session: Session, comment_ids: Sequence[int]) -> dict[int, list[CommentReport]]:
    """Open reports of these comments, one query."""
    found: dict[int, list[CommentReport]] = {i: [] for i in comment_ids}
    if comment_ids:
        for report in session.execute(
            select(CommentReport)
            .where(CommentReport.comment_id.in_(comment_ids), CommentReport.resolved_at.is_(None))
            .options(selectinload(CommentReport.reporter))
            .order_by(CommentReport.id)
        ).scalars():
            found[report.comment_id].append(report)
    return found


def add_blocked_word(session: Session, actor: User, community: Community, word: str) -> BlockedWord:
    """A word that sends comments containing it to the moderation queue."""
    require(community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    word = clean_text(word, "word", _("屏蔽词"), max_length=50)
    if session.execute(
        select(BlockedWord.id).where(BlockedWord.community_id == community.id, BlockedWord.word == word)
    ).first():
        raise Conflict(_("“%(word)s”已在屏蔽词列表中", word=word), fields={"word": _("已存在")})
    blocked = BlockedWord(community_id=community.id, word=word)
    session.add(blocked)
    session.flush()
    audit.record(session, actor, "blocked_word.add", blocked, community_id=community.id, word=word)
    return blocked


def remove_blocked_word(session: Session, actor: User, community: Community, word_id: int) -> None:
    """Take a word off the list."""
    require(community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    blocked = session.get(BlockedWord, word_id)
    if blocked is None or blocked.community_id != community.id:
        raise NotFound(_("找不到该屏蔽词"))
    audit.record(session, actor, "blocked_word.remove", blocked, community_id=community.id, word=blocked.word)
    session.delete(blocked)
    session.flush()

