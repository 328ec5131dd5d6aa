"""Comment rounds and comments: open and close rounds, post, support and report comments, list a round; the
comments still waiting for an official answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased, joinedload, lazyload

from deliberation import audit
from deliberation.accounts.models import Membership, Role, User
from deliberation.consultations.models import (
    MAX_TEXT,
    SORTS,
    Comment,
    CommentReport,
    CommentRound,
    CommentStatus,
    CommentSupport,
    Consultation,
    Phase,
    Proposal,
    RoundState,
)
from deliberation.consultations.moderation import blocked_words
from deliberation.consultations.notifications import announce_reply, announce_report
from deliberation.consultations.versions import bump_comments_version
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound, require
from deliberation.pagination import Page, paginate
from deliberation.validation import check_planned, clean_text


def open_round(
    session: Session,
    actor: User,
    consultation: Consultation,
    closes_at: datetime | None,
    opens_at: datetime | None = None,
) -> CommentRound:
    """A new numbered round; it does not overlap an earlier one and takes comments in the commenting phase."""
    require(consultation.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if consultation.effective_phase not in (Phase.DRAFT, Phase.COMMENTING):
        raise Conflict(_("只有在“草稿”或“征求意见”阶段才能开设意见征集轮次"))
    now = utcnow()
    opens_at = opens_at or now
    if closes_at is None:
        raise Invalid(_("请填写截止时间"), fields={"closes_at": _("必填")})
    if closes_at <= opens_at or closes_at <= now:
        raise Invalid(_("截止时间须晚于开始时间和现在"), fields={"closes_at": _("截止时间太早")})
    check_planned(closes_at, "closes_at", _("截止时间"), now=now)
    last = session.execute(
        select(CommentRound)
        .where(CommentRound.consultation_id == consultation.id)
        .order_by(CommentRound.number.desc())
        .limit(1)
    ).scalar()
    if last is not None and last.closes_at > opens_at:
        raise Conflict(
            _("第 %(n)d 轮意见征集尚未结束，新一轮须在它截止之后开始", n=last.number),
            fields={"opens_at": _("与上一轮重叠")},
        )
    round_ = CommentRound(
        consultation=consultation,
        number=(last.number + 1) if last else 1,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    session.add(round_)
    session.flush()
    audit.record(
        session,
        actor,
        "round.open",
        round_,
        community_id=consultation.community_id,
        consultation_id=consultation.id,
        number=round_.number,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    return round_


def close_round(session: Session, actor: User, round_: CommentRound) -> CommentRound:
    """End a round now, before its scheduled close."""
    consultation = round_.consultation
    require(consultation.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if round_.state == RoundState.CLOSED:
        raise Conflict(_("这一轮已经结束"))
    now = utcnow()
    round_.closes_at = now
    if round_.opens_at > now:
        round_.opens_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "round.close",
        round_,
        community_id=consultation.community_id,
        consultation_id=consultation.id,
        number=round_.number,
    )
    return round_


def _contains_blocked_word(session: Session, community_id: int, text: str) -> bool:
    lowered = text.casefold()
    return any(word.casefold() in lowered for word in blocked_words(session, community_id))


def post_comment(
    session: Session,
    actor: User,
    consultation: Consultation,
    body: str,
    *,
    parent_id: int | None = None,
    proposal_id: int | None = None,
    official_answer: bool = False,
) -> Comment:
    """A comment in the open round, a reply in its parent's round, or a moderator's official answer."""
    if not consultation.can_take_part(actor):
        raise Forbidden(_("您不在本次议事的参与范围内"))
    moderator = consultation.can_moderate(actor)
    body = clean_text(body, "body", _("意见内容"), max_length=MAX_TEXT)
    if official_answer and not moderator:
        raise Forbidden(_("只有主持人可以发布正式答复"))
    parent = None
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.consultation_id != consultation.id:
            raise Invalid(_("只能回复本次议事中的意见"), fields={"parent_id": _("回复的意见不在本次议事中")})
        if parent.status != CommentStatus.PUBLISHED:
            raise Conflict(_("这条意见目前不能回复"))
    elif official_answer:
        raise Invalid(_("正式答复须针对一条意见"), fields={"parent_id": _("请选择要答复的意见")})
    round_ = parent.round if parent is not None else consultation.open_round
    # Official answers may come after a round has closed: the question still deserves its answer.
    if round_ is None or (round_.state != RoundState.OPEN and not official_answer):
        raise Conflict(_("本轮意见征集已结束或尚未开始，暂时不能发表意见"))
    proposal = None
    if parent is not None:
        proposal = parent.proposal
    elif proposal_id is not None:
        proposal = session.get(Proposal, proposal_id)
        if proposal is None or proposal.consultation_id != consultation.id:
            raise Invalid(_("该方案不在本次议事中"), fields={"proposal_id": _("方案不在本次议事中")})
    status = CommentStatus.PUBLISHED
    if not moderator and (
        consultation.pre_moderation or _contains_blocked_word(session, consultation.community_id, body)
    ):
        status = CommentStatus.PENDING
    comment = Comment(
        consultation=consultation,
        round=round_,
        proposal=proposal,
        proposal_version=proposal.current_version if proposal is not None else None,
        author=actor,
        parent=parent,
        thread_id=(parent.thread_id or parent.id) if parent is not None else None,
        body=body,
        is_official_answer=official_answer,
        status=status,
    )
    session.add(comment)
    session.flush()
    bump_comments_version(session, consultation)
    audit.record(
        session,
        actor,
        "comment.create",
        comment,
        community_id=consultation.community_id,
        consultation_id=consultation.id,
        round=round_.number,
        parent_id=parent_id,
        official_answer=official_answer,
        status=status.value,
    )
    if status == CommentStatus.PUBLISHED:
        announce_reply(session, comment)
    return comment


def support_comment(session: Session, actor: User, comment: Comment) -> Comment:
    """One support per person, while the round is open; not for one's own comment."""
    consultation = comment.consultation
    if not consultation.can_take_part(actor):
        raise Forbidden(_("您不在本次议事的参与范围内"))
    if comment.status != CommentStatus.PUBLISHED:
        raise Conflict(_("这条意见目前不能支持"))
    if comment.author_id == actor.id:
        raise Conflict(_("不能支持自己的意见"))
    if comment.round.state != RoundState.OPEN:
        raise Conflict(_("本轮意见征集已结束，不能再支持"))
    if session.execute(
        select(CommentSupport.id).where(
            CommentSupport.comment_id == comment.id, CommentSupport.user_id == actor.id
        )
    ).first():
        raise Conflict(_("您已经支持过这条意见"))
    session.add(CommentSupport(comment_id=comment.id, user_id=actor.id))
    session.flush()
    session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(support_count=Comment.support_count + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(comment, ["support_count"])
    bump_comments_version(session, consultation)
    audit.record(session, actor, "comment.support", comment, community_id=consultation.community_id)
    return comment


def withdraw_support(session: Session, actor: User, comment: Comment) -> Comment:
    """Take one's support back."""
    consultation = comment.consultation
    if comment.round.state != RoundState.OPEN:
        raise Conflict(_("本轮意见征集已结束，不能再更改支持"))
    deleted = session.execute(
        delete(CommentSupport).where(
            CommentSupport.comment_id == comment.id, CommentSupport.user_id == actor.id
        )
    ).rowcount
    if not deleted:
        raise Conflict(_("您还没有支持这条意见"))
    session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(support_count=Comment.support_count - 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(comment, ["support_count"])
    bump_comments_version(session, consultation)
    audit.record(session, actor, "comment.unsupport", comment, community_id=consultation.community_id)
    return comment


def report_comment(session: Session, actor: User, comment: Comment, reason: str) -> CommentReport:
    """A resident flags a comment for the moderators, with a reason."""
    consultation = comment.consultation
    if not consultation.can_view(actor):
        raise NotFound(_("找不到该意见"))
    reason = clean_text(reason, "reason", _("举报理由"), max_length=500)
    if comment.status == CommentStatus.HIDDEN:
        raise Conflict(_("这条意见已被隐藏"))
    require(comment.can_report(actor), _("只能举报他人已公开的意见"))
    if session.execute(
        select(CommentReport.id).where(
            CommentReport.comment_id == comment.id, CommentReport.reporter_id == actor.id
        )
    ).first():
        raise Conflict(_("您已经举报过这条意见，主持人会尽快处理"))
    report = CommentReport(comment_id=comment.id, reporter_id=actor.id, reason=reason)
    session.add(report)
    session.flush()
    audit.record(
        session, actor, "comment.report", comment, community_id=consultation.community_id, reason=reason
    )
    announce_report(session, actor, comment, reason)
    return report


def _visible_comments(stmt: Select, consultation: Consultation, viewer: User) -> Select:
    """Residents see published comments, hidden ones as a placeholder, and their own pending ones."""
    if consultation.can_moderate(viewer):
        return stmt
    return stmt.where(
        or_(
            Comment.status.in_([CommentStatus.PUBLISHED, CommentStatus.HIDDEN]),
            and_(Comment.status == CommentStatus.PENDING, Comment.author_id == viewer.id),
        )
    )


def shown_round(consultation: Consultation, wanted: CommentRound | None = None) -> CommentRound | None:
    """The round whose comments are listed: the one asked for, else the open one, else the last."""
    if wanted is not None:
        return wanted
    return consultation.open_round or (consultation.rounds[-1] if consultation.rounds else None)


@dataclass
class CommentListing:
    page: Page
    replies: dict[int, list[Comment]]
    supported: set[int]
    round: CommentRound | None
    sort: str


def list_comments(
    session: Session,
    viewer: User,
    consultation: Consultation,
    *,
    round_: CommentRound | None = None,
    sort: str = "supported",
    page: int | None = None,
    per_page: int = 20,
    proposal_id: int | None = None,
    supports: bool = True,
) -> CommentListing:
    """Top-level comments of a round, most supported or newest first, with their replies (answers first),
    and the ones the viewer supports (not asked with supports=False: the list shared by every resident)."""
    sort = sort if sort in SORTS else "supported"
    round_ = shown_round(consultation, round_)
    if round_ is None:
        return CommentListing(Page([], 1, per_page, 0), {}, set(), None, sort)
    stmt = select(Comment).where(Comment.round_id == round_.id, Comment.parent_id.is_(None))
    if proposal_id is not None:
        stmt = stmt.where(Comment.proposal_id == proposal_id)
    # Authors and versions joined into the same statement (one for the page, one for the replies,
    # one for the viewer's supports); the authors' roles are not needed here.
    shown_with = (
        joinedload(Comment.author).options(lazyload(User.memberships)),
        joinedload(Comment.proposal_version),
        joinedload(Comment.for_person),  # a counter entry (帮办): whose words, typed in by whom
        joinedload(Comment.recorded_by).options(lazyload(User.memberships)),
    )
    stmt = _visible_comments(stmt, consultation, viewer).options(*shown_with)
    order = (
        (Comment.support_count.desc(), Comment.created_at.desc(), Comment.id.desc())
        if sort == "supported"
        else (Comment.created_at.desc(), Comment.id.desc())
    )
    found = paginate(session, stmt.order_by(*order), per_page=per_page, number=page or 1)
    top_ids = [c.id for c in found.items]
    replies: dict[int, list[Comment]] = {i: [] for i in top_ids}
    if top_ids:
        reply_stmt = _visible_comments(
            select(Comment).where(Comment.thread_id.in_(top_ids)), consultation, viewer
        )
        for reply in session.execute(
            reply_stmt.options(*shown_with).order_by(
                Comment.is_official_answer.desc(), Comment.created_at, Comment.id
            )
        ).scalars():
            replies[reply.thread_id].append(reply)
    shown = top_ids + [r.id for rs in replies.values() for r in rs]
    supported = (
        set(
            session.execute(
                select(CommentSupport.comment_id).where(
                    CommentSupport.user_id == viewer.id, CommentSupport.comment_id.in_(shown)
                )
            ).scalars()
        )
        if shown and supports
        else set()
    )
    return CommentListing(found, replies, supported, round_, sort)



@dataclass(frozen=True)
class WaitingQuestion:
    """A resident's comment still without an official answer, and since when it waits."""

    id: int
    community_id: int
    consultation_id: int
    consultation_title: str
    body: str
    created_at: datetime


def _without_official_answer() -> ColumnElement[bool]:
    """Published top-level comments of residents (not of the community's moderators) whose thread holds no
    published official answer."""
    answer = aliased(Comment)
    answered = exists().where(answer.thread_id == Comment.id, answer.is_official_answer.is_(True),
                              answer.status == CommentStatus.PUBLISHED)
    return and_(resident_question(), ~answered)


def unanswered_counts(session: Session, community_ids: Sequence[int]) -> dict[int, tuple[int, datetime]]:
    """Per community: how many comments wait for an official answer, and since when the oldest waits (one query)."""
    if not community_ids:
        return {}
    rows = session.execute(
        select(Consultation.community_id, func.count(Comment.id), func.min(Comment.created_at))
        .join(Consultation, Consultation.id == Comment.consultation_id)
        .where(Consultation.community_id.in_(community_ids), _without_official_answer())
        .group_by(Consultation.community_id)
    ).all()
    return {community_id: (count, oldest) for community_id, count, oldest in rows}


def oldest_unanswered(session: Session, community_ids: Sequence[int], limit: int = 5) -> list[WaitingQuestion]:
    """The comments waiting longest for an official answer in these communities (one query)."""
    if not community_ids:
        return []
    rows = session.execute(
        select(Comment.id, Consultation.community_id, Consultation.id, Consultation.title, Comment.body,
               Comment.created_at)
        .join(Consultation, Consultation.id == Comment.consultation_id)
        .where(Consultation.community_id.in_(community_ids), _without_official_answer())
        .order_by(Comment.created_at, Comment.id).limit(limit)
    ).all()
    return [WaitingQuestion(*row) for row in rows]


def resident_question() -> ColumnElement[bool]:
    """A question owed an official answer: a published top-level comment of a resident (not of the community's
    moderators, whose own comments answer rather than ask). The statement joins Consultation."""
    by_moderator = exists().where(Membership.user_id == Comment.author_id,
                                  Membership.community_id == Consultation.community_id,
                                  Membership.role.in_([Role.MODERATOR, Role.ADMIN]))
    return and_(Comment.parent_id.is_(None), Comment.status == CommentStatus.PUBLISHED,
                Comment.is_official_answer.is_(False), ~by_moderator)


def first_official_answer() -> ColumnElement:
    """When the comment's thread got its first published official answer (NULL: not yet), correlated to Comment."""
    answer = aliased(Comment)
    return (select(func.min(answer.created_at))
            .where(answer.thread_id == Comment.id, answer.is_official_answer.is_(True),
                   answer.status == CommentStatus.PUBLISHED)
            .correlate(Comment).scalar_subquery())
