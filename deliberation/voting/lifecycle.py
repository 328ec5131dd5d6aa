"""A vote's life: creating it, opening it (freezing the electorate), closing it (storing the decision),
and catching up with its schedule (opens_at, closes_at) when a request meets a vote whose time has come.

Secret votes: at the close ballots lose their voter key (who took part stays in the frozen
electorate), are re-inserted in receipt order and get the close time as their time, so nothing in
the database links a voter to a choice any more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from deliberation import audit, rules
from deliberation.accounts.models import User
from deliberation.consultations import reminders
from deliberation.consultations.models import Consultation, Phase, Proposal, ProposalVersion
from deliberation.consultations.proposals import version_checks
from deliberation.db import utcnow, write_intent
from deliberation.errors import Conflict, Invalid, require
from deliberation.validation import check_planned
from deliberation.voting import announcement, telling
from deliberation.voting.electorate import count_electorate, freeze_electorate
from deliberation.voting.models import (
    VARIANT_RULES,
    WITHHELD,
    Ballot,
    PaperConflict,
    Vote,
    VoteBasis,
    VoteKind,
    VoteOption,
    VoteProxy,
    VoteState,
    VoteVoter,
)
from deliberation.voting.results import live_report, snapshot

logger = logging.getLogger(__name__)

CIVIL_CODE_RULES = ("civil_code_ordinary", "civil_code_major")


@dataclass
class VoteInput:
    """The fields of a new vote, as the page's form and the API send them."""

    title: str = ""
    kind: VoteKind | str = VoteKind.PROPOSAL
    proposal_id: int | None = None
    option_proposal_ids: Sequence[int] = ()
    option_labels: Sequence[str] = ()
    rule_name: str = "simple_majority"
    quorum: str | None = None
    group: str | None = None
    basis: VoteBasis | str = VoteBasis.PERSON
    secret: bool = False
    advisory_all: bool = False
    show_running: bool = False
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    objection_days: int | str | None = None  # the result's objection window (voting.announcement)
    reminder_days: str | None = None  # days before the close to remind who has not voted (consultations.reminders)


def build_rule(rule_name: str, quorum: str | None = None, group: str | None = None) -> rules.Rule:
    """The rule of the form's fields, or Invalid with the rules module's message."""
    params: dict[str, str] = {}
    if rule_name == "quorum_majority" and quorum:
        params["quorum"] = quorum.strip()
    if rule_name == "cross_group_majority" and group:
        params["group"] = group
    try:
        return rules.Rule(rule_name, params)
    except ValueError as error:
        field_name = "quorum" if "quorum" in params and rule_name in rules.PRESETS else "rule_name"
        raise Invalid(str(error).split("（")[0], fields={field_name: str(error).split("（")[0]}) from error


def create_vote(session: Session, actor: User, consultation: Consultation, data: VoteInput) -> Vote:
    """A vote in draft: the moderator sees its rule in plain Chinese before opening it."""
    require(consultation.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if consultation.effective_phase.order >= Phase.CLOSED.order:
        raise Conflict(_("议事已结束，不能再发起表决"))
    title = (data.title or "").strip()
    if not title:
        raise Invalid(_("请填写表决标题"), fields={"title": _("必填")})
    if len(title) > 200:
        raise Invalid(_("标题不能超过 200 个字"), fields={"title": _("不能超过 200 个字")})
    try:
        kind = VoteKind(data.kind)
        basis = VoteBasis(data.basis)
    except ValueError as error:
        raise Invalid(_("表决类型或计票单位无效"), fields={"kind": _("无效")}) from error
    proposals = {
        p.id: p
        for p in session.execute(
            select(Proposal).where(Proposal.consultation_id == consultation.id).options(
                selectinload(Proposal.versions))
        ).scalars()
    }
    options: list[VoteOption] = []
    proposal = None
    if kind == VoteKind.PROPOSAL:
        if data.proposal_id not in proposals:
            raise Invalid(_("请选择本议事的一个方案"), fields={"proposal_id": _("请选择方案")})
        proposal = proposals[data.proposal_id]
        rule = build_rule(data.rule_name, data.quorum, data.group)
        rule_name, rule_params = rule.name, rule.as_dict()["params"]
        if rule_name in CIVIL_CODE_RULES:
            basis = VoteBasis.OWNER  # Civil Code Art. 278: the owners decide, by area and by headcount
    else:
        rule_name, rule_params = VARIANT_RULES[kind], {}
        labels = [proposals[int(pid)].title for pid in data.option_proposal_ids if int(pid) in proposals]
        if len(labels) != len(list(data.option_proposal_ids)):
            raise Invalid(_("请选择本议事的方案"), fields={"options": _("请选择本议事的方案")})
        pids = [int(pid) for pid in data.option_proposal_ids]
        extra = [label.strip()[:200] for label in data.option_labels if label and label.strip()]
        all_labels = labels + extra
        if len(all_labels) < 2:
            raise Invalid(_("在多个方案之间表决，至少需要两个选项"), fields={"options": _("至少两个选项")})
        if len(set(all_labels)) != len(all_labels):
            raise Invalid(_("选项名称重复"), fields={"options": _("选项名称重复")})
        options = [
            VoteOption(position=n, proposal_id=pids[n] if n < len(pids) else None, label=label)
            for n, label in enumerate(all_labels)
        ]
    objection_days = announcement.check_days(data.objection_days, basis)
    reminder_days = reminders.check_days(data.reminder_days)
    now = utcnow()
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        raise Invalid(_("结束时间须晚于开始时间"), fields={"closes_at": _("须晚于开始时间")})
    if data.closes_at and data.closes_at <= now:
        raise Invalid(_("结束时间须在将来"), fields={"closes_at": _("须在将来")})
    check_planned(data.closes_at, "closes_at", _("结束时间"), now=now)
    for option in options:
        if option.proposal_id is not None:
            option.proposal_version = proposals[option.proposal_id].current_version.number
    vote = Vote(
        community_id=consultation.community_id,
        consultation=consultation,
        proposal=proposal,
        proposal_version=proposal.current_version.number if proposal else None,
        title=title,
        kind=kind,
        rule_name=rule_name,
        rule_params=rule_params,
        basis=basis,
        secret=bool(data.secret),
        advisory_all=bool(data.advisory_all) and basis == VoteBasis.OWNER,
        show_running=bool(data.show_running),
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        objection_days=objection_days,
        reminder_days=reminder_days,
        created_by_id=actor.id,
        options=options,
    )
    session.add(vote)
    session.flush()
    audit.record(session, actor, "vote.create", vote, community_id=vote.community_id,
                 consultation_id=consultation.id, title=title, kind=kind.value, rule=rule_name,
                 params=rule_params, basis=basis.value, secret=vote.secret, advisory_all=vote.advisory_all,
                 objection_days=objection_days, reminder_days=reminder_days)
    return vote


def _fix_versions(session: Session, vote: Vote) -> None:
    """The versions the vote asks about: each proposal's current one at the opening (one query)."""
    ids = {vote.proposal_id} | {o.proposal_id for o in vote.options}
    ids.discard(None)
    if not ids:
        return
    current = dict(session.execute(
        select(ProposalVersion.proposal_id, func.max(ProposalVersion.number))
        .where(ProposalVersion.proposal_id.in_(ids)).group_by(ProposalVersion.proposal_id)
    ).all())
    vote.proposal_version = current.get(vote.proposal_id)
    for option in vote.options:
        option.proposal_version = current.get(option.proposal_id)


def refuse_version_while_open(session: Session, proposal: Proposal) -> None:
    """A vote is about one version: no new version of a proposal while a vote on it (or with it among its
    variants) is open; Conflict naming the vote and the version it asks about."""
    as_option = select(VoteOption.vote_id).where(VoteOption.proposal_id == proposal.id)
    candidates = session.execute(
        select(Vote).where(Vote.closed_at.is_(None), or_(Vote.opened_at.is_not(None), Vote.opens_at.is_not(None)),
                           or_(Vote.proposal_id == proposal.id, Vote.id.in_(as_option)))
        .order_by(Vote.id)
    ).scalars()
    for vote in candidates:
        if vote.state == VoteState.OPEN:
            number = vote.proposal_version if vote.proposal_id == proposal.id else next(
                (o.proposal_version for o in vote.options if o.proposal_id == proposal.id), None)
            raise Conflict(_("表决“%(vote)s”正在进行，表决针对本方案第 %(n)s 版：表决结束前不能发布新版本。"
                             "如需修改方案，请先结束表决，再发起新的表决。", vote=vote.title, n=number or "—"),
                           detail={"vote_id": vote.id, "proposal_version": number})


if refuse_version_while_open not in version_checks:
    version_checks.append(refuse_version_while_open)


# What must hold before a vote opens, registered by the capabilities that can hold an opening back (voting.roll:
# the posted roll's period has run and its objections are answered). Each raises Conflict with its reason.
opening_checks: list[Callable[[Session, Vote], None]] = []


def check_opening(session: Session, vote: Vote) -> None:
    """Conflict with the first reason the vote may not open now (opening_checks)."""
    for check in opening_checks:
        check(session, vote)


def _open(session: Session, actor: User | None, vote: Vote, when: datetime, scheduled: bool) -> None:
    vote.opened_at = when
    _fix_versions(session, vote)
    size = freeze_electorate(session, vote)
    session.flush()
    count_electorate(session, vote)
    audit.record(session, actor, "vote.open", vote, community_id=vote.community_id, electorate=size,
                 scheduled=scheduled, proposal_version=vote.proposal_version, counted=vote.electorate_counted)
    logger.info("vote %s opened (%s voters) by %s", vote.id, size, getattr(actor, "id", "schedule"))
    telling.announce_opening(session, vote)


def open_vote(session: Session, actor: User, vote: Vote) -> Vote:
    """Open a draft vote now: the electorate is frozen and recorded."""
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    _lock(session, vote)
    refresh(session, vote)
    if vote.opened_at is not None:
        raise Conflict(_("表决已经开启过了"))
    now = utcnow()
    if vote.closes_at is not None and vote.closes_at <= now:
        raise Conflict(_("表决的结束时间已过，不能开启"))
    check_opening(session, vote)
    _open(session, actor, vote, now, scheduled=False)
    return vote


def due(vote: Vote) -> bool:
    """Whether the clock has moved the vote on without its stored fields following yet."""
    now = utcnow()
    if vote.opened_at is None and vote.opens_at is not None and vote.opens_at <= now:
        return True
    return vote.closed_at is None and vote.opened_at is not None and vote.state_at(now) == VoteState.CLOSED


def _lock(session: Session, vote: Vote) -> None:
    """Serialise state changes of one vote (PostgreSQL row lock; SQLite writers are serial already)."""
    session.execute(select(Vote.id).where(Vote.id == vote.id).with_for_update())
    session.refresh(vote)


def still_open(session: Session, vote: Vote) -> bool:
    """Whether the vote is open, holding the shared row lock of open_with_version."""
    return open_with_version(session, vote)[0]


def open_with_version(session: Session, vote: Vote) -> tuple[bool, int | None]:
    """Whether the vote is open, holding a shared row lock until commit: a close (which locks the row
    for update) waits for ballots in flight, and ballots arriving during a close wait and then see it.
    With it, in the same statement, the number of the proposal's current version (for the ballot)."""
    version = (select(func.max(ProposalVersion.number)).where(ProposalVersion.proposal_id == Vote.proposal_id)
               .scalar_subquery())
    closed_at, number = session.execute(
        select(Vote.closed_at, version).where(Vote.id == vote.id).with_for_update(read=True, of=Vote)
    ).one()
    return closed_at is None and vote.state == VoteState.OPEN, number


def refresh(session: Session, vote: Vote) -> Vote:
    """Catch up with the schedule: freeze the electorate at opens_at, store the decision at closes_at."""
    if not due(vote):
        return vote
    _lock(session, vote)  # two requests meeting the same scheduled time: the second finds it done
    now = utcnow()
    if vote.opened_at is None and vote.opens_at is not None and vote.opens_at <= now:
        try:
            check_opening(session, vote)
        except Conflict as held:
            _hold(session, vote, held.message)
        else:
            _open(session, None, vote, vote.opens_at, scheduled=True)
    if vote.closed_at is None and vote.opened_at is not None and vote.state_at(now) == VoteState.CLOSED:
        _close(session, None, vote, min(vote.closes_at or now, now))
    return vote


def _hold(session: Session, vote: Vote, reason: str) -> None:
    """A scheduled opening an opening check refuses: the vote stays a draft (its planned time is cleared, kept
    in the audit event with the reason), and its moderator opens it by hand once the check passes."""
    planned = vote.opens_at
    vote.opens_at = None
    audit.record(session, None, "vote.open_held", vote, community_id=vote.community_id, planned=planned,
                 reason=reason)
    logger.info("vote %s: scheduled opening held (%s)", vote.id, reason)


def catch_up(session: Session, vote: Vote) -> Vote:
    """Bring a vote up to its schedule (freeze at opens_at, decide at closes_at) in its own write.

    The one operation that commits, because it runs inside a read: GET requests start read-only
    transactions on SQLite, so the catching up rolls that back, writes under the write lock and
    commits, then hands back the fresh vote. Pages and API endpoints call it before they read a vote.
    """
    if not due(vote):
        return vote
    vote_id = vote.id
    session.rollback()
    token = write_intent.set(True)
    try:
        fresh = session.get(Vote, vote_id, populate_existing=True)
        refresh(session, fresh)
        session.commit()
    finally:
        write_intent.reset(token)
    return fresh


def close_vote(session: Session, actor: User, vote: Vote) -> Vote:
    """Close an open vote and store its decision; closing a closed vote changes nothing."""
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    _lock(session, vote)
    refresh(session, vote)
    if vote.closed_at is not None:
        return vote
    if vote.opened_at is None:
        raise Conflict(_("表决尚未开启，不能结束"))
    _close(session, actor, vote, utcnow())
    return vote


def _close(session: Session, actor: User | None, vote: Vote, when: datetime) -> None:
    with force_locale("zh_Hans"):  # the stored result is the record, worded in Chinese whoever closes
        report = live_report(session, vote)
    vote.decision = snapshot(report)
    vote.closed_at = when
    voted = select(Ballot.voter_key).where(Ballot.vote_id == vote.id, Ballot.voter_key.is_not(None))
    session.execute(
        update(VoteVoter).where(VoteVoter.vote_id == vote.id, VoteVoter.voter_key.in_(voted))
        .values(took_part=True).execution_options(synchronize_session=False)
    )
    if vote.secret:
        _unlink_ballots(session, vote, when)
    announcement.post_result(actor, vote, when)
    session.flush()
    audit.record(session, actor, "vote.close", vote, community_id=vote.community_id,
                 agreed=report.decision.agreed if report.decision else None,
                 summary=report.decision.summary if report.decision else None,
                 participants=report.participants, electorate=report.electorate,
                 scheduled=actor is None, objections_until=vote.objections_until.isoformat(),
                 announced=vote.announced_at is not None)
    logger.info("vote %s closed by %s", vote.id, getattr(actor, "id", "schedule"))
    telling.announce_result(session, vote)


def _unlink_ballots(session: Session, vote: Vote, when: datetime) -> None:
    """Remove every link between a voter and a choice: no key, no user, no time, no telling id, and none
    of the voter's facts (building, age band, tenure, area together could single a voter out)."""
    rows = session.execute(
        select(Ballot.choice, Ballot.source, Ballot.entered_by_id, Ballot.receipt_hash, Ballot.proposal_version)
        .where(Ballot.vote_id == vote.id)
        .order_by(Ballot.receipt_hash)
    ).all()
    session.execute(delete(Ballot).where(Ballot.vote_id == vote.id).execution_options(synchronize_session=False))
    if rows:
        session.execute(insert(Ballot), [
            {"vote_id": vote.id, "voter_key": None, "choice": choice, "source": source, "cast_by_id": None,
             "entered_by_id": entered_by, "receipt_hash": digest, "proposal_version": version, "changes": 0,
             "cast_at": when, "updated_at": when, "proxy_id": None}
            for choice, source, entered_by, digest, version in rows
        ])
    session.execute(update(PaperConflict).where(PaperConflict.vote_id == vote.id).values(choice=None)
                    .execution_options(synchronize_session=False))
    # A written proxy's instruction is the owner's choice: kept no longer than the ballot's link (voting.proxies).
    session.execute(update(VoteProxy).where(VoteProxy.vote_id == vote.id).values(instruction=WITHHELD)
                    .execution_options(synchronize_session=False))
