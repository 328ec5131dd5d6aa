"""Objections (异议) to a vote's posted roll and to its preliminary result, and their answers.

《上海市住宅物业管理规定》 Art. 16: before the owners decide, their identities, the headcount and the areas are
posted, and objections are recorded and answered. The result is posted in the same way before it is announced
(初步结果公示, the objection window of owners' e-voting practice). One mechanism serves both stages: an objection
is lodged inside its window (Vote.objections_open) by someone the stage allows (Vote.can_object), with a kind
and a reason; a moderator answers each, accepted or rejected, always with words the objector reads. What an
accepted objection changes (the roster corrected, a recount) belongs to voting.roll and voting.announcement,
which pass it in as ``correction``. A vote cannot move on while an objection of its stage is unanswered.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Building, Unit, User
from deliberation.db import utcnow
from deliberation.errors import Conflict, Invalid, require
from deliberation.validation import clean_text
from deliberation.voting.electorate import voter_for
from deliberation.voting.models import ObjectionStage, Vote, VoteObjection

# What an objection may be about, per stage (voting.labels words each kind).
KINDS = {
    ObjectionStage.ROLL: ("area", "owner", "missing", "other"),  # 面积有误, 已过户/业主有误, 遗漏, 其他
    ObjectionStage.RESULT: ("ballot", "count", "other"),  # 我的表决票不在名单中, 计票有误, 其他
}
REASON_LIMIT = 1000


def lodge(session: Session, actor: User, vote: Vote, stage: ObjectionStage | str, kind: str, reason: str | None,
          unit_id: int | None = None) -> VoteObjection:
    """Record an objection of the stage, inside its window, from someone the stage allows; audited."""
    stage = ObjectionStage(stage)
    voter = voter_for(session, vote, actor) if stage == ObjectionStage.RESULT else None
    require(vote.can_object(actor, stage, voter), _("只有本居民区登记在册的居民可以提出异议"))
    if not vote.objections_open(stage):
        raise Conflict(_("名册公示期不在进行中，不能提出异议") if stage == ObjectionStage.ROLL
                       else _("结果公示期不在进行中，不能提出异议"))
    if kind not in KINDS[stage]:
        raise Invalid(_("请选择异议的类型"), fields={"kind": _("请选择")})
    reason = clean_text(reason, "reason", _("异议的理由"), max_length=REASON_LIMIT)
    if unit_id is not None and session.execute(select(Unit.id).join(Building, Building.id == Unit.building_id).where(
            Unit.id == unit_id, Building.community_id == vote.community_id)).first() is None:
        raise Invalid(_("找不到该房屋"), fields={"unit_id": _("找不到该房屋")})
    objection = VoteObjection(vote_id=vote.id, stage=stage, lodged_by_id=actor.id, person_id=actor.person_id,
                              unit_id=unit_id, kind=kind, reason=reason)
    session.add(objection)
    audit.record(session, actor, "vote.objection.lodge", objection, community_id=vote.community_id,
                 vote_id=vote.id, stage=stage.value, kind=kind, unit_id=unit_id)
    return objection


def get(session: Session, actor: User, vote: Vote, objection_id: int) -> VoteObjection:
    """One objection of the vote, for its moderators or the person who lodged it; 404 otherwise."""
    objection = session.get(VoteObjection, objection_id)
    found = objection is not None and objection.vote_id == vote.id
    require(found and (vote.can_moderate(actor) or objection.lodged_by_id == actor.id), _("找不到该异议"),
            hidden=True)
    return objection


def answer(session: Session, actor: User, objection: VoteObjection, accepted: bool, text: str | None,
           correction: dict | None = None) -> VoteObjection:
    """A moderator's answer: accepted or rejected, with words the objector reads (a rejection must say why);
    answered once. ``correction`` records what an accepted objection changed. Audited."""
    vote = objection.vote
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if objection.answered_at is not None:
        raise Conflict(_("这条异议已经答复过了"))
    text = clean_text(text, "answer", _("答复"), max_length=REASON_LIMIT, required=not accepted)
    objection.accepted = bool(accepted)
    objection.answer = text
    objection.correction = correction
    objection.answered_at = utcnow()
    objection.answered_by_id = actor.id
    audit.record(session, actor, "vote.objection.answer", objection, community_id=vote.community_id,
                 vote_id=vote.id, stage=objection.stage.value, accepted=objection.accepted, correction=correction)
    return objection


def unanswered(session: Session, vote: Vote, stage: ObjectionStage) -> int:
    """How many objections of the stage wait for an answer: one count query."""
    return session.execute(select(func.count()).select_from(VoteObjection).where(
        VoteObjection.vote_id == vote.id, VoteObjection.stage == stage, VoteObjection.answered_at.is_(None)
    )).scalar_one()


def listing_query(actor: User, vote: Vote, stage: ObjectionStage) -> Select:
    """The statement of ``listing``, to paginate."""
    stmt = select(VoteObjection).where(VoteObjection.vote_id == vote.id, VoteObjection.stage == stage)
    if not vote.can_moderate(actor):
        stmt = stmt.where(VoteObjection.lodged_by_id == actor.id)
    return stmt.order_by(VoteObjection.answered_at.is_not(None), VoteObjection.created_at, VoteObjection.id)


def listing(session: Session, actor: User, vote: Vote, stage: ObjectionStage) -> list[VoteObjection]:
    """The objections of the stage the actor may read: all for moderators, one's own for everyone else;
    oldest first, unanswered ones first."""
    return list(session.execute(listing_query(actor, vote, stage)).scalars())


def refuse_while_unanswered(session: Session, vote: Vote, stage: ObjectionStage) -> None:
    """Conflict while an objection of the stage waits for its answer (the vote cannot move on)."""
    count = unanswered(session, vote, stage)
    if count:
        raise Conflict(_("还有 %(n)d 条异议尚未答复", n=count))


