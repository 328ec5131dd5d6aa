"""Operations on votes: create, open (freezing the electorate), cast, paper forms, close, results.

Every function takes the database session and the acting user first, checks permission, validates,
writes, records an audit event and flushes; the caller commits once. Results are computed by
aggregate queries (GROUP BY choice, building, age band, tenure) and handed to deliberation.rules;
at the close the decision is stored with the vote and never recomputed.

Secret votes: no audit event carries a choice or a ballot id, and at the close ballots lose their
voter key (who took part stays in the frozen electorate), are re-inserted in receipt order and get
the close time as their time, so nothing in the database links a voter to a choice any more.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import chain, repeat
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import (
    Integer,
    String,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from deliberation import audit, charts, rules
from deliberation.accounts.models import (
    Building,
    Community,
    FloorCaptain,
    Household,
    Membership,
    Ownership,
    Person,
    Tenure,
    Unit,
    User,
)
from deliberation.consultations.eligibility import eligible_person_ids
from deliberation.consultations.models import Consultation, Phase, Proposal, ProposalVersion
from deliberation.db import utcnow
from deliberation.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from deliberation.pagination import Page, paginate
from deliberation.voting.models import (
    VARIANT_RULES,
    YES_NO,
    Ballot,
    BallotSource,
    PaperConflict,
    Vote,
    VoteBasis,
    VoteElectorateGroup,
    VoteKind,
    VoteOption,
    VoteState,
    VoteVoter,
    VoteVoterUnit,
)

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CIVIL_CODE_RULES = ("civil_code_ordinary", "civil_code_major")
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUP_KEYS = (("building", "楼栋"), ("age", "年龄段"), ("tenure", "产权"))
AGE_BANDS = ("35岁以下", "35–59岁", "60岁及以上")
UNKNOWN = "未登记"


# -- labels ------------------------------------------------------------------------------------


def choice_labels() -> dict[str, str]:
    return {"agree": _("同意"), "disagree": _("不同意"), "abstain": _("弃权")}


def state_label(state: VoteState) -> str:
    return {VoteState.DRAFT: _("未开始"), VoteState.OPEN: _("投票中"), VoteState.CLOSED: _("已结束")}[state]


def kind_label(kind: VoteKind) -> str:
    return {
        VoteKind.PROPOSAL: _("对方案表决（同意/不同意/弃权）"),
        VoteKind.SINGLE: _("多个方案中选一个"),
        VoteKind.APPROVAL: _("认可投票（可选多个方案）"),
        VoteKind.RANKED: _("排序投票（舒尔茨法）"),
    }[kind]


def basis_label(basis: VoteBasis) -> str:
    return {
        VoteBasis.PERSON: _("每人一票"),
        VoteBasis.HOUSEHOLD: _("每户一票（家中第一位投票的成员代表全户）"),
        VoteBasis.OWNER: _("每位业主一票（拥有多套房屋的业主只投一次，面积合计）"),
    }[basis]


def source_label(source: BallotSource | str) -> str:
    return _("纸质征询单") if source == BallotSource.PAPER else _("网上")


def preset_choices() -> list[tuple[str, str, str]]:
    """(name, label, what it takes to pass) of every preset, for the moderator's form."""
    return [(name, rules.Rule(name).label, rules.Rule(name).describe()) for name in rules.PRESETS]


def rule_text(vote: Vote) -> str:
    """What it takes to pass (or to win), in plain Chinese, shown before the vote opens."""
    if vote.kind == VoteKind.PROPOSAL:
        return _rule(vote).describe()
    return {
        VoteKind.SINGLE: _("每人选一个方案，得票最多的方案胜出；票数相同则并列，不会私下决出"),
        VoteKind.APPROVAL: _("每人可认可一个或多个方案，获认可最多的方案胜出；票数相同则并列"),
        VoteKind.RANKED: _(
            "每人按喜好给方案排序；用舒尔茨方法逐对比较方案，胜过其他所有方案者胜出；并列如实公布"
        ),
    }[vote.kind]


def rule_label(vote: Vote) -> str:
    if vote.kind == VoteKind.PROPOSAL:
        return _rule(vote).label
    return {VoteKind.SINGLE: _("相对多数"), VoteKind.APPROVAL: _("认可投票"), VoteKind.RANKED: _("舒尔茨法")}[
        vote.kind
    ]


def _rule(vote: Vote) -> rules.Rule:
    return rules.Rule(vote.rule_name, vote.rule_params or {})


def option_labels(vote: Vote) -> dict[str, str]:
    return {option.key: option.label for option in vote.options}


def describe_choice(vote: Vote, choice: str | None) -> str:
    """A stored choice in words: 同意, a variant's title, "A、B" (approval), "A > B = C" (ranked)."""
    if choice is None:
        return "—"
    if vote.kind == VoteKind.PROPOSAL:
        return choice_labels().get(choice, choice)
    labels = option_labels(vote)
    if vote.kind == VoteKind.SINGLE:
        return labels.get(choice, choice)
    value = json.loads(choice)
    if vote.kind == VoteKind.APPROVAL:
        return "、".join(labels.get(key, key) for key in value) or _("（未认可任何方案）")
    return " > ".join(" = ".join(labels.get(key, key) for key in tier) for tier in value)


# -- helpers -----------------------------------------------------------------------------------


def _require_moderator(vote_or_consultation, actor: User) -> None:
    if not vote_or_consultation.can_moderate(actor):
        raise Forbidden(_("只有本居民区的主持人可以进行此操作"))


def _audit_choice(vote: Vote, choice: str | None) -> dict:
    """The choice for the audit data, except in a secret vote."""
    return {} if vote.secret or choice is None else {"choice": choice}


def receipt_hash(vote_id: int, code: str) -> str:
    normalized = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(f"{vote_id}:{normalized}".encode()).hexdigest()


def _new_receipt(vote_id: int) -> tuple[str, str]:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _i in range(10))
    code = f"{raw[:5]}-{raw[5:]}"
    return code, receipt_hash(vote_id, code)


def _age_band(birth_year: int | None, year: int) -> str:
    if birth_year is None:
        return UNKNOWN
    age = year - birth_year
    return AGE_BANDS[0] if age < 35 else AGE_BANDS[1] if age < 60 else AGE_BANDS[2]


def _tenure_label(tenure: Tenure | str | None) -> str:
    return {"owner": "业主", "tenant": "租户", "family": "家属"}.get(str(tenure) if tenure else "", UNKNOWN)


def _cents_to_area(cents: int | None) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-2)


# -- creating ----------------------------------------------------------------------------------


@dataclass
class VoteInput:
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
    _require_moderator(consultation, actor)
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
    now = utcnow()
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        raise Invalid(_("结束时间须晚于开始时间"), fields={"closes_at": _("须晚于开始时间")})
    if data.closes_at and data.closes_at <= now:
        raise Invalid(_("结束时间须在将来"), fields={"closes_at": _("须在将来")})
    vote = Vote(
        community_id=consultation.community_id,
        consultation=consultation,
        proposal=proposal,
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
        created_by_id=actor.id,
        options=options,
    )
    session.add(vote)
    session.flush()
    audit.record(session, actor, "vote.create", vote, community_id=vote.community_id,
                 consultation_id=consultation.id, title=title, kind=kind.value, rule=rule_name,
                 params=rule_params, basis=basis.value, secret=vote.secret, advisory_all=vote.advisory_all)
    return vote


# -- the electorate ----------------------------------------------------------------------------


def _freeze_electorate(session: Session, vote: Vote) -> int:
    """Write the electorate once, at the opening: who may vote, their area, building, age band, tenure."""
    consultation = vote.consultation
    year = utcnow().astimezone(SHANGHAI).year
    eligible = eligible_person_ids(consultation)
    cents = cast(func.round(func.coalesce(Unit.area, 0) * 100), Integer)
    people = session.execute(
        select(Person.id, Person.tenure, Person.birth_year, Person.household_id, Unit.id, cents, Building.name)
        .outerjoin(Household, Household.id == Person.household_id)
        .outerjoin(Unit, Unit.id == Household.unit_id)
        .outerjoin(Building, Building.id == Unit.building_id)
        .where(Person.id.in_(eligible))
        .order_by(Person.id)
    ).all()
    owned = session.execute(
        select(Ownership.person_id, Unit.id, cents, Building.name)
        .join(Unit, Unit.id == Ownership.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Ownership.person_id.in_(eligible), Building.community_id == vote.community_id)
        .order_by(Ownership.person_id, Building.sort_key, Unit.room)
    ).all()
    owns: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for person_id, unit_id, area, building in owned:
        owns[person_id].append((unit_id, int(area or 0), building))

    voters: list[dict] = []
    units: list[dict] = []

    def add(key: str, person_ids: list[int], area: int, building: str, age: str, tenure: str,
            unit_ids: Iterable[int], advisory: bool = False) -> None:
        voters.append({"vote_id": vote.id, "voter_key": key, "advisory": advisory, "person_ids": person_ids,
                       "area_cents": area, "building": building or UNKNOWN, "age_band": age,
                       "tenure": tenure, "took_part": False})
        units.extend({"vote_id": vote.id, "voter_key": key, "unit_id": u} for u in dict.fromkeys(unit_ids))

    if vote.basis == VoteBasis.HOUSEHOLD:
        households: dict[int, list] = defaultdict(list)
        for row in people:
            if row[3] is not None:
                households[row[3]].append(row)
        for household_id, members in households.items():
            _pid, _tenure, _birth, _hid, unit_id, area, building = members[0]
            births = [m[2] for m in members if m[2] is not None]
            tenures = {str(m[1]) for m in members}
            tenure = "owner" if "owner" in tenures else "tenant" if "tenant" in tenures else "family"
            add(f"h:{household_id}", [m[0] for m in members], int(area or 0), building,
                _age_band(min(births) if births else None, year), _tenure_label(tenure), [unit_id])
    elif vote.basis == VoteBasis.OWNER:
        for person_id, tenure, birth, _hid, unit_id, _area, building in people:
            if person_id in owns:
                held = owns[person_id]
                add(f"o:{person_id}", [person_id], sum(a for _u, a, _b in held), held[0][2],
                    _age_band(birth, year), _tenure_label("owner"), [u for u, _a, _b in held])
            elif vote.advisory_all and unit_id is not None:
                add(f"p:{person_id}", [person_id], 0, building, _age_band(birth, year), _tenure_label(tenure),
                    [unit_id], advisory=True)
    else:
        for person_id, tenure, birth, _hid, unit_id, _area, building in people:
            held = owns.get(person_id, [])
            unit_ids = [unit_id] if unit_id is not None else [u for u, _a, _b in held]
            add(f"p:{person_id}", [person_id], sum(a for _u, a, _b in held), building or (
                held[0][2] if held else ""), _age_band(birth, year), _tenure_label(tenure), unit_ids)
    if voters:
        session.execute(insert(VoteVoter), voters)
    if units:
        session.execute(insert(VoteVoterUnit), units)
    return sum(1 for v in voters if not v["advisory"])


def _count_electorate(session: Session, vote: Vote) -> None:
    """Count the frozen electorate once: voters and area per advisory/building/age band/tenure."""
    session.execute(delete(VoteElectorateGroup).where(VoteElectorateGroup.vote_id == vote.id)
                    .execution_options(synchronize_session=False))
    groups = (VoteVoter.advisory, VoteVoter.building, VoteVoter.age_band, VoteVoter.tenure)
    session.execute(insert(VoteElectorateGroup).from_select(
        ["vote_id", "advisory", "building", "age_band", "tenure", "voters", "area_cents"],
        select(VoteVoter.vote_id, *groups, func.count(), func.coalesce(func.sum(VoteVoter.area_cents), 0))
        .where(VoteVoter.vote_id == vote.id).group_by(VoteVoter.vote_id, *groups),
    ))


def backfill_ballot_facts(session: Session, vote: Vote) -> None:
    """Copy the voter's facts onto ballots written without them, and count the electorate again.

    For data written around the services (bulk SQL: the benchmark's million ballots, imports): one
    UPDATE … FROM over the vote's ballots, then the electorate's groups. Casting and paper entry
    fill the facts themselves; the result is right without this, only slower.
    """
    session.execute(
        update(Ballot)
        .where(Ballot.vote_id == vote.id, Ballot.advisory.is_(None), VoteVoter.vote_id == Ballot.vote_id,
               VoteVoter.voter_key == Ballot.voter_key)
        .values(advisory=VoteVoter.advisory, building=VoteVoter.building, age_band=VoteVoter.age_band,
                tenure=VoteVoter.tenure, area_cents=VoteVoter.area_cents)
        .execution_options(synchronize_session=False)
    )
    _count_electorate(session, vote)


def electorate_size(session: Session, vote: Vote) -> int:
    """The binding electorate: from the groups counted at the opening, else counted here."""
    counted = session.execute(
        select(func.sum(VoteElectorateGroup.voters))
        .where(VoteElectorateGroup.vote_id == vote.id, VoteElectorateGroup.advisory.is_(False))
    ).scalar()
    if counted is not None:
        return int(counted)
    return session.execute(
        select(func.count()).where(VoteVoter.vote_id == vote.id, VoteVoter.advisory.is_(False))
    ).scalar() or 0


# -- opening and closing -----------------------------------------------------------------------


def _open(session: Session, actor: User | None, vote: Vote, when: datetime, scheduled: bool) -> None:
    vote.opened_at = when
    size = _freeze_electorate(session, vote)
    session.flush()
    _count_electorate(session, vote)
    audit.record(session, actor, "vote.open", vote, community_id=vote.community_id, electorate=size,
                 scheduled=scheduled)
    logger.info("vote %s opened (%s voters) by %s", vote.id, size, getattr(actor, "id", "schedule"))


def open_vote(session: Session, actor: User, vote: Vote) -> Vote:
    """Open a draft vote now: the electorate is frozen and recorded."""
    _require_moderator(vote, actor)
    _lock(session, vote)
    refresh(session, vote)
    if vote.opened_at is not None:
        raise Conflict(_("表决已经开启过了"))
    now = utcnow()
    if vote.closes_at is not None and vote.closes_at <= now:
        raise Conflict(_("表决的结束时间已过，不能开启"))
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


def _still_open(session: Session, vote: Vote) -> bool:
    return _open_with_version(session, vote)[0]


def _open_with_version(session: Session, vote: Vote) -> tuple[bool, int | None]:
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
        _open(session, None, vote, vote.opens_at, scheduled=True)
    if vote.closed_at is None and vote.opened_at is not None and vote.state_at(now) == VoteState.CLOSED:
        _close(session, None, vote, min(vote.closes_at or now, now))
    return vote


def close_vote(session: Session, actor: User, vote: Vote) -> Vote:
    """Close an open vote and store its decision; closing a closed vote changes nothing."""
    _require_moderator(vote, actor)
    _lock(session, vote)
    refresh(session, vote)
    if vote.closed_at is not None:
        return vote
    if vote.opened_at is None:
        raise Conflict(_("表决尚未开启，不能结束"))
    _close(session, actor, vote, utcnow())
    return vote


def _close(session: Session, actor: User | None, vote: Vote, when: datetime) -> None:
    report = _live_report(session, vote)
    vote.decision = _snapshot(report)
    vote.closed_at = when
    voted = select(Ballot.voter_key).where(Ballot.vote_id == vote.id, Ballot.voter_key.is_not(None))
    session.execute(
        update(VoteVoter).where(VoteVoter.vote_id == vote.id, VoteVoter.voter_key.in_(voted))
        .values(took_part=True).execution_options(synchronize_session=False)
    )
    if vote.secret:
        _unlink_ballots(session, vote, when)
    session.flush()
    audit.record(session, actor, "vote.close", vote, community_id=vote.community_id,
                 agreed=report.decision.agreed if report.decision else None,
                 summary=report.decision.summary if report.decision else None,
                 participants=report.participants, electorate=report.electorate,
                 scheduled=actor is None)
    logger.info("vote %s closed by %s", vote.id, getattr(actor, "id", "schedule"))


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
             "cast_at": when, "updated_at": when}
            for choice, source, entered_by, digest, version in rows
        ])
    session.execute(update(PaperConflict).where(PaperConflict.vote_id == vote.id).values(choice=None)
                    .execution_options(synchronize_session=False))


# -- casting -----------------------------------------------------------------------------------


def canonical_choice(vote: Vote, choice: object) -> str:
    """The stored form of a ballot's choice, or Invalid (422) for an unknown or malformed one."""
    if vote.kind == VoteKind.PROPOSAL and isinstance(choice, str) and choice in YES_NO:
        return choice  # the common case, before any message is translated
    bad = Invalid(_("未知的选项"), fields={"choice": _("未知的选项")})
    if vote.kind == VoteKind.PROPOSAL:
        raise bad
    labels = option_labels(vote)
    if vote.kind == VoteKind.SINGLE:
        key = str(choice) if isinstance(choice, str | int) and not isinstance(choice, bool) else None
        if key in labels:
            return key
        raise bad
    if isinstance(choice, str):
        try:
            choice = json.loads(choice)
        except ValueError:
            raise bad from None
    if not isinstance(choice, list):
        raise bad
    order = {key: n for n, key in enumerate(labels)}
    if vote.kind == VoteKind.APPROVAL:
        keys = [str(c) for c in choice if isinstance(c, str | int) and not isinstance(c, bool)]
        if len(keys) != len(choice) or any(k not in labels for k in keys):
            raise bad
        if not keys:
            raise Invalid(_("请至少认可一个方案"), fields={"choice": _("请至少认可一个方案")})
        return json.dumps(sorted(set(keys), key=order.__getitem__))
    tiers = []
    for entry in choice:
        tier = entry if isinstance(entry, list) else [entry]
        keys = [str(c) for c in tier if isinstance(c, str | int) and not isinstance(c, bool)]
        if len(keys) != len(tier) or not keys:
            raise bad
        tiers.append(sorted(keys, key=lambda k: order.get(k, -1)))
    try:
        rules.schulze(list(labels), [tiers])
    except ValueError:
        raise bad from None
    if not tiers:
        raise Invalid(_("请至少给一个方案排序"), fields={"choice": _("请至少给一个方案排序")})
    return json.dumps(tiers)


def voter_for(session: Session, vote: Vote, user: User) -> VoteVoter | None:
    """The user's row in the frozen electorate (binding before advisory), or None: one query.

    The electorate was frozen from the session's eligible persons of the vote's community, so a row
    naming the user's person is the whole answer (no other check of the person is needed).
    """
    if not user.is_authenticated or user.person_id is None or vote.opened_at is None:
        return None
    person_id = user.person_id
    if vote.basis == VoteBasis.HOUSEHOLD:
        keys = None
        stmt = select(VoteVoter).join(Person, and_(
            Person.id == person_id, Person.household_id.is_not(None),
            VoteVoter.voter_key == literal("h:") + cast(Person.household_id, String)))
    else:
        keys = [f"o:{person_id}", f"p:{person_id}"] if vote.basis == VoteBasis.OWNER else [f"p:{person_id}"]
        stmt = select(VoteVoter).where(VoteVoter.voter_key.in_(keys))
    rows = session.execute(stmt.where(VoteVoter.vote_id == vote.id)).scalars().all()
    rows = sorted(rows, key=lambda row: keys.index(row.voter_key) if keys else 0)
    return next((row for row in rows if person_id in (row.person_ids or [])), None)


def _facts(voter: VoteVoter) -> dict:
    """The voter's facts a ballot carries, so that results need no join to the electorate."""
    return {"advisory": voter.advisory, "building": voter.building, "age_band": voter.age_band,
            "tenure": voter.tenure, "area_cents": voter.area_cents}


@dataclass
class CastResult:
    choice: str  # as stored
    receipt_hash: str
    created: bool
    receipt: str
    advisory: bool = False


_UNSET = object()


def _insert_once(session: Session, values: dict) -> bool:
    """INSERT … ON CONFLICT (vote_id, voter_key) DO NOTHING: True for a new ballot, False when the
    voter key has one already (also when another request got there first, at the same instant).

    A Core statement with its values bound at execution, so SQLAlchemy compiles it once: this is the
    hot path of a vote."""
    table = Ballot.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(table).on_conflict_do_nothing(index_elements=["vote_id", "voter_key"]).returning(table.c.id)
    return session.execute(stmt, values).scalar() is not None


def cast_ballot(session: Session, actor: User, vote: Vote, choice: object,
                voter: VoteVoter | None | object = _UNSET) -> CastResult:
    """Cast (201) or change (200) the actor's ballot; one per voter key, whatever arrives at once.

    ``voter``: the actor's row of the frozen electorate when the caller looked it up already
    (voting.access.ballot_vote_or_404); otherwise it is looked up here.
    """
    refresh(session, vote)
    still_open, version = _open_with_version(session, vote)
    if not still_open:
        raise Conflict(_("表决未在进行中，不能投票"), detail={"state": vote.state.value})
    if voter is _UNSET or voter is None:  # None: perhaps looked up before refresh() opened the vote
        voter = voter_for(session, vote, actor)
    if voter is None or voter.vote_id != vote.id:
        raise Forbidden(_("您不在本次表决的表决权人名册中"))
    stored = canonical_choice(vote, choice)
    code, digest = _new_receipt(vote.id)
    now = utcnow()
    created = _insert_once(session, {
        "vote_id": vote.id, "voter_key": voter.voter_key, "choice": stored, "source": BallotSource.ONLINE,
        "cast_by_id": actor.id, "entered_by_id": None, "receipt_hash": digest, "proposal_version": version,
        "changes": 0, "cast_at": now, "updated_at": now, **_facts(voter)})
    if not created:
        ballot = session.execute(
            select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == voter.voter_key)
            .with_for_update()
        ).scalar_one()
        if ballot.source == BallotSource.PAPER:
            raise Conflict(_("您的纸质征询单已由工作人员录入；如需更改，请联系居委会"))
        if ballot.cast_by_id != actor.id:
            raise Conflict(_("本户已由家庭成员投票，由其代表全户"))
        ballot.choice = stored
        ballot.receipt_hash = digest
        ballot.proposal_version = version
        ballot.changes += 1
        ballot.updated_at = now
        session.flush()
    audit.record(session, actor, "ballot.cast" if created else "ballot.change", vote,
                 community_id=vote.community_id, advisory=voter.advisory, **_audit_choice(vote, stored))
    return CastResult(stored, digest, created, code, voter.advisory)


def record_refusal(session: Session, actor: User, vote_id: int, action: str, error: DomainError,
                   **data) -> None:
    """Audit a refused ballot or paper form (after the caller rolled the refused work back)."""
    vote = session.get(Vote, vote_id)
    audit.record(session, actor, action, vote, community_id=vote.community_id if vote else None,
                 status=error.status, reason=error.message, **data)


def my_ballot(session: Session, user: User, vote: Vote) -> tuple[VoteVoter | None, Ballot | None]:
    """The user's place in the electorate and the ballot of their voter key (if any)."""
    voter = voter_for(session, vote, user)
    if voter is None or vote.closed_at is not None and vote.secret:
        return voter, None
    ballot = session.execute(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == voter.voter_key)
    ).scalar()
    return voter, ballot


# -- paper forms (征询单) ------------------------------------------------------------------------


def can_enter_paper(session: Session, user: User, vote: Vote, building_id: int | None = None) -> bool:
    """Moderators for every building; a floor captain for their own building(s) only."""
    if vote.can_moderate(user):
        return True
    stmt = select(FloorCaptain.building_id).join(Building, Building.id == FloorCaptain.building_id).where(
        FloorCaptain.user_id == user.id, Building.community_id == vote.community_id)
    if building_id is not None:
        stmt = stmt.where(FloorCaptain.building_id == building_id)
    return session.execute(stmt.limit(1)).first() is not None


def paper_buildings(session: Session, user: User, vote: Vote) -> list[Building]:
    stmt = select(Building).where(Building.community_id == vote.community_id).order_by(Building.sort_key)
    if not vote.can_moderate(user):
        stmt = stmt.where(Building.id.in_(select(FloorCaptain.building_id).where(FloorCaptain.user_id == user.id)))
    return list(session.execute(stmt).scalars())


def followup_building(user: User, vote: Vote, buildings: Sequence[Building], wanted: int | None) -> int | None:
    """The building whose unanswered units to list: any (or all) for moderators; a floor captain
    only ever one of their own `buildings` (paper_buildings), the first when another is asked for."""
    if vote.can_moderate(user):
        return wanted
    allowed = {b.id for b in buildings}
    if wanted in allowed:
        return wanted
    return min(allowed) if allowed else -1


PAPER_WORDS = {
    "agree": ("1", "同意", "agree", "y", "yes", "赞成"),
    "disagree": ("2", "不同意", "反对", "disagree", "n", "no"),
    "abstain": ("3", "弃权", "abstain", "a"),
}


def paper_choice(vote: Vote, text: str) -> str:
    """Read a paper form's answer as typed: 1/2/3 or 同意/不同意/弃权; variants by number (1,3 or 2>1>3)."""
    text = (text or "").strip().lower()
    if vote.kind == VoteKind.PROPOSAL:
        for choice, words in PAPER_WORDS.items():
            if text in words:
                return choice
        raise Invalid(_("无法识别的选项：%(text)s", text=text), fields={"choice": _("未知的选项")})
    keys = [option.key for option in vote.options]

    def by_number(token: str) -> str:
        token = token.strip()
        if token.isdigit() and 1 <= int(token) <= len(keys):
            return keys[int(token) - 1]
        raise Invalid(_("无法识别的方案编号：%(text)s", text=token), fields={"choice": _("未知的选项")})

    if vote.kind == VoteKind.SINGLE:
        return canonical_choice(vote, by_number(text))
    if vote.kind == VoteKind.APPROVAL:
        tokens = [t for t in text.replace("，", ",").replace("、", ",").replace("+", ",").split(",") if t.strip()]
        return canonical_choice(vote, [by_number(t) for t in tokens])
    tiers = [[by_number(t) for t in tier.split("=") if t.strip()] for tier in text.split(">") if tier.strip()]
    return canonical_choice(vote, tiers)


@dataclass
class PaperEntry:
    room: str
    choice: str
    name: str = ""
    line: int = 0


@dataclass
class PaperOutcome:
    line: int
    room: str
    status: str  # "recorded" | "conflict" | "error"
    message: str
    receipt: str = ""


def enter_paper_ballots(session: Session, actor: User, vote: Vote, building: Building,
                        entries: Sequence[PaperEntry]) -> list[PaperOutcome]:
    """Record paper forms of one building: each line is recorded, set aside as a conflict, or refused."""
    if building.community_id != vote.community_id or not can_enter_paper(session, actor, vote, building.id):
        raise Forbidden(_("只有主持人或本楼楼组长可以录入本楼的征询单"))
    refresh(session, vote)
    still_open, version = _open_with_version(session, vote)
    if not still_open:
        raise Conflict(_("表决未在进行中，不能录入征询单"))
    if not entries:
        raise Invalid(_("请至少填写一行"), fields={"lines": _("请至少填写一行")})
    if len(entries) > 500:
        raise Invalid(_("每次最多录入 500 行"), fields={"lines": _("太多行")})
    for entry in entries:  # "302室" and "302" are the same room
        entry.room = entry.room.strip().removesuffix("室")
    rooms = {e.room for e in entries}
    units = dict(session.execute(
        select(Unit.room, Unit.id).where(Unit.building_id == building.id, Unit.room.in_(rooms))
    ).all())
    keys_of: dict[int, list[str]] = defaultdict(list)
    facts: dict[str, dict] = {}
    for unit_id, key, building_name, age_band, tenure, area_cents in session.execute(
        select(VoteVoterUnit.unit_id, VoteVoterUnit.voter_key, VoteVoter.building, VoteVoter.age_band,
               VoteVoter.tenure, VoteVoter.area_cents)
        .join(VoteVoter, and_(VoteVoter.vote_id == VoteVoterUnit.vote_id,
                              VoteVoter.voter_key == VoteVoterUnit.voter_key))
        .where(VoteVoterUnit.vote_id == vote.id, VoteVoterUnit.unit_id.in_(list(units.values())),
               VoteVoter.advisory.is_(False))
        .order_by(VoteVoterUnit.voter_key)
    ).all():
        keys_of[unit_id].append(key)
        facts[key] = {"advisory": False, "building": building_name, "age_band": age_band, "tenure": tenure,
                      "area_cents": area_cents}
    names: dict[str, str] = {}
    person_ids = {int(k.split(":")[1]) for ks in keys_of.values() for k in ks if not k.startswith("h:")}
    if person_ids:
        for pid, name in session.execute(select(Person.id, Person.name).where(Person.id.in_(person_ids))).all():
            for prefix in ("p", "o"):
                names[f"{prefix}:{pid}"] = name
    outcomes = []
    for entry in entries:
        room = entry.room.strip()
        label = f"{building.name}{room}室"

        def refuse(message: str, room=room, line=entry.line) -> PaperOutcome:
            audit.record(session, actor, "ballot.paper_refused", vote, community_id=vote.community_id,
                         unit=f"{building.name}{room}", reason=message)
            return PaperOutcome(line, room, "error", message)

        unit_id = units.get(room)
        if unit_id is None:
            outcomes.append(refuse(_("%(unit)s不存在", unit=label)))
            continue
        keys = keys_of.get(unit_id, [])
        if entry.name.strip():
            keys = [k for k in keys if names.get(k) == entry.name.strip()]
        if not keys:
            outcomes.append(refuse(_("%(unit)s没有表决权人（或姓名不符）", unit=label)))
            continue
        if len(keys) > 1:
            outcomes.append(refuse(_("%(unit)s有多位表决权人，请在选项后写上姓名", unit=label)))
            continue
        try:
            stored = paper_choice(vote, entry.choice)
        except Invalid as error:
            outcomes.append(refuse(error.message))
            continue
        outcomes.append(_paper_ballot(session, actor, vote, keys[0], unit_id, label, stored, entry.line, room,
                                      facts[keys[0]], version))
    session.flush()
    return outcomes


def _paper_ballot(session: Session, actor: User, vote: Vote, key: str, unit_id: int, label: str, stored: str,
                  line: int, room: str, facts: dict, version: int | None) -> PaperOutcome:
    code, digest = _new_receipt(vote.id)
    now = utcnow()
    try:
        with session.begin_nested():
            session.add(Ballot(vote_id=vote.id, voter_key=key, choice=stored, source=BallotSource.PAPER,
                               entered_by_id=actor.id, receipt_hash=digest, proposal_version=version,
                               cast_at=now, updated_at=now, **facts))
    except IntegrityError:
        existing = session.execute(
            select(Ballot.source).where(Ballot.vote_id == vote.id, Ballot.voter_key == key)
        ).scalar_one()
        conflict = PaperConflict(vote_id=vote.id, voter_key=key, unit_id=unit_id, unit_label=label,
                                 choice=stored, existing_source=str(existing), entered_by_id=actor.id)
        session.add(conflict)
        session.flush()
        audit.record(session, actor, "ballot.paper_conflict", vote, community_id=vote.community_id,
                     unit=label, existing=str(existing), conflict_id=conflict.id, **_audit_choice(vote, stored))
        message = (_("%(unit)s已在网上投票：征询单已另存，请主持人处理", unit=label)
                   if existing == BallotSource.ONLINE else
                   _("%(unit)s的征询单已录入过：本张已另存，请主持人处理", unit=label))
        return PaperOutcome(line, room, "conflict", message)
    audit.record(session, actor, "ballot.paper", vote, community_id=vote.community_id, unit=label,
                 **_audit_choice(vote, stored))
    return PaperOutcome(line, room, "recorded", _("%(unit)s已录入", unit=label), code)


def open_conflicts(session: Session, vote: Vote) -> list[PaperConflict]:
    return list(session.execute(
        select(PaperConflict).where(PaperConflict.vote_id == vote.id, PaperConflict.resolved_at.is_(None))
        .order_by(PaperConflict.id)
    ).scalars())


def conflict_of(session: Session, vote: Vote, conflict_id: int) -> PaperConflict:
    """A paper/online conflict of this vote; any other id does not exist (404)."""
    conflict = session.get(PaperConflict, conflict_id)
    if conflict is None or conflict.vote_id != vote.id:
        raise NotFound(_("找不到该冲突"))
    return conflict


def resolve_conflict(session: Session, actor: User, vote: Vote, conflict_id: int, resolution: str) -> PaperConflict:
    """The moderator settles a conflict: keep the ballot already counted, or count the paper form instead."""
    _require_moderator(vote, actor)
    conflict = conflict_of(session, vote, conflict_id)
    if conflict.resolved_at is not None:
        raise Conflict(_("该冲突已处理"))
    if resolution not in ("keep", "paper"):
        raise Invalid(_("请选择处理方式"), fields={"resolution": _("请选择处理方式")})
    refresh(session, vote)
    if not _still_open(session, vote):
        raise Conflict(_("表决已结束，不能再处理冲突"))
    if resolution == "paper":
        ballot = session.execute(
            select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == conflict.voter_key).with_for_update()
        ).scalar_one()
        _code, digest = _new_receipt(vote.id)
        ballot.choice = conflict.choice
        ballot.source = BallotSource.PAPER
        ballot.entered_by_id = conflict.entered_by_id
        ballot.cast_by_id = None
        ballot.receipt_hash = digest
        ballot.changes += 1
        ballot.updated_at = utcnow()
    conflict.resolution = resolution
    conflict.resolved_by_id = actor.id
    conflict.resolved_at = utcnow()
    session.flush()
    audit.record(session, actor, "ballot.conflict_resolved", vote, community_id=vote.community_id,
                 conflict_id=conflict.id, unit=conflict.unit_label, resolution=resolution)
    return conflict


def unanswered_units(session: Session, vote: Vote, building_id: int | None = None, per_page: int = 50,
                     page: int | None = None) -> Page:
    """Units with a voter of the binding electorate and no ballot yet: for door-to-door follow-up."""
    answered_keys = select(Ballot.voter_key).where(Ballot.vote_id == vote.id, Ballot.voter_key.is_not(None))
    answered = (
        select(VoteVoterUnit.unit_id)
        .join(VoteVoter, and_(VoteVoter.vote_id == VoteVoterUnit.vote_id,
                              VoteVoter.voter_key == VoteVoterUnit.voter_key))
        .where(VoteVoterUnit.vote_id == vote.id,
               or_(VoteVoter.took_part.is_(True), VoteVoterUnit.voter_key.in_(answered_keys)))
    )
    asked = (
        select(VoteVoterUnit.unit_id)
        .join(VoteVoter, and_(VoteVoter.vote_id == VoteVoterUnit.vote_id,
                              VoteVoter.voter_key == VoteVoterUnit.voter_key))
        .where(VoteVoterUnit.vote_id == vote.id, VoteVoter.advisory.is_(False))
    )
    stmt = (
        select(Unit.id, Building.name, Unit.room, Unit.staircase)
        .join(Building, Building.id == Unit.building_id)
        .where(Unit.id.in_(asked), Unit.id.not_in(answered))
        .order_by(Building.sort_key, Unit.room)
    )
    if building_id is not None:
        stmt = stmt.where(Building.id == building_id)
    return paginate(session, stmt, per_page=per_page, number=page)


# -- floor captains (楼组长) ---------------------------------------------------------------------


def captains_of(session: Session, community: Community) -> list[FloorCaptain]:
    return list(session.execute(
        select(FloorCaptain).join(Building, Building.id == FloorCaptain.building_id)
        .where(Building.community_id == community.id)
        .options(selectinload(FloorCaptain.user), selectinload(FloorCaptain.building))
        .order_by(Building.sort_key, FloorCaptain.id)
    ).scalars())


def grant_captain(session: Session, actor: User, community: Community, username: str,
                  building_id: int) -> FloorCaptain:
    """Make a member of the community the floor captain (楼组长) of one building."""
    _require_moderator(community, actor)
    building = session.get(Building, building_id)
    if building is None or building.community_id != community.id:
        raise Invalid(_("请选择本居民区的楼栋"), fields={"building_id": _("请选择楼栋")})
    user = session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(User.username == (username or "").strip(), Membership.community_id == community.id)
    ).scalar()
    if user is None:
        raise Invalid(_("本居民区没有这个用户名"), fields={"username": _("本居民区没有这个用户名")})
    existing = session.execute(
        select(FloorCaptain).where(FloorCaptain.user_id == user.id, FloorCaptain.building_id == building.id)
    ).scalar()
    if existing is not None:
        raise Conflict(_("%(name)s已是%(building)s的楼组长", name=user.display_name, building=building.name))
    captain = FloorCaptain(user_id=user.id, building_id=building.id, granted_by_id=actor.id)
    session.add(captain)
    session.flush()
    audit.record(session, actor, "floor_captain.grant", captain, community_id=community.id, user_id=user.id,
                 building=building.name)
    return captain


def revoke_captain(session: Session, actor: User, community: Community, captain_id: int) -> None:
    _require_moderator(community, actor)
    captain = session.get(FloorCaptain, captain_id)
    if captain is None or captain.building.community_id != community.id:
        raise NotFound(_("找不到该楼组长"))
    audit.record(session, actor, "floor_captain.revoke", captain, community_id=community.id,
                 user_id=captain.user_id, building=captain.building.name)
    session.delete(captain)
    session.flush()


# -- results -----------------------------------------------------------------------------------


@dataclass
class VoteReport:
    vote: Vote
    rule_text: str
    decision: rules.Decision | None
    choice_result: dict | None
    tally_rows: list[tuple[str, int]]
    breakdown: dict[str, list[tuple[str, dict[str, int]]]]
    online: int
    paper: int
    electorate: int
    participants: int
    advisory: VoteReport | None = None
    final: bool = False
    title: str = ""
    areas: dict[str, str] = field(default_factory=dict)


def can_see_results(vote: Vote, viewer: User) -> bool:
    """Moderators always; residents once the vote is closed, or while open when running results are shown."""
    if vote.can_moderate(viewer):
        return True
    state = vote.state
    return state == VoteState.CLOSED or (state == VoteState.OPEN and vote.show_running)


def vote_result(session: Session, viewer: User, vote: Vote) -> VoteReport:
    """The result as the viewer may see it: the stored decision once closed, else counted now."""
    if not can_see_results(vote, viewer):
        raise Forbidden(_("表决结束前不公布结果"))
    return report_for(session, vote)


def report_for(session: Session, vote: Vote) -> VoteReport:
    if vote.closed_at is not None and vote.decision:
        return _from_snapshot(vote, vote.decision)
    return _live_report(session, vote)


def consultation_results(session: Session, viewer: User, consultation: Consultation) -> list[VoteReport]:
    """The results of the consultation's votes the viewer may see: closed votes first, then running ones."""
    votes = [v for v in _votes_of(session, consultation) if v.opened_at is not None or v.state != VoteState.DRAFT]
    visible = [v for v in votes if can_see_results(v, viewer)]
    visible.sort(key=lambda v: (v.state != VoteState.CLOSED, v.closed_at or v.created_at, v.id))
    return [report_for(session, v) for v in visible]


def _votes_of(session: Session, consultation: Consultation) -> list[Vote]:
    return list(session.execute(
        select(Vote).where(Vote.consultation_id == consultation.id)
        .options(selectinload(Vote.options), selectinload(Vote.proposal))
        .order_by(Vote.created_at, Vote.id)
    ).scalars())


def votes_for_consultation(session: Session, viewer: User, consultation: Consultation) -> list[Vote]:
    """The consultation's votes the viewer may see (drafts: moderators only), oldest first."""
    votes = _votes_of(session, consultation)
    if consultation.can_moderate(viewer):
        return votes
    return [v for v in votes if v.state != VoteState.DRAFT]


def ballot_record_digest(session: Session, consultation: Consultation) -> str:
    """SHA-256 over the consultation's ballots (vote id, receipt hash, choice, source), never names."""
    digest = hashlib.sha256()
    rows = session.execute(
        select(Ballot.vote_id, Ballot.receipt_hash, Ballot.choice, Ballot.source)
        .join(Vote, Vote.id == Ballot.vote_id)
        .where(Vote.consultation_id == consultation.id)
        .order_by(Ballot.vote_id, Ballot.receipt_hash)
    ).all()
    for vote_id, receipt, choice, source in rows:
        digest.update(f"{vote_id}\t{receipt}\t{choice}\t{source}\n".encode())
    return digest.hexdigest()


def _aggregates(session: Session, vote: Vote):
    """The electorate's groups (counted at the opening) and one GROUP BY over the vote's ballots.

    Rows: (advisory, building, age band, tenure, voters, area cents) and (advisory, building, age band,
    tenure, choice, source, ballots, area cents). Ballots that carry no facts (written by bulk SQL)
    are joined to the electorate in a second branch of the same statement.
    """
    electorate = session.execute(
        select(VoteElectorateGroup.advisory, VoteElectorateGroup.building, VoteElectorateGroup.age_band,
               VoteElectorateGroup.tenure, VoteElectorateGroup.voters, VoteElectorateGroup.area_cents)
        .where(VoteElectorateGroup.vote_id == vote.id)
    ).all()
    if not electorate:  # opened around the services, or an empty electorate: count it here
        electorate = session.execute(
            select(VoteVoter.advisory, VoteVoter.building, VoteVoter.age_band, VoteVoter.tenure,
                   func.count(), func.coalesce(func.sum(VoteVoter.area_cents), 0))
            .where(VoteVoter.vote_id == vote.id)
            .group_by(VoteVoter.advisory, VoteVoter.building, VoteVoter.age_band, VoteVoter.tenure)
        ).all()
    with_facts = (
        select(Ballot.advisory, Ballot.building, Ballot.age_band, Ballot.tenure, Ballot.choice, Ballot.source,
               func.count(), func.coalesce(func.sum(Ballot.area_cents), 0))
        .where(Ballot.vote_id == vote.id, Ballot.advisory.is_not(None))
        .group_by(Ballot.advisory, Ballot.building, Ballot.age_band, Ballot.tenure, Ballot.choice, Ballot.source)
    )
    without_facts = (
        select(VoteVoter.advisory, VoteVoter.building, VoteVoter.age_band, VoteVoter.tenure, Ballot.choice,
               Ballot.source, func.count(), func.coalesce(func.sum(VoteVoter.area_cents), 0))
        .join(VoteVoter, and_(VoteVoter.vote_id == Ballot.vote_id, VoteVoter.voter_key == Ballot.voter_key))
        .where(Ballot.vote_id == vote.id, Ballot.advisory.is_(None))
        .group_by(VoteVoter.advisory, VoteVoter.building, VoteVoter.age_band, VoteVoter.tenure, Ballot.choice,
                  Ballot.source)
    )
    ballots = session.execute(union_all(with_facts, without_facts)).all()
    return electorate, ballots


def _natural(text: str):
    return rules._natural_key(text)


def _group_value_order(key: str, values: Iterable[str]) -> list[str]:
    values = set(values)
    if key == "age":
        return [v for v in (*AGE_BANDS, UNKNOWN) if v in values]
    if key == "tenure":
        return [v for v in ("业主", "租户", "家属", UNKNOWN) if v in values]
    return sorted(values, key=_natural)


def _live_report(session: Session, vote: Vote) -> VoteReport:
    electorate_rows, ballot_rows = _aggregates(session, vote)
    binding = _build_report(vote, [r for r in electorate_rows if not r[0]], [r for r in ballot_rows if not r[0]],
                            binding=True)
    if vote.advisory_all:
        binding.advisory = _build_report(vote, electorate_rows, ballot_rows, binding=False)
    return binding


def _build_report(vote: Vote, electorate_rows, ballot_rows, *, binding: bool) -> VoteReport:
    group_index = {"building": 1, "age": 2, "tenure": 3}
    electorate = sum(r[4] for r in electorate_rows)
    electorate_cents = sum(int(r[5]) for r in electorate_rows)
    per_choice: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    online = paper = 0
    group_electorate: dict[str, dict[str, int]] = {k: defaultdict(int) for k in group_index}
    group_choices: dict[str, dict[str, dict[str, int]]] = {k: defaultdict(lambda: defaultdict(int)) for k in group_index}
    for row in electorate_rows:
        for key, index in group_index.items():
            group_electorate[key][row[index]] += row[4]
    for row in ballot_rows:
        choice, source, count, cents = row[4], row[5], row[6], int(row[7])
        per_choice[choice][0] += count
        per_choice[choice][1] += cents
        if source == BallotSource.PAPER:
            paper += count
        else:
            online += count
        for key, index in group_index.items():
            group_choices[key][row[index]][choice] += count
    participants = online + paper
    labels = option_labels(vote)
    decision = None
    choice_result = None
    if vote.kind == VoteKind.PROPOSAL:
        words = choice_labels()
        rule = _rule(vote) if binding else rules.Rule("simple_majority")
        groups = {
            key: {value: {"electorate": n, **{c: group_choices[key][value].get(c, 0) for c in YES_NO}}
                  for value, n in group_electorate[key].items()}
            for key in group_index
        }
        tally = rules.Tally.from_counts(
            electorate_count=electorate,
            electorate_area=_cents_to_area(electorate_cents) if binding else 0,
            counts={c: (per_choice[c][0], _cents_to_area(per_choice[c][1]) if binding else 0) for c in YES_NO},
            groups=groups,
        )
        decision = rules.decide(rule, tally)
        tally_rows = [(words[c], per_choice[c][0]) for c in YES_NO]

        def name(choice: str) -> list[str]:
            return [words.get(choice, choice)]
    else:
        expanded = chain.from_iterable(repeat(choice, n) for choice, (n, _c) in per_choice.items())
        keys = list(labels)
        if vote.kind == VoteKind.SINGLE:
            counted = rules.count_single(keys, list(expanded))
        elif vote.kind == VoteKind.APPROVAL:
            counted = rules.count_approval(keys, [json.loads(c) for c in expanded])
        else:
            counted = rules.schulze(keys, [json.loads(c) for c in expanded])
        choice_result = _choice_result(vote, counted, {c: n for c, (n, _cents) in per_choice.items()})
        tally_rows = [(labels[k], choice_result["votes"][labels[k]]) for k in keys]

        def name(choice: str) -> list[str]:
            if vote.kind == VoteKind.SINGLE:
                return [labels.get(choice, choice)]
            value = json.loads(choice)
            if vote.kind == VoteKind.APPROVAL:
                return [labels.get(k, k) for k in value]
            return [labels.get(k, k) for k in value[0]] if value else []
    breakdown: dict[str, list[tuple[str, dict[str, int]]]] = {}
    for key, title in GROUP_KEYS:
        rows = []
        for value in _group_value_order(key, group_electorate[key]):
            counts = {label: 0 for label, _n in tally_rows}
            for choice, n in group_choices[key].get(value, {}).items():
                for label in name(choice):
                    counts[label] = counts.get(label, 0) + n
            counts["未投票"] = max(group_electorate[key][value] - sum(group_choices[key].get(value, {}).values()), 0)
            rows.append((value, counts))
        breakdown[title] = rows
    areas = {}
    if binding and vote.basis == VoteBasis.OWNER:
        areas = {"electorate": str(_cents_to_area(electorate_cents)),
                 "participants": str(_cents_to_area(sum(v[1] for v in per_choice.values())))}
    return VoteReport(
        vote=vote, rule_text=rule_text(vote) if binding else _("参考性表决：全体居民一人一票，同意多于反对即为多数意见"),
        decision=decision, choice_result=choice_result, tally_rows=tally_rows, breakdown=breakdown,
        online=online, paper=paper, electorate=electorate, participants=participants,
        final=vote.closed_at is not None, title=vote.title if binding else _("参考性表决（全体居民）"), areas=areas,
    )


def _choice_result(vote: Vote, counted, first_choices: dict[str, int] | None = None) -> dict:
    labels = option_labels(vote)
    if isinstance(counted, rules.SchulzeResult):
        # For ranked ballots the tally rows count first preferences (an option ranked first, ties included).
        votes = {labels[k]: 0 for k in labels}
        for choice, n in (first_choices or {}).items():
            tiers = json.loads(choice)
            for key in tiers[0] if tiers else []:
                votes[labels[key]] += n
        return {
            "method": "schulze",
            "winners": [labels[k] for k in counted.winners],
            "ranking": [[labels[k] for k in tier] for tier in counted.ranking],
            "pairwise": {labels[a]: {labels[b]: n for b, n in row.items()} for a, row in counted.pairwise.items()},
            "strongest_paths": {labels[a]: {labels[b]: n for b, n in row.items()}
                                for a, row in counted.strongest_paths.items()},
            "ballots": counted.ballots,
            "votes": votes,
            "tie": counted.is_tie,
        }
    return {
        "method": counted.method,
        "winners": [labels[k] for k in counted.winners],
        "ranking": [[labels[r.option]] for r in counted.results],
        "pairwise": None,
        "ballots": counted.ballots,
        "votes": {labels[r.option]: r.votes for r in counted.results},
        "tie": counted.is_tie,
    }


def _report_dict(report: VoteReport) -> dict:
    return {
        "title": report.title,
        "rule_text": report.rule_text,
        "decision": report.decision.as_dict() if report.decision else None,
        "choice_result": report.choice_result,
        "tally_rows": [list(row) for row in report.tally_rows],
        "breakdown": {k: [[v, counts] for v, counts in rows] for k, rows in report.breakdown.items()},
        "online": report.online,
        "paper": report.paper,
        "electorate": report.electorate,
        "participants": report.participants,
        "areas": report.areas,
    }


def _snapshot(report: VoteReport) -> dict:
    data = _report_dict(report)
    data["advisory"] = _report_dict(report.advisory) if report.advisory else None
    return data


def _from_snapshot(vote: Vote, data: dict, binding: bool = True) -> VoteReport:
    decision = None
    if data.get("decision"):
        stored = data["decision"]
        decision = rules.decide(rules.Rule.from_dict(stored["rule"]), rules.Tally.from_dict(stored["tally"]))
    report = VoteReport(
        vote=vote, rule_text=data["rule_text"], decision=decision, choice_result=data.get("choice_result"),
        tally_rows=[(label, n) for label, n in data["tally_rows"]],
        breakdown={k: [(v, counts) for v, counts in rows] for k, rows in data["breakdown"].items()},
        online=data["online"], paper=data["paper"], electorate=data["electorate"],
        participants=data["participants"], final=True, title=data.get("title", vote.title),
        areas=data.get("areas") or {},
    )
    if binding and data.get("advisory"):
        report.advisory = _from_snapshot(vote, data["advisory"], binding=False)
    return report


def report_as_dict(report: VoteReport) -> dict:
    """The JSON of GET /api/v1/votes/{id}/result."""
    data = _report_dict(report)
    decision = data.pop("decision")
    data.update({
        "vote_id": report.vote.id,
        "kind": report.vote.kind.value,
        "state": report.vote.state.value,
        "final": report.final,
        "rule": decision["rule"] if decision else {"name": report.vote.rule_name, "params": {}},
        "rule_label": rule_label(report.vote),
        "tally": decision["tally"] if decision else data["choice_result"],
        "checks": decision["checks"] if decision else [],
        "agreed": decision["agreed"] if decision else None,
        "summary": decision["summary"] if decision else _choice_summary(report),
        "advisory": report_as_dict(report.advisory) if report.advisory else None,
    })
    return data


def _choice_summary(report: VoteReport) -> str:
    result = report.choice_result or {}
    winners = result.get("winners") or []
    if not winners:
        return _("尚无人投票")
    if len(winners) > 1:
        return _("并列：%(names)s，需再议", names="、".join(winners))
    return _("胜出：%(name)s", name=winners[0])


# -- receipts and lists ------------------------------------------------------------------------


def receipts(session: Session, vote: Vote, per_page: int = 100, page: int | None = None) -> Page:
    """After the close: every ballot's receipt hash with its choice and source (never a name)."""
    if vote.state != VoteState.CLOSED:
        raise Conflict(_("表决结束后才公布回执清单"))
    stmt = (select(Ballot.receipt_hash, Ballot.choice, Ballot.source).where(Ballot.vote_id == vote.id)
            .order_by(Ballot.receipt_hash))
    return paginate(session, stmt, per_page=per_page, number=page)


def find_receipt(session: Session, vote: Vote, code: str) -> Ballot | None:
    if not code or len(code) > 40:
        return None
    return session.execute(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.receipt_hash == receipt_hash(vote.id, code))
    ).scalar()


def open_ballot_list(session: Session, actor: User, vote: Vote) -> list[tuple[str, str, str]]:
    """An open (not secret) vote: who chose what, for the moderator only — (names, choice, source)."""
    _require_moderator(vote, actor)
    if vote.secret:
        raise Forbidden(_("无记名表决不显示谁投了什么"))
    rows = session.execute(
        select(VoteVoter.person_ids, Ballot.choice, Ballot.source)
        .join(VoteVoter, and_(VoteVoter.vote_id == Ballot.vote_id, VoteVoter.voter_key == Ballot.voter_key))
        .where(Ballot.vote_id == vote.id).order_by(Ballot.cast_at)
    ).all()
    ids = {pid for person_ids, _c, _s in rows for pid in person_ids}
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
    return [("、".join(names.get(p, "?") for p in person_ids), describe_choice(vote, choice), source_label(source))
            for person_ids, choice, source in rows]


def live_counts(session: Session, vote: Vote, show_results: bool) -> dict:
    """The figures of the hall display: cheap enough to compute every second."""
    electorate = electorate_size(session, vote)
    with_facts = (select(Ballot.source, func.count()).where(Ballot.vote_id == vote.id, Ballot.advisory.is_(False))
                  .group_by(Ballot.source))
    without_facts = (
        select(Ballot.source, func.count())
        .join(VoteVoter, and_(VoteVoter.vote_id == Ballot.vote_id, VoteVoter.voter_key == Ballot.voter_key))
        .where(Ballot.vote_id == vote.id, Ballot.advisory.is_(None), VoteVoter.advisory.is_(False))
        .group_by(Ballot.source)
    )
    by_source: dict[str, int] = defaultdict(int)
    for source, n in session.execute(union_all(with_facts, without_facts)).all():
        by_source[source] += n
    participants = sum(by_source.values())
    if vote.closed_at is not None and vote.decision:
        participants = vote.decision["participants"]
        electorate = vote.decision["electorate"]
        by_source = {BallotSource.ONLINE: vote.decision["online"], BallotSource.PAPER: vote.decision["paper"]}
    data = {
        "state": vote.state.value,
        "state_label": state_label(vote.state),
        "participants": participants,
        "electorate": electorate,
        "online": by_source.get(BallotSource.ONLINE, 0),
        "paper": by_source.get(BallotSource.PAPER, 0),
        "turnout": charts.percent(participants, electorate),
    }
    if show_results:
        report = report_for(session, vote)
        data["tally"] = [[label, n] for label, n in report.tally_rows]
        if report.decision is not None:
            data["summary"] = report.decision.summary
    return data
