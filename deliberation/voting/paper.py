"""Paper forms (征询单): who enters them for which building, reading them, conflicts with ballots already
counted, the units not answered yet, and the floor captains (楼组长) who enter their building's forms."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from deliberation import audit
from deliberation.accounts.demographics import room_order
from deliberation.accounts.models import (
    Building,
    Community,
    FloorCaptain,
    Membership,
    Ownership,
    Person,
    Unit,
    User,
    mask_phone,
)
from deliberation.db import begin_writes, utcnow
from deliberation.errors import Conflict, Invalid, NotFound, require
from deliberation.pagination import Page, page_number
from deliberation.voting.casting import audit_choice, canonical_choice
from deliberation.voting.electorate import minor_named, voter_names
from deliberation.voting.lifecycle import due, open_with_version, refresh
from deliberation.voting.models import (
    Ballot,
    BallotSource,
    PaperConflict,
    Vote,
    VoteBasis,
    VoteKind,
    VoteVoter,
    VoteVoterUnit,
)
from deliberation.voting.receipts import paper_receipt
from deliberation.voting.reconcile import conflict_message, counted_ballots, names_of_voters, settle_conflicts


def paper_buildings(session: Session, user: User, vote: Vote) -> list[Building]:
    """The buildings whose paper forms the user may enter: all of the community for moderators, else their own."""
    stmt = select(Building).where(Building.community_id == vote.community_id).order_by(Building.sort_key)
    if not vote.can_moderate(user):
        stmt = stmt.where(Building.id.in_(select(FloorCaptain.building_id).where(FloorCaptain.user_id == user.id)))
    return list(session.execute(stmt).scalars())


def entry_building(session: Session, vote: Vote, building_id: int | None) -> Building:
    """The building of the vote's community whose paper forms are entered; any other id does not exist (404)."""
    building = session.get(Building, building_id) if building_id is not None else None
    if building is None or building.community_id != vote.community_id:
        raise NotFound(_("找不到该楼栋"))
    return building


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
    """One line of paper forms as entered: room, answer as written, optional name, line number."""

    room: str
    choice: str
    name: str = ""
    line: int = 0


@dataclass
class PaperOutcome:
    """What became of one line: recorded (with its receipt), set aside as a conflict, or refused."""

    line: int
    room: str
    status: str  # "recorded" | "conflict" | "error"
    message: str
    receipt: str = ""


def enter_paper_ballots(session: Session, actor: User, vote: Vote, building: Building,
                        entries: Sequence[PaperEntry]) -> list[PaperOutcome]:
    """Record paper forms of one building: each line is recorded, set aside as a conflict, or refused."""
    require(building.community_id == vote.community_id and vote.can_enter_paper(actor, building),
            _("只有主持人或本楼楼组长可以录入本楼的征询单"))
    if due(vote):  # the clock moved the vote on: its catching up writes, so the writes begin here
        begin_writes(session)
    refresh(session, vote)
    is_open, version = open_with_version(session, vote)
    if not is_open:
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
    names = voter_names(session, vote, {k for ks in keys_of.values() for k in ks})
    all_keys = [k for ks in keys_of.values() for k in ks]
    # The reads above ran outside SQLite's write lock (db.reads_first); under it, what another writer could
    # have changed meanwhile is read again: the vote still open, and who has a ballot (below).
    if begin_writes(session):
        is_open, version = open_with_version(session, vote)
        if not is_open:
            raise Conflict(_("表决未在进行中，不能录入征询单"))
    answered = set(session.execute(select(Ballot.voter_key).where(
        Ballot.vote_id == vote.id, Ballot.voter_key.in_(all_keys))).scalars()) if all_keys else set()
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
            keys = [k for k in keys if entry.name.strip() in names.get(k, ())]
        if not keys:
            outcomes.append(refuse(_("%(unit)s的%(name)s未满18周岁，不能参加表决", unit=label, name=entry.name.strip())
                                   if minor_named(session, unit_id, entry.name.strip()) else
                                   _("%(unit)s没有表决权人（或姓名不符）", unit=label)))
            continue
        if len(keys) > 1:
            outcomes.append(refuse(_("%(unit)s有多位表决权人，请在选项后写上姓名", unit=label)))
            continue
        try:
            stored = paper_choice(vote, entry.choice)
        except Invalid as error:
            outcomes.append(refuse(error.message))
            continue
        key = keys[0]
        if vote.basis == VoteBasis.OWNER and key not in answered:
            # Co-owners of a unit are one owner (SPC interpretation on building ownership, Arts. 8-9): a form
            # for a unit whose co-owner has a ballot already is set aside against that ballot, never counted twice.
            key = next((k for k in keys_of[unit_id] if k in answered), key)
        outcome = _paper_ballot(session, actor, vote, key, unit_id, label, stored, entry.line, room, facts[key],
                                version)
        answered.add(key)
        outcomes.append(outcome)
    session.flush()
    return outcomes


def _paper_ballot(session: Session, actor: User, vote: Vote, key: str, unit_id: int, label: str, stored: str,
                  line: int, room: str, facts: dict, version: int | None) -> PaperOutcome:
    code, digest = paper_receipt(vote.id, unit_id, key)  # the code printed on the unit's form
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
                     unit=label, existing=str(existing), conflict_id=conflict.id, **audit_choice(vote, stored))
        message = conflict_message(vote, label, names_of_voters(session, vote, [key]).get(key, ""),
                                   counted_ballots(session, vote, [key]).get(key), unit_id)
        return PaperOutcome(line, room, "conflict", message)
    audit.record(session, actor, "ballot.paper", vote, community_id=vote.community_id, unit=label,
                 **audit_choice(vote, stored))
    return PaperOutcome(line, room, "recorded", _("%(unit)s已录入", unit=label), code)


def open_conflicts(session: Session, vote: Vote) -> list[PaperConflict]:
    """The vote's conflicts not settled yet, oldest first."""
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
    """The moderator settles a conflict: keep the ballot already counted, or count the paper form instead
    (reconcile.settle_conflicts, which settles several at once)."""
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    conflict = conflict_of(session, vote, conflict_id)
    if conflict.resolved_at is not None:
        raise Conflict(_("该冲突已处理"))
    [outcome] = settle_conflicts(session, actor, vote, [conflict_id], resolution)
    if outcome.status != "settled":
        raise Conflict(outcome.message)
    return conflict


@dataclass(frozen=True)
class UnansweredUnit:
    """A unit still to visit: where it is, and who there has not answered yet (names, masked phones)."""

    unit_id: int
    building: str
    room: str
    staircase: str
    people: tuple[tuple[str, str], ...] = ()  # (name, masked phone)


def unanswered_units(session: Session, vote: Vote, building_id: int | None = None, per_page: int = 50,
                     page: int | None = None, staircase: str | None = None) -> Page:
    """Units of the binding electorate with a voter who has not answered yet, for door-to-door follow-up:
    in natural order (building, staircase, room as people count them), with who is to be asked.

    Only the binding electorate counts: a tenant's advisory ballot never takes its flat off the list,
    since its owner still has to answer. Just after an opening the planner's statistics know nothing of
    the vote's new rows and take them for one; a join of the electorate with itself or with the ballots
    then became nested loops scanning all of them per row (seconds on PostgreSQL). So the query walks the
    vote's units once and asks of each, in subqueries PostgreSQL never turns into joins, whether its
    voter is binding and still waiting and whether a ballot exists: each an index probe on a unique key
    (vote_voters' primary key, the one ballot per voter key), whatever the statistics say.
    Items are UnansweredUnit; a page costs one query (its total as a window count) and five lookups.
    """
    stmt = (
        select(Unit.id, Building.name, Unit.room, Unit.staircase)
        .select_from(VoteVoterUnit)
        .join(Unit, Unit.id == VoteVoterUnit.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(VoteVoterUnit.vote_id == vote.id, _voter_waiting().is_not(None), _ballot_of_key().is_(None))
        .group_by(Unit.id, Building.name, Unit.room, Unit.staircase, Building.sort_key)  # a unit once
        .order_by(Building.sort_key, func.length(Unit.staircase), Unit.staircase, *room_order(Unit.room), Unit.id)
    )
    if building_id is not None:
        stmt = stmt.where(Unit.building_id == building_id)
    if staircase:
        stmt = stmt.where(Unit.staircase == staircase)
    number = page or page_number()
    # The total rides along with the page (a window count), so the units are walked once, not twice.
    rows = session.execute(stmt.add_columns(func.count().over()).limit(per_page).offset((number - 1) * per_page)
                           ).all()
    if rows:
        total = rows[0][-1]
    else:  # past the last page: count apart
        total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar() or 0
    unit_ids = [row[0] for row in rows]
    people = _waiting_people(session, vote, unit_ids) if unit_ids else {}
    items = [UnansweredUnit(unit_id, building, room, staircase_, tuple(people.get(unit_id, ())))
             for unit_id, building, room, staircase_, _total in rows]
    return Page(items=items, number=number, per_page=per_page, total=total)


def _voter_waiting():
    """1 when the voter of the current vote_voter_units row is binding and has not taken part, else NULL."""
    return (select(literal(1)).where(VoteVoter.vote_id == VoteVoterUnit.vote_id,
                                     VoteVoter.voter_key == VoteVoterUnit.voter_key,
                                     VoteVoter.advisory.is_(False), VoteVoter.took_part.is_(False))
            .scalar_subquery())


def _ballot_of_key():
    """1 when the voter key of the current vote_voter_units row has a ballot, else NULL."""
    return (select(literal(1)).where(Ballot.vote_id == VoteVoterUnit.vote_id,
                                     Ballot.voter_key == VoteVoterUnit.voter_key)
            .scalar_subquery())


def _waiting_people(session: Session, vote: Vote, unit_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """For each unit, the persons of its voters not answered yet (for owners: those who own that unit).
    Lookups of one table each, by key, so no plan depends on statistics."""
    keys_of = session.execute(
        select(VoteVoterUnit.unit_id, VoteVoterUnit.voter_key)
        .where(VoteVoterUnit.vote_id == vote.id, VoteVoterUnit.unit_id.in_(unit_ids))
    ).all()
    keys = {key for _unit, key in keys_of}
    answered = set(session.execute(
        select(Ballot.voter_key).where(Ballot.vote_id == vote.id, Ballot.voter_key.in_(keys))).scalars())
    waiting = dict(session.execute(
        select(VoteVoter.voter_key, VoteVoter.person_ids)
        .where(VoteVoter.vote_id == vote.id, VoteVoter.voter_key.in_(keys - answered),
               VoteVoter.advisory.is_(False), VoteVoter.took_part.is_(False))
    ).all())
    person_ids = {int(p) for ids in waiting.values() for p in (ids or [])}
    persons = {pid: (name, mask_phone(phone)) for pid, name, phone in session.execute(
        select(Person.id, Person.name, Person.phone).where(Person.id.in_(person_ids)))} if person_ids else {}
    owners: set[tuple[int, int]] = set()
    if vote.basis == VoteBasis.OWNER:
        owners = {(pid, uid) for pid, uid in session.execute(
            select(Ownership.person_id, Ownership.unit_id).where(Ownership.unit_id.in_(unit_ids)))}
    people: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for unit_id, key in sorted(keys_of):
        for pid in sorted(int(p) for p in (waiting.get(key) or [])):
            if pid in persons and (not owners or (pid, unit_id) in owners):
                people[unit_id].append(persons[pid])
    return people


def followup_staircases(session: Session, vote: Vote, building_id: int | None) -> list[str]:
    """The staircases (单元) of a building on record, for the follow-up list's filter (none for all buildings)."""
    if building_id is None:
        return []
    return list(session.execute(
        select(Unit.staircase).where(Unit.building_id == building_id, Unit.staircase != "")
        .group_by(Unit.staircase).order_by(func.length(Unit.staircase), Unit.staircase)
    ).scalars())


# -- floor captains (楼组长) ---------------------------------------------------------------------


def captains_of(session: Session, community: Community) -> list[FloorCaptain]:
    """The community's floor captains, by building."""
    return list(session.execute(
        select(FloorCaptain).join(Building, Building.id == FloorCaptain.building_id)
        .where(Building.community_id == community.id)
        .options(selectinload(FloorCaptain.user), selectinload(FloorCaptain.building))
        .order_by(Building.sort_key, FloorCaptain.id)
    ).scalars())


def grant_captain(session: Session, actor: User, community: Community, username: str,
                  building_id: int) -> FloorCaptain:
    """Make a member of the community the floor captain (楼组长) of one building."""
    require(community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
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
    """Take a floor captain's role back (moderators)."""
    require(community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    captain = session.get(FloorCaptain, captain_id)
    if captain is None or captain.building.community_id != community.id:
        raise NotFound(_("找不到该楼组长"))
    audit.record(session, actor, "floor_captain.revoke", captain, community_id=community.id,
                 user_id=captain.user_id, building=captain.building.name)
    session.delete(captain)
    session.flush()
