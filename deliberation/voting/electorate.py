"""The frozen electorate: who may vote (frozen at the opening), the voter's row, its facts and its size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, and_, cast, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from deliberation.accounts.demographics import UNKNOWN, age_band
from deliberation.accounts.models import Building, Household, Ownership, Person, Tenure, Unit, User
from deliberation.consultations.eligibility import eligible_person_ids
from deliberation.db import utcnow
from deliberation.voting.models import Ballot, Vote, VoteBasis, VoteElectorateGroup, VoteVoter, VoteVoterUnit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _tenure_code(tenure: Tenure | str | None) -> str:
    return Tenure(tenure).value if tenure else UNKNOWN


def freeze_electorate(session: Session, vote: Vote) -> int:
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
                age_band(min(births) if births else None, year), _tenure_code(tenure), [unit_id])
    elif vote.basis == VoteBasis.OWNER:
        for person_id, tenure, birth, _hid, unit_id, _area, building in people:
            if person_id in owns:
                held = owns[person_id]
                add(f"o:{person_id}", [person_id], sum(a for _u, a, _b in held), held[0][2],
                    age_band(birth, year), _tenure_code("owner"), [u for u, _a, _b in held])
            elif vote.advisory_all and unit_id is not None:
                add(f"p:{person_id}", [person_id], 0, building, age_band(birth, year), _tenure_code(tenure),
                    [unit_id], advisory=True)
    else:
        for person_id, tenure, birth, _hid, unit_id, _area, building in people:
            held = owns.get(person_id, [])
            unit_ids = [unit_id] if unit_id is not None else [u for u, _a, _b in held]
            add(f"p:{person_id}", [person_id], sum(a for _u, a, _b in held), building or (
                held[0][2] if held else ""), age_band(birth, year), _tenure_code(tenure), unit_ids)
    if voters:
        session.execute(insert(VoteVoter), voters)
    if units:
        session.execute(insert(VoteVoterUnit), units)
    return sum(1 for v in voters if not v["advisory"])


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


def voter_facts(voter: VoteVoter) -> dict:
    """The voter's facts a ballot carries, so that results need no join to the electorate."""
    return {"advisory": voter.advisory, "building": voter.building, "age_band": voter.age_band,
            "tenure": voter.tenure, "area_cents": voter.area_cents}
