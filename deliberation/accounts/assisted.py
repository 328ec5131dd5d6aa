"""Help at the counter (帮办), the part every capability shares: the consent read from a form, the residents a
helper may serve (moderators: the community; floor captains: their buildings), and a resident's login if any.

The entries themselves are recorded by their capability (voting.assisted, surveys.assisted,
consultations.assisted); who may help whom is ``Person.can_assist``.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from deliberation.accounts.models import (
    Building,
    Community,
    Consent,
    FloorCaptain,
    Household,
    Ownership,
    Person,
    Unit,
    User,
)
from deliberation.errors import Invalid, NotFound, require

MAX_FOUND = 30


def consent_of(value: object) -> Consent:
    """The consent as a form or the API sent it, or Invalid (422) naming the field."""
    try:
        return Consent(str(value or ""))
    except ValueError:
        raise Invalid(_("请选择居民同意的方式"), fields={"consent": _("请选择居民同意的方式")}) from None


def login_of(session: Session, person: Person) -> User | None:
    """The resident's login, if they have one (the notification goes there)."""
    return session.execute(select(User).where(User.person_id == person.id)).scalar()


def resident_for(session: Session, actor: User, community: Community, person_id: int) -> Person:
    """A person of the community whom the actor may help: another community's person does not exist (404);
    one outside a floor captain's buildings is refused (403)."""
    person = session.get(Person, person_id)
    if person is None or person.community_id != community.id or person.is_developer:
        raise NotFound(_("找不到该居民"))
    require(person.can_assist(actor), _("只有主持人或本楼楼组长可以为该居民代为录入"))
    return person


def find_residents(session: Session, actor: User, community: Community, query: str) -> list[Person]:
    """Residents the actor may help whose name, or unit (楼栋 + 室, e.g. "3号楼302"), contains the query; a floor
    captain finds those of their buildings only. At most MAX_FOUND, by name."""
    query = (query or "").strip()
    if not query:
        return []
    room = query.removesuffix("室")
    place = (Building.name + Unit.room).contains(room, autoescape=True) | Unit.room.contains(room, autoescape=True)
    homes = (select(Household.id).join(Unit, Unit.id == Household.unit_id)
             .join(Building, Building.id == Unit.building_id).where(Building.community_id == community.id, place))
    owners = (select(Ownership.person_id).join(Unit, Unit.id == Ownership.unit_id)
              .join(Building, Building.id == Unit.building_id).where(Building.community_id == community.id, place))
    stmt = select(Person).where(Person.community_id == community.id, Person.is_developer.is_(False),
                                or_(Person.name.contains(query, autoescape=True), Person.household_id.in_(homes),
                                    Person.id.in_(owners)))
    if not community.can_moderate(actor):
        captained = select(FloorCaptain.building_id).where(FloorCaptain.user_id == actor.id)
        lives_in = (select(Household.id).join(Unit, Unit.id == Household.unit_id)
                    .where(Unit.building_id.in_(captained)))
        owns_in = select(Ownership.person_id).join(Unit, Unit.id == Ownership.unit_id).where(
            Unit.building_id.in_(captained))
        stmt = stmt.where(or_(Person.household_id.in_(lives_in), Person.id.in_(owns_in)))
    shown = selectinload(Person.household).selectinload(Household.unit).selectinload(Unit.building)
    return list(session.execute(stmt.options(shown).order_by(Person.name, Person.id).limit(MAX_FOUND)).scalars())
