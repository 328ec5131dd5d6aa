"""The result posted, then announced (结果公示与公告): the objection window set at the close, objections to the
preliminary result and their answers (with a recount), and the announcement that makes the result final.

At the close the result is preliminary (初步结果) and posted for ``objection_days`` days, until
``objections_until``: members of the frozen electorate may object (my ballot is not in the list, the count is
wrong), a moderator answers each, and an accepted objection may record a recount. Once the window has run and
every objection is answered, a moderator announces the result (结果公告, ``announced_at``): only then is it
final, and only then do the minutes present it as the binding decision. Announcing is an explicit act of the
moderator, never done by the schedule: the vote page tells them when it is due.

Law and practice: Civil Code Art. 278 (the owners decide together) and Art. 280 (their decision binds every
owner); 《上海市住宅物业管理规定》 Art. 16 and Art. 18 (what is put to the owners and what they decided is posted
in the estate); the owners' e-voting practice (Dongguan) posts the preliminary result for objections (询异)
before the result announcement (结果公告).

A window of 0 days (announced at the close) is for advisory votes only: a vote **binds nobody** when its
electorate is not the owners (basis person or household: a residents' consultation, whose result the
committee weighs but which binds no one). Every owners' vote (basis owner, which every Civil Code rule
forces) takes the owners' decision and keeps a window of at least one day.

A recount counts the stored ballots again (results.live_report) and stores the new decision when the figures
differ, keeping old and new in the objection's ``correction``. A secret vote's ballots lost their voter and
their facts at the close (area, building): its recount counts the ballots by choice and channel against the
posted figures and records both; the decision, which needs the areas, stays the one counted at the close.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import User
from deliberation.consultations.models import Consultation
from deliberation.db import utcnow
from deliberation.errors import Conflict, Invalid, NotFound, require
from deliberation.formatting import format_datetime
from deliberation.voting import objections, results, telling
from deliberation.voting.labels import describe_choice
from deliberation.voting.models import (
    YES_NO,
    Ballot,
    BallotSource,
    ObjectionStage,
    Vote,
    VoteBasis,
    VoteKind,
    VoteObjection,
)

logger = logging.getLogger(__name__)

RESULT = ObjectionStage.RESULT
DEFAULT_DAYS = 3
MAX_DAYS = 30


def binds_nobody(basis: VoteBasis | str) -> bool:
    """Whether a vote of this basis is advisory (binds nobody): not an owners' vote (see the module's docstring)."""
    return VoteBasis(basis) != VoteBasis.OWNER


def check_days(days: int | str | None, basis: VoteBasis | str) -> int:
    """The objection window in days (0..30, 3 when not given); 0 only for a vote that binds nobody."""
    if days is None or days == "":
        return DEFAULT_DAYS
    try:
        days = int(days)
    except (TypeError, ValueError) as error:
        raise Invalid(_("公示天数须为 0 到 30 的整数"), fields={"objection_days": _("须为 0 到 30 的整数")}) from error
    if not 0 <= days <= MAX_DAYS:
        raise Invalid(_("公示天数须为 0 到 30 的整数"), fields={"objection_days": _("须为 0 到 30 的整数")})
    if days == 0 and not binds_nobody(basis):
        raise Invalid(_("业主表决的结果须公示至少 1 天，才能公告"),
                      fields={"objection_days": _("业主表决至少公示 1 天")})
    return days


def post_result(actor: User | None, vote: Vote, when: datetime) -> None:
    """At the close (voting.lifecycle, whose vote.close event records both): the result is posted until
    closed_at + objection_days; with 0 days (an advisory vote) it is announced at once."""
    vote.objections_until = when + timedelta(days=vote.objection_days or 0)
    if not vote.objection_days:
        vote.announced_at = when
        vote.announced_by_id = getattr(actor, "id", None)


def due(vote: Vote, now: datetime | None = None) -> bool:
    """Whether the moderator may announce now as far as the clock goes: preliminary, the window has run."""
    now = now or utcnow()
    return vote.is_preliminary() and (vote.objections_until is None or vote.objections_until <= now)


def _lock(session: Session, vote: Vote) -> None:
    """Serialise the announcement and recounts of one vote (PostgreSQL row lock; SQLite writers are serial)."""
    session.execute(select(Vote.id).where(Vote.id == vote.id).with_for_update())
    session.refresh(vote)


# -- objections to the preliminary result ------------------------------------------------------


def lodge(session: Session, actor: User, vote: Vote, kind: str, reason: str | None) -> VoteObjection:
    """A member of the frozen electorate objects to the preliminary result inside its window; audited."""
    return objections.lodge(session, actor, vote, RESULT, kind, reason)


def objection_of(session: Session, actor: User, vote: Vote, objection_id: int) -> VoteObjection:
    """One result objection of the vote (its moderators, or who lodged it); 404 for any other."""
    objection = objections.get(session, actor, vote, objection_id)
    if objection.stage != RESULT:
        raise NotFound(_("找不到该异议"))
    return objection


def listing_query(actor: User, vote: Vote) -> Select:
    """The result objections the actor may read, as a statement to paginate (objections.listing's rule)."""
    return objections.listing_query(actor, vote, RESULT)


def answer(session: Session, actor: User, vote: Vote, objection_id: int, accepted: bool, text: str | None,
           recount: bool = False) -> VoteObjection:
    """A moderator answers a result objection, accepted or rejected with words; an accepted one may record a
    recount (the figures before and after, in the objection's correction). Audited."""
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    _lock(session, vote)
    objection = objection_of(session, actor, vote, objection_id)
    if objection.answered_at is not None:
        raise Conflict(_("这条异议已经答复过了"))
    if recount and not accepted:
        raise Invalid(_("只有采纳的异议才能重新计票"), fields={"recount": _("采纳异议后才能重新计票")})
    correction = _recount(session, actor, vote) if recount else None
    return objections.answer(session, actor, objection, accepted, text, correction=correction)


# -- the recount -------------------------------------------------------------------------------


def _figures(report: results.VoteReport) -> dict:
    """What a recount compares: the counts, the tally and the decision, worded as the record is."""
    agreed, summary = results.outcome(report)
    return {"participants": report.participants, "online": report.online, "paper": report.paper,
            "tally": [[str(label), int(n)] for label, n in report.tally_rows], "agreed": agreed,
            "summary": str(summary), "areas": dict(report.areas or {})}


def _secret_posted(vote: Vote, report: results.VoteReport) -> dict:
    """The posted figures of a secret vote that its unlinked ballots can still be checked against: every
    ballot (the residents' advisory report counts them all), by channel, and by choice where one ballot is one
    choice (a proposal, one variant)."""
    every = report.advisory or report
    figures = {"ballots": every.participants, "online": every.online, "paper": every.paper}
    if vote.kind in (VoteKind.PROPOSAL, VoteKind.SINGLE):
        figures["tally"] = [[str(label), int(n)] for label, n in every.tally_rows]
    return figures


def _secret_counted(session: Session, vote: Vote) -> dict:
    """The same figures counted now from the stored ballots: one GROUP BY."""
    rows = session.execute(select(Ballot.choice, Ballot.source, func.count()).where(Ballot.vote_id == vote.id)
                           .group_by(Ballot.choice, Ballot.source)).all()
    by_choice: dict[str, int] = {}
    paper = online = 0
    for choice, source, n in rows:
        by_choice[choice] = by_choice.get(choice, 0) + n
        if source == BallotSource.PAPER:
            paper += n
        else:
            online += n
    figures = {"ballots": paper + online, "online": online, "paper": paper}
    if vote.kind == VoteKind.PROPOSAL:
        figures["tally"] = [[describe_choice(vote, c), by_choice.get(c, 0)] for c in YES_NO]
    elif vote.kind == VoteKind.SINGLE:
        figures["tally"] = [[o.label, by_choice.get(o.key, 0)] for o in vote.options]
    return figures


def _recount(session: Session, actor: User, vote: Vote) -> dict:
    """Count the preliminary result again from the stored ballots; store the new decision when it differs."""
    if not vote.is_preliminary() or not vote.decision:
        raise Conflict(_("只有公示中的初步结果可以重新计票"))
    with force_locale("zh_Hans"):  # the record's words, as at the close
        posted = results.report_for(session, vote)
        if vote.secret:
            old, new = _secret_posted(vote, posted), _secret_counted(session, vote)
        else:
            counted = results.live_report(session, vote)
            old, new = _figures(posted), _figures(counted)
    changed = old != new
    if changed and not vote.secret:
        vote.decision = results.snapshot(counted)
    correction = {"recount": True, "secret": vote.secret, "old": old, "new": new, "changed": changed,
                  "decision_changed": changed and not vote.secret and old["agreed"] != new["agreed"]}
    audit.record(session, actor, "vote.recount", vote, community_id=vote.community_id, **correction)
    logger.info("vote %s recounted by %s (changed: %s)", vote.id, actor.id, changed)
    return correction


# -- the announcement --------------------------------------------------------------------------


def announce(session: Session, actor: User, vote: Vote) -> Vote:
    """Announce the result (结果公告): a moderator, once the window has run and every result objection is
    answered; the result is final from now on. Audited."""
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    _lock(session, vote)
    if vote.closed_at is None:
        raise Conflict(_("表决尚未结束，不能公告结果"))
    if vote.announced_at is not None:
        raise Conflict(_("结果已于 %(when)s 公告", when=format_datetime(vote.announced_at)))
    if not due(vote):
        raise Conflict(_("结果公示期至 %(when)s，期满后才能公告", when=format_datetime(vote.objections_until)))
    objections.refuse_while_unanswered(session, vote, RESULT)
    vote.announced_at = utcnow()
    vote.announced_by_id = actor.id
    decision = vote.decision or {}
    audit.record(session, actor, "vote.announce", vote, community_id=vote.community_id,
                 objections_until=vote.objections_until.isoformat() if vote.objections_until else None,
                 objections=session.execute(select(func.count()).select_from(VoteObjection).where(
                     VoteObjection.vote_id == vote.id, VoteObjection.stage == RESULT)).scalar_one(),
                 agreed=(decision.get("decision") or {}).get("agreed"))
    logger.info("vote %s announced by %s", vote.id, actor.id)
    telling.announce_result(session, vote)
    return vote


def preliminary_votes(session: Session, consultation: Consultation) -> list[Vote]:
    """The consultation's votes whose result is still preliminary (closed, not announced)."""
    return list(session.execute(select(Vote).where(
        Vote.consultation_id == consultation.id, Vote.closed_at.is_not(None), Vote.announced_at.is_(None)
    ).order_by(Vote.id)).scalars())


def refuse_minutes_while_preliminary(session: Session, consultation: Consultation) -> None:
    """Published minutes are frozen: none while a vote's result is preliminary, or its binding decision would
    never be in them (Conflict naming the vote and when its window ends)."""
    waiting = preliminary_votes(session, consultation)
    if waiting:
        vote = waiting[0]
        raise Conflict(_("表决“%(title)s”的结果尚在公示中（至 %(when)s），公告后才能公布纪要", title=vote.title,
                         when=format_datetime(vote.objections_until)), detail={"vote_id": vote.id})
