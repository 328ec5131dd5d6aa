"""Corrections of the roster one fact at a time, as an accepted objection to a posted roll makes them: a unit's
registered area, a unit's owners. Each checks the moderator, writes, is audited with the old and the new value,
and returns them ({"unit", "unit_id", "field", "old", "new"}) for the record of what changed.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Household, Ownership, Person, Tenure, Unit, User
from deliberation.errors import Invalid, require

MAX_AREA = Decimal("99999999.99")  # units.area is NUMERIC(10, 2)
NAME_LIMIT = 50
_SEPARATORS = re.compile(r"[、,，;；\s]+")


def _moderating(session: Session, actor: User, unit: Unit) -> int:
    """The unit's community id, once its moderator is the actor."""
    community = unit.building.community
    require(community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    return community.id


def parse_area(value: str | Decimal | None) -> Decimal:
    """An area typed as "90.2", "90.20 ㎡" or "90.20平方米": above zero, two decimals at most; else Invalid."""
    text = str(value if value is not None else "").strip()
    for suffix in ("平方米", "㎡", "m²", "m2"):
        text = text.removesuffix(suffix).strip()
    try:
        area = Decimal(text)
    except InvalidOperation:
        area = None
    if area is None or not area.is_finite() or area <= 0 or area > MAX_AREA or area != area.quantize(Decimal("0.01")):
        raise Invalid(_("请填写更正后的面积，如 89.50"), fields={"area": _("请填写大于 0 的面积，最多两位小数")})
    return area.quantize(Decimal("0.01"))


def set_unit_area(session: Session, actor: User, unit: Unit, area: str | Decimal | None) -> dict:
    """Correct a unit's registered area (产证面积); audited old → new."""
    community_id = _moderating(session, actor, unit)
    new = parse_area(area)
    old = unit.area
    unit.area = new
    change = {"unit": unit.label, "unit_id": unit.id, "field": "area",
              "old": f"{old:.2f}" if old is not None else "", "new": f"{new:.2f}"}
    audit.record(session, actor, "roster.unit_area", unit, community_id=community_id, **change)
    return change


def owner_names(text: str | list[str] | None) -> list[str]:
    """The owners' names as typed, one or several ("张三、李四"), in order, each once; Invalid when none."""
    parts = text if isinstance(text, list) else _SEPARATORS.split(text or "")
    names = list(dict.fromkeys(p.strip() for p in parts if p and p.strip()))
    if not names:
        raise Invalid(_("请填写更正后的业主姓名"), fields={"owners": _("请填写业主姓名，多人用“、”分隔")})
    if any(len(name) > NAME_LIMIT for name in names):
        raise Invalid(_("姓名不能超过 50 个字"), fields={"owners": _("姓名不能超过 50 个字")})
    return names


def set_unit_owners(session: Session, actor: User, unit: Unit, names: str | list[str] | None) -> dict:
    """Make these persons the unit's owners (已过户, or an owner missing from the roster); audited old → new.

    Each name is a person of the community: the unit's current owner or resident of that name first, else the
    only person of the community so named, else a new owner on the roster (an owner may live elsewhere). Two
    or more persons of that name elsewhere, and none in the unit: Invalid, the roster page tells them apart.
    """
    community_id = _moderating(session, actor, unit)
    names = owner_names(names)
    current = session.execute(
        select(Person).join(Ownership, Ownership.person_id == Person.id).where(Ownership.unit_id == unit.id)
        .order_by(Person.id)
    ).scalars().all()
    candidates = session.execute(
        select(Person, Household.unit_id).outerjoin(Household, Household.id == Person.household_id)
        .where(Person.community_id == community_id, Person.name.in_(names)).order_by(Person.id)
    ).all()
    owners_now = {p.id for p in current}
    chosen: list[Person] = []
    for name in names:
        named = [(p, unit_id) for p, unit_id in candidates if p.name == name]
        here = [p for p, unit_id in named if p.id in owners_now or unit_id == unit.id]
        if here:
            chosen.append(here[0])
        elif len(named) == 1:
            chosen.append(named[0][0])
        elif named:
            raise Invalid(_("名册中有 %(n)d 位“%(name)s”，请先在名册中区分后再更正", n=len(named), name=name),
                          fields={"owners": _("有同名的居民")})
        else:
            person = Person(community_id=community_id, name=name, tenure=Tenure.OWNER)
            session.add(person)
            session.flush()
            chosen.append(person)
    keep = {p.id for p in chosen}
    session.execute(delete(Ownership).where(Ownership.unit_id == unit.id, Ownership.person_id.not_in(keep))
                    .execution_options(synchronize_session="fetch"))
    for person in chosen:
        if person.id not in owners_now:
            session.add(Ownership(person_id=person.id, unit_id=unit.id))
    session.flush()
    change = {"unit": unit.label, "unit_id": unit.id, "field": "owners", "old": [p.name for p in current],
              "new": [p.name for p in chosen]}
    audit.record(session, actor, "roster.unit_owners", unit, community_id=community_id, **change)
    return change
