"""The wish wall (微心愿): post, support, answer, merge and promote ideas, and list them (one's own; those waiting
for a reply)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from deliberation import audit
from deliberation.accounts.models import Community, User
from deliberation.consultations.models import (
    MAX_TEXT,
    Consultation,
    Idea,
    IdeaStatus,
    IdeaSupport,
    Phase,
    Proposal,
    QuestionState,
)
from deliberation.consultations.notifications import notify
from deliberation.consultations.proposals import create_proposal
from deliberation.db import utcnow
from deliberation.errors import Conflict, Invalid, NotFound, require
from deliberation.pagination import Page, paginate
from deliberation.validation import clean_text


def post_idea(session: Session, actor: User, community: Community, title: str, body: str) -> Idea:
    """A resident's need or idea for the community, at any time."""
    if not community.can_view(actor):
        raise NotFound(_("找不到该居民区"))
    idea = Idea(
        community_id=community.id,
        author_id=actor.id,
        title=clean_text(title, "title", _("标题"), max_length=100),
        body=clean_text(body, "body", _("内容"), max_length=MAX_TEXT),
    )
    session.add(idea)
    session.flush()
    audit.record(session, actor, "idea.create", idea, community_id=community.id, title=idea.title)
    return idea


def _recount_idea(session: Session, idea: Idea) -> None:
    session.execute(
        update(Idea)
        .where(Idea.id == idea.id)
        .values(
            support_count=select(func.count(IdeaSupport.id))
            .where(IdeaSupport.idea_id == idea.id)
            .scalar_subquery()
        )
        .execution_options(synchronize_session=False)
    )
    session.expire(idea, ["support_count"])


def support_idea(session: Session, actor: User, idea: Idea) -> Idea:
    """One support per person for an idea that is still on the wall."""
    if idea.status == IdeaStatus.MERGED:
        raise Conflict(_("这条心愿已合并到另一条，请支持那一条"))
    if idea.author_id == actor.id:
        raise Conflict(_("不能支持自己的心愿"))
    if session.execute(
        select(IdeaSupport.id).where(IdeaSupport.idea_id == idea.id, IdeaSupport.user_id == actor.id)
    ).first():
        raise Conflict(_("您已经支持过这条心愿"))
    session.add(IdeaSupport(idea_id=idea.id, user_id=actor.id))
    session.flush()
    _recount_idea(session, idea)
    audit.record(session, actor, "idea.support", idea, community_id=idea.community_id)
    return idea


def withdraw_idea_support(session: Session, actor: User, idea: Idea) -> Idea:
    """Take one's support of an idea back."""
    deleted = session.execute(
        delete(IdeaSupport).where(IdeaSupport.idea_id == idea.id, IdeaSupport.user_id == actor.id)
    ).rowcount
    if not deleted:
        raise Conflict(_("您还没有支持这条心愿"))
    _recount_idea(session, idea)
    audit.record(session, actor, "idea.unsupport", idea, community_id=idea.community_id)
    return idea


def answer_idea(session: Session, actor: User, idea: Idea, answer: str) -> Idea:
    """The moderator's answer on the wall; the author is told."""
    require(idea.community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    idea.answer = clean_text(answer, "answer", _("答复"), max_length=MAX_TEXT)
    idea.answered_by_id = actor.id
    idea.answered_at = utcnow()
    if idea.status == IdeaStatus.OPEN:
        idea.status = IdeaStatus.ANSWERED
    session.flush()
    audit.record(session, actor, "idea.answer", idea, community_id=idea.community_id, answer=idea.answer)
    notify(
        session,
        [idea.author_id] if idea.author_id != actor.id else [],
        "idea",
        _l("您的心愿“%(title)s”收到了答复", title=idea.title),
        f"/ideas/{idea.id}",
    )
    return idea


def merge_idea(session: Session, actor: User, idea: Idea, target_id: int) -> Idea:
    """Merge a duplicate into another idea; its supporters' support moves along."""
    require(idea.community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    target = session.get(Idea, target_id)
    if target is None or target.community_id != idea.community_id:
        raise Invalid(_("请选择本居民区的另一条心愿"), fields={"target_id": _("找不到该心愿")})
    if target.id == idea.id or target.status == IdeaStatus.MERGED or idea.status == IdeaStatus.MERGED:
        raise Conflict(_("不能合并到自己或已合并的心愿"), fields={"target_id": _("不能合并到这一条")})
    already = select(IdeaSupport.user_id).where(IdeaSupport.idea_id == target.id)
    movers = (
        session.execute(
            select(IdeaSupport.user_id).where(
                IdeaSupport.idea_id == idea.id,
                IdeaSupport.user_id.not_in(already),
                IdeaSupport.user_id != target.author_id,
            )
        )
        .scalars()
        .all()
    )
    if movers:
        session.execute(
            insert(IdeaSupport),
            [{"idea_id": target.id, "user_id": uid, "created_at": utcnow()} for uid in movers],
        )
    idea.status = IdeaStatus.MERGED
    idea.merged_into_id = target.id
    session.flush()
    _recount_idea(session, target)
    audit.record(
        session,
        actor,
        "idea.merge",
        idea,
        community_id=idea.community_id,
        into=target.id,
        moved_supports=len(movers),
    )
    notify(
        session,
        [idea.author_id] if idea.author_id != actor.id else [],
        "idea",
        _l("您的心愿“%(title)s”与另一条相同，已合并到“%(target)s”", title=idea.title, target=target.title),
        f"/ideas/{target.id}",
    )
    return idea


def promote_idea(
    session: Session, actor: User, idea: Idea, consultation: Consultation, is_variant: bool = False
) -> Proposal:
    """Turn an idea into a proposal of a session of the same community; each links to the other."""
    require(idea.community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if consultation.community_id != idea.community_id:
        raise Invalid(_("请选择本居民区的议事"), fields={"consultation_id": _("找不到该议事")})
    if idea.status in (IdeaStatus.MERGED, IdeaStatus.PROMOTED):
        raise Conflict(_("这条心愿已合并或已转为方案"))
    if not consultation.can_take_ideas(actor):
        raise Conflict(
            _("心愿只能转为草稿或征求意见阶段的议事中的方案"),
            fields={"consultation_id": _("这一议事不再接收方案")},
        )
    body = idea.body + "\n\n" + _("（来自居民心愿墙：%(title)s）", title=idea.title)
    proposal = create_proposal(
        session,
        actor,
        consultation,
        idea.title,
        body,
        is_variant=is_variant,
        change_note=_("由居民心愿转为方案"),
    )
    idea.proposal_id = proposal.id
    idea.status = IdeaStatus.PROMOTED
    session.flush()
    audit.record(
        session,
        actor,
        "idea.promote",
        idea,
        community_id=idea.community_id,
        proposal_id=proposal.id,
        consultation_id=consultation.id,
    )
    notify(
        session,
        [idea.author_id] if idea.author_id != actor.id else [],
        "idea",
        _l(
            "您的心愿“%(title)s”已转为议事“%(consultation)s”中的方案",
            title=idea.title,
            consultation=consultation.title,
        ),
        f"/proposals/{proposal.id}",
    )
    return proposal


def list_ideas(
    session: Session,
    community: Community,
    *,
    sort: str = "supported",
    page: int | None = None,
    per_page: int = 20,
) -> Page:
    """Ideas of the wall that are not merged away, most supported or newest first."""
    stmt = (
        select(Idea)
        .where(Idea.community_id == community.id, Idea.status != IdeaStatus.MERGED)
        .options(selectinload(Idea.author), selectinload(Idea.proposal))
    )
    order = (Idea.support_count.desc(), Idea.id.desc()) if sort == "supported" else (Idea.id.desc(),)
    return paginate(session, stmt.order_by(*order), per_page=per_page, number=page or 1)



def supported_idea_ids(session: Session, user: User, idea_ids: Iterable[int]) -> set[int]:
    """Which of these ideas the user supports, in one query."""
    ids = list(idea_ids)
    if not ids:
        return set()
    return set(
        session.execute(
            select(IdeaSupport.idea_id).where(IdeaSupport.user_id == user.id, IdeaSupport.idea_id.in_(ids))
        ).scalars()
    )


def merged_into(session: Session, idea: Idea) -> list[Idea]:
    """The ideas merged into this one."""
    return list(session.execute(select(Idea).where(Idea.merged_into_id == idea.id)).scalars())


def sessions_taking_ideas(session: Session, actor: User, community: Community) -> list[Consultation]:
    """The community's sessions this user may promote an idea into (Consultation.can_take_ideas), newest first."""
    candidates = session.execute(
        select(Consultation)
        .where(
            Consultation.community_id == community.id,
            Consultation.phase.in_([Phase.DRAFT, Phase.COMMENTING]),
        )
        .order_by(Consultation.id.desc())
    ).scalars()
    return [c for c in candidates if c.can_take_ideas(actor)]


def ideas_by(session: Session, user: User, community_ids: Sequence[int], limit: int = 5) -> list[Idea]:
    """The user's own wishes in these communities with their status, newest first (one query)."""
    if not community_ids:
        return []
    return list(session.execute(
        select(Idea).where(Idea.author_id == user.id, Idea.community_id.in_(community_ids))
        .order_by(Idea.created_at.desc(), Idea.id.desc()).limit(limit)
    ).scalars())


def unanswered_counts(session: Session, community_ids: Sequence[int]) -> dict[int, tuple[int, datetime]]:
    """Per community: how many wishes wait for a reply, and since when the oldest waits (one query)."""
    if not community_ids:
        return {}
    rows = session.execute(
        select(Idea.community_id, func.count(Idea.id), func.min(Idea.created_at))
        .where(Idea.community_id.in_(community_ids), Idea.status == IdeaStatus.OPEN)
        .group_by(Idea.community_id)
    ).all()
    return {community_id: (count, oldest) for community_id, count, oldest in rows}


def oldest_unanswered(session: Session, community_ids: Sequence[int], limit: int = 5) -> list[Idea]:
    """The wishes waiting longest for a reply in these communities (one query)."""
    if not community_ids:
        return []
    return list(session.execute(
        select(Idea).where(Idea.community_id.in_(community_ids), Idea.status == IdeaStatus.OPEN)
        .order_by(Idea.created_at, Idea.id).limit(limit)
    ).scalars())


def mark_in_progress(session: Session, actor: User, idea: Idea) -> Idea:
    """A moderator takes a received wish up (处理中) before answering it; its author sees the state."""
    require(idea.community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if not idea.can_mark_in_progress(actor):
        raise Conflict(_("这条心愿已在处理中、已答复或已转为方案"))
    idea.in_progress_at = utcnow()
    idea.in_progress_by_id = actor.id
    session.flush()
    audit.record(session, actor, "idea.in_progress", idea, community_id=idea.community_id)
    return idea


def question_state_label(state: QuestionState) -> str:
    """A wish's or question's state in the reader's language (the one set of words for every page)."""
    return {
        QuestionState.RECEIVED: _("已收到"),
        QuestionState.IN_PROGRESS: _("处理中"),
        QuestionState.ANSWERED: _("已答复"),
        QuestionState.PROMOTED: _("已转为方案"),
        QuestionState.MERGED: _("已合并"),
    }[QuestionState(state)]
