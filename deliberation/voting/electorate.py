"""The frozen electorate: who may vote (frozen at the opening), the voter's row, its facts and its size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, and_, cast, delete, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session, object_session

from deliberation.accounts.demographics import UNKNOWN, age_band, room_order
from deliberation.accounts.models import Building, Household, Ownership, Person, Tenure, Unit, User
from deliberation.consultations.eligibility import eligible_person_ids, units_inside
from deliberation.consultations.models import Eligibility, consultation_staircases
from deliberation.db import utcnow
from deliberation.rules import natural_key
from deliberation.voting.models import Ballot, Vote, VoteBasis, VoteElectorateGroup, VoteVoter, VoteVoterUnit

SHANGHAI = ZoneInfo("Asia/Shanghai")


ADULT_AGE = 18


def _tenure_code(tenure: Tenure | str | None) -> str:
    return Tenure(tenure).value if tenure else UNKNOWN


def of_age(birth_year: int | None, year: int) -> bool:
    """Whether someone born in `birth_year` votes in `year` as an adult: Civil Code Art. 17 (十八周岁以上的
    自然人为成年人). The roster keeps the year of birth only, so someone turning 18 this year counts as 18,
    as accounts.demographics.age_band counts them; an unknown year is included (and flagged on the roll)."""
    return birth_year is None or year - birth_year >= ADULT_AGE


def owner_groups(holdings: Iterable[tuple[int, int]], developers: Iterable[int] = ()) -> list[tuple[list[int], list[int]]]:
    """The owners as the law counts them: a list of (person ids, unit ids), one entry per voter.

    The Supreme People's Court interpretation on building ownership (最高人民法院关于审理建筑物区分所有权
    纠纷案件具体应用法律若干问题的解释), Art. 9: an exclusive part (专有部分) counts as one person; one buyer of
    several exclusive parts counts once, and the parts the developer (建设单位) has not sold or delivered
    count together as one. Art. 8: the area is the exclusive parts' registered area. So persons and the
    units they own are linked (`holdings`: (person id, unit id)); each connected group is one voter
    (co-owners of a unit are that unit's one voter; an owner of several units is one voter with all of
    them), and every person of `developers` is joined into one group. Groups come in order of their first
    person id, their persons sorted, their units in the order the holdings gave them.
    """
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(node: tuple[str, int]) -> tuple[str, int]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(a: tuple[str, int], b: tuple[str, int]) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    holdings = list(holdings)
    for person_id, unit_id in holdings:
        join(("p", person_id), ("u", unit_id))
    held = {person_id for person_id, _unit in holdings}
    developer_ids = sorted(set(developers) & held)
    for other in developer_ids[1:]:
        join(("p", developer_ids[0]), ("p", other))
    groups: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
    for person_id, unit_id in holdings:
        persons, units = groups.setdefault(find(("p", person_id)), ([], []))
        if person_id not in persons:
            persons.append(person_id)
        if unit_id not in units:
            units.append(unit_id)
    ordered = [(sorted(persons), units) for persons, units in groups.values()]
    return sorted(ordered, key=lambda group: group[0][0])


def freeze_electorate(session: Session, vote: Vote) -> int:
    """Write the electorate once, at the opening: who may vote, their area, building, age band, tenure.

    Owners (the Civil Code presets and every owner vote) are counted by owner_groups; per-person and
    household electorates, and the residents asked for advice, are adults (of_age). How it was counted
    is kept on the vote (``electorate_counted``, worded by labels.electorate_text). Returns the binding size.
    """
    voters, units, counted = compute_electorate(session, vote)
    if voters:
        session.execute(insert(VoteVoter), voters)
    if units:
        session.execute(insert(VoteVoterUnit), units)
    vote.electorate_counted = counted
    return counted["voters"]


def counted_now(session: Session, vote: Vote) -> dict:
    """How the electorate would be counted if the vote opened now, written nowhere: the facts
    freeze_electorate keeps (voters, area, units, scope, co-owned units…), for the roll posted before
    the opening (表决权人名册公示). The frozen count (Vote.electorate_counted) once the vote has opened."""
    if vote.opened_at is not None and vote.electorate_counted:
        return dict(vote.electorate_counted)
    return compute_electorate(session, vote)[2]


def compute_electorate(session: Session, vote: Vote) -> tuple[list[dict], list[dict], dict]:
    """The electorate as it would be frozen now, from the roster as it is: (VoteVoter rows, VoteVoterUnit rows,
    how it was counted). Nothing is written: freeze_electorate writes it at the opening, the posted roll
    (voting.roll) and counted_now read it before."""
    consultation = vote.consultation
    year = utcnow().astimezone(SHANGHAI).year
    eligible = eligible_person_ids(consultation)
    cents = cast(func.round(func.coalesce(Unit.area, 0) * 100), Integer)
    people = session.execute(
        select(Person.id, Person.tenure, Person.birth_year, Person.household_id, Unit.id, cents, Building.name,
               Person.is_developer)
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
        .where(Ownership.person_id.in_(eligible), Building.community_id == vote.community_id,
               units_inside(consultation))
        .order_by(Building.sort_key, *room_order(Unit.room), Ownership.person_id)
    ).all()
    owns: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    unit_facts: dict[int, tuple[int, str]] = {}
    for person_id, unit_id, area, building in owned:
        owns[person_id].append((unit_id, int(area or 0), building))
        unit_facts[unit_id] = (int(area or 0), building)

    voters: list[dict] = []
    units: list[dict] = []
    scope, scope_kind = scope_of(consultation)
    counted = {"basis": vote.basis.value, "minors_left_out": 0, "scope": scope, "scope_kind": scope_kind}

    def add(key: str, person_ids: list[int], area: int, building: str, age: str, tenure: str,
            unit_ids: Iterable[int], advisory: bool = False) -> None:
        voters.append({"vote_id": vote.id, "voter_key": key, "advisory": advisory, "person_ids": person_ids,
                       "area_cents": area, "building": building or UNKNOWN, "age_band": age,
                       "tenure": tenure, "took_part": False})
        units.extend({"vote_id": vote.id, "voter_key": key, "unit_id": u} for u in dict.fromkeys(unit_ids))

    adults = []
    for row in people:
        if row[7]:
            continue  # the developer (建设单位) is an owner, never a resident
        if of_age(row[2], year):
            adults.append(row)
        elif vote.basis != VoteBasis.OWNER or (vote.advisory_all and row[0] not in owns):
            counted["minors_left_out"] += 1
    if vote.basis == VoteBasis.HOUSEHOLD:
        households: dict[int, list] = defaultdict(list)
        for row in adults:
            if row[3] is not None:
                households[row[3]].append(row)
        for household_id, members in households.items():
            _pid, _tenure, _birth, _hid, unit_id, area, building, _dev = members[0]
            births = [m[2] for m in members if m[2] is not None]
            tenures = {str(m[1]) for m in members}
            tenure = "owner" if "owner" in tenures else "tenant" if "tenant" in tenures else "family"
            add(f"h:{household_id}", [m[0] for m in members], int(area or 0), building,
                age_band(min(births) if births else None, year), _tenure_code(tenure), [unit_id])
    elif vote.basis == VoteBasis.OWNER:
        by_id = {row[0]: row for row in people}
        developers = [row[0] for row in people if row[7]]
        holdings = [(person_id, unit_id) for person_id, unit_id, _a, _b in owned]
        groups = owner_groups(holdings, developers)
        counted.update(coowned_units=_coowned(holdings), multi_unit_owners=0, developer_units=0)
        for person_ids, unit_ids in groups:
            first = by_id[person_ids[0]]
            if any(by_id[p][7] for p in person_ids):
                counted["developer_units"] += len(unit_ids)
            elif len(unit_ids) > 1:
                counted["multi_unit_owners"] += 1
            add(f"o:{person_ids[0]}", person_ids, sum(unit_facts[u][0] for u in unit_ids),
                unit_facts[unit_ids[0]][1], age_band(first[2], year), _tenure_code("owner"), unit_ids)
        if vote.advisory_all:
            for person_id, tenure, birth, _hid, unit_id, _area, building, _dev in adults:
                if person_id not in owns and unit_id is not None:
                    add(f"p:{person_id}", [person_id], 0, building, age_band(birth, year), _tenure_code(tenure),
                        [unit_id], advisory=True)
    else:
        for person_id, tenure, birth, _hid, unit_id, _area, building, _dev in adults:
            held = owns.get(person_id, [])
            unit_ids = [unit_id] if unit_id is not None else [u for u, _a, _b in held]
            add(f"p:{person_id}", [person_id], sum(a for _u, a, _b in held), building or (
                held[0][2] if held else ""), age_band(birth, year), _tenure_code(tenure), unit_ids)
    binding = [v for v in voters if not v["advisory"]]
    binding_keys = {v["voter_key"] for v in binding}
    counted.update(voters=len(binding), area_cents=sum(v["area_cents"] for v in binding),
                   units=len({u["unit_id"] for u in units if u["voter_key"] in binding_keys}),
                   unknown_age=sum(1 for v in binding if v["age_band"] == UNKNOWN),
                   advisory=len(voters) - len(binding))
    return voters, units, counted


def _coowned(holdings: list[tuple[int, int]]) -> int:
    """How many units have more than one owner on the roster."""
    owners: dict[int, int] = defaultdict(int)
    for _person, unit_id in holdings:
        owners[unit_id] += 1
    return sum(1 for n in owners.values() if n > 1)


def scope_words(consultation) -> str:
    """The part of the community a session is about, in words ("3号楼、5号楼2单元"); "" for all of it."""
    return scope_of(consultation)[0]


def scope_of(consultation) -> tuple[str, str]:
    """The part of the community a session is about: (its names, what it is).

    What it is, as the roll, the notices and the minutes word it (labels.scope_text): "staircase" (one
    单元: 本单元), "building" (one whole 楼: 本楼), "several" (a list of them), "" (the whole community).
    A vote about part of the community counts only that part's owners (《上海市住宅物业管理规定》 Art. 69).
    """
    if consultation.eligibility != Eligibility.BUILDINGS:
        return "", ""
    session = object_session(consultation)
    staircases = session.execute(
        select(Building.name, consultation_staircases.c.staircase)
        .join(Building, Building.id == consultation_staircases.c.building_id)
        .where(consultation_staircases.c.consultation_id == consultation.id)
    ).all()
    buildings = [b.name for b in consultation.buildings]
    names = "、".join(sorted(buildings + [f"{b}{s}" for b, s in staircases], key=natural_key))
    if len(buildings) + len(staircases) > 1:
        return names, "several"
    return names, "staircase" if staircases else "building" if buildings else ""


def count_electorate(session: Session, vote: Vote) -> None:
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
    count_electorate(session, vote)


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


def voter_for(session: Session, vote: Vote, user: User) -> VoteVoter | None:
    """The user's row in the frozen electorate (binding before advisory), or None: one query.

    The electorate was frozen from the session's eligible persons of the vote's community, so a row
    naming the user's person is the whole answer (no other check of the person is needed).
    """
    if not user.is_authenticated or user.person_id is None:
        return None
    return voter_of_person(session, vote, user.person_id)


def voter_of_person(session: Session, vote: Vote, person_id: int) -> VoteVoter | None:
    """The person's row in the frozen electorate (binding before advisory), or None: one query (voter_for;
    a ballot recorded at the counter for a resident who may have no login, voting.assisted)."""
    if vote.opened_at is None:
        return None
    if vote.basis == VoteBasis.HOUSEHOLD:
        keys = None
        stmt = select(VoteVoter).join(Person, and_(
            Person.id == person_id, Person.household_id.is_not(None),
            VoteVoter.voter_key == literal("h:") + cast(Person.household_id, String)))
    elif vote.basis == VoteBasis.OWNER:
        # An owner group is keyed by its first person: a co-owner finds it through the units they own.
        keys = [f"o:{person_id}", f"p:{person_id}"]
        through_units = (select(VoteVoterUnit.voter_key)
                         .join(Ownership, Ownership.unit_id == VoteVoterUnit.unit_id)
                         .where(VoteVoterUnit.vote_id == vote.id, Ownership.person_id == person_id))
        stmt = select(VoteVoter).where(or_(VoteVoter.voter_key.in_(keys), VoteVoter.voter_key.in_(through_units)))
    else:
        keys = [f"p:{person_id}"]
        stmt = select(VoteVoter).where(VoteVoter.voter_key.in_(keys))
    rows = session.execute(stmt.where(VoteVoter.vote_id == vote.id)).scalars().all()
    rows = sorted(rows, key=lambda row: (row.advisory, keys.index(row.voter_key) if keys and row.voter_key in keys
                                         else 0))
    return next((row for row in rows if person_id in (row.person_ids or [])), None)


def voter_facts(voter: VoteVoter) -> dict:
    """The voter's facts a ballot carries, so that results need no join to the electorate."""
    return {"advisory": voter.advisory, "building": voter.building, "age_band": voter.age_band,
            "tenure": voter.tenure, "area_cents": voter.area_cents}


def voter_names(session: Session, vote: Vote, keys: Iterable[str]) -> dict[str, set[str]]:
    """The names a paper form may be signed with, per voter key: its persons aged 18 and over (co-owners of
    a unit, a household's adults), or of unknown age. Two queries."""
    keys = set(keys)
    if not keys:
        return {}
    rows = session.execute(
        select(VoteVoter.voter_key, VoteVoter.person_ids)
        .where(VoteVoter.vote_id == vote.id, VoteVoter.voter_key.in_(keys))
    ).all()
    person_ids = {int(p) for _key, ids in rows for p in (ids or [])}
    year = utcnow().astimezone(SHANGHAI).year
    adults = {pid: name for pid, name, birth in session.execute(
        select(Person.id, Person.name, Person.birth_year).where(Person.id.in_(person_ids))
    ).all() if of_age(birth, year)} if person_ids else {}
    return {key: {adults[int(p)] for p in (ids or []) if int(p) in adults} for key, ids in rows}


def minor_named(session: Session, unit_id: int, name: str) -> bool:
    """Whether `name` is someone under 18 living in or owning the unit (a paper form signed by a minor)."""
    if not name:
        return False
    year = utcnow().astimezone(SHANGHAI).year
    lives = select(Person.birth_year).join(Household, Household.id == Person.household_id).where(
        Household.unit_id == unit_id, Person.name == name)
    owns = select(Person.birth_year).join(Ownership, Ownership.person_id == Person.id).where(
        Ownership.unit_id == unit_id, Person.name == name)
    births = session.execute(lives.union_all(owns)).scalars().all()
    return bool(births) and all(not of_age(birth, year) for birth in births)
