"""Who may take part in a session: one SQL condition, used for lists and for single sessions alike."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true, union
from sqlalchemy.orm import Session

from deliberation.accounts.models import Household, Ownership, Person, Unit, User
from deliberation.consultations.models import (
    Consultation,
    Eligibility,
    Phase,
    consultation_buildings,
    consultation_persons,
    consultation_staircases,
)
from deliberation.db import utcnow


@dataclass(frozen=True)
class ResidentFacts:
    person_id: int | None
    building_ids: frozenset[int]
    is_owner: bool
    # (building id, staircase) of the units lived in or owned that have a staircase (单元) on record.
    staircases: frozenset[tuple[int, str]] = frozenset()


def resident_facts(session: Session, user: User) -> ResidentFacts:
    """The buildings and staircases a person lives or owns in, and whether they own anything."""
    if user.person_id is None:
        return ResidentFacts(None, frozenset(), False)
    lives = (
        select(Unit.building_id, Unit.staircase)
        .join(Household, Household.unit_id == Unit.id)
        .join(Person, Person.household_id == Household.id)
        .where(Person.id == user.person_id)
    )
    owns = (
        select(Unit.building_id, Unit.staircase)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .where(Ownership.person_id == user.person_id)
    )
    places = session.execute(union(lives, owns)).all()
    building_ids = frozenset(building_id for building_id, _staircase in places)
    staircases = frozenset((building_id, staircase) for building_id, staircase in places if staircase)
    is_owner = bool(session.execute(select(exists().where(Ownership.person_id == user.person_id))).scalar())
    return ResidentFacts(user.person_id, building_ids, is_owner, staircases)


def eligible_clause(facts: ResidentFacts) -> ColumnElement[bool]:
    """True for the sessions whose eligibility includes this person."""
    branches: list[ColumnElement[bool]] = [Consultation.eligibility == Eligibility.COMMUNITY]
    if facts.is_owner:
        branches.append(Consultation.eligibility == Eligibility.OWNERS)
    if facts.building_ids:
        places = [
            exists().where(
                consultation_buildings.c.consultation_id == Consultation.id,
                consultation_buildings.c.building_id.in_(facts.building_ids),
            )
        ]
        if facts.staircases:
            places.append(
                exists().where(
                    consultation_staircases.c.consultation_id == Consultation.id,
                    or_(
                        *(
                            and_(
                                consultation_staircases.c.building_id == building_id,
                                consultation_staircases.c.staircase == staircase,
                            )
                            for building_id, staircase in sorted(facts.staircases)
                        )
                    ),
                )
            )
        branches.append((Consultation.eligibility == Eligibility.BUILDINGS) & or_(*places))
    if facts.person_id is not None:
        branches.append(
            (Consultation.eligibility == Eligibility.PERSONS)
            & exists().where(
                consultation_persons.c.consultation_id == Consultation.id,
                consultation_persons.c.person_id == facts.person_id,
            )
        )
    return or_(*branches)


def public_clause() -> ColumnElement[bool]:
    """Past the draft phase, by the moderator's move or by a scheduled time already reached."""
    now = utcnow()
    return or_(
        Consultation.phase != Phase.DRAFT,
        Consultation.commenting_at <= now,
        Consultation.voting_at <= now,
        Consultation.closes_at <= now,
    )


def visible_clause(session: Session, user: User, community_id: int) -> ColumnElement[bool]:
    """The sessions of a community this user may see: all for moderators, else public and eligible."""
    role = user.role_in(community_id)
    if user.is_admin or role in ("moderator", "admin"):
        return true()
    if role is None:
        return false()
    return public_clause() & eligible_clause(resident_facts(session, user))


def eligible_person_ids(consultation: Consultation) -> Select:
    """SELECT of the ids of every person the session's eligibility includes (the electorate's source).

    The mirror image of eligible_clause: that one answers "which sessions for this person",
    this one "which persons for this session", as one query for votes and response rates.
    """
    in_community = Person.community_id == consultation.community_id
    if consultation.eligibility == Eligibility.COMMUNITY:
        return select(Person.id).where(in_community)
    if consultation.eligibility == Eligibility.OWNERS:
        return select(Person.id).where(in_community, exists().where(Ownership.person_id == Person.id))
    if consultation.eligibility == Eligibility.PERSONS:
        return select(Person.id).where(
            in_community,
            exists().where(consultation_persons.c.consultation_id == consultation.id,
                           consultation_persons.c.person_id == Person.id),
        )
    unit_inside = units_inside(consultation)
    lives = (
        select(Person.id)
        .join(Household, Household.id == Person.household_id)
        .join(Unit, Unit.id == Household.unit_id)
        .where(in_community, unit_inside)
    )
    owns = (
        select(Person.id)
        .join(Ownership, Ownership.person_id == Person.id)
        .join(Unit, Unit.id == Ownership.unit_id)
        .where(in_community, unit_inside)
    )
    return select(Person.id).where(Person.id.in_(union(lives, owns)))


def units_inside(consultation: Consultation) -> ColumnElement[bool]:
    """True for the units (``Unit``) inside the session's scope: for a session of chosen buildings, a unit
    whose whole building is chosen or whose own staircase of the building is; otherwise every unit.

    A vote scoped to part of the community counts only that part's owners and areas
    (《上海市住宅物业管理规定》 Art. 69).
    """
    if consultation.eligibility != Eligibility.BUILDINGS:
        return true()
    chosen = select(consultation_buildings.c.building_id).where(
        consultation_buildings.c.consultation_id == consultation.id
    )
    return or_(
        Unit.building_id.in_(chosen),
        exists().where(
            consultation_staircases.c.consultation_id == consultation.id,
            consultation_staircases.c.building_id == Unit.building_id,
            consultation_staircases.c.staircase == Unit.staircase,
        ),
    )
