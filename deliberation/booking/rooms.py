"""The rooms of a community's station: listing them, their neighbours, adding and changing a room."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session, joinedload

from deliberation import audit
from deliberation.accounts.models import Community, User
from deliberation.booking.models import Adjacency, Booker, Noise, Room
from deliberation.errors import Conflict, Invalid, require


def rooms_of(session: Session, community: Community) -> list[Room]:
    """The rooms of a community, by name, with their opening hours."""
    return list(session.execute(
        select(Room).where(Room.community_id == community.id).order_by(Room.name)
        .options(joinedload(Room.hours))
    ).unique().scalars())


def room_ids_of(session: Session, community: Community) -> list[int]:
    """The ids of the community's rooms (for the station's week)."""
    return list(session.execute(select(Room.id).where(Room.community_id == community.id)).scalars())


def neighbours_of(session: Session, room: Room) -> list[Room]:
    """The rooms next to `room`, whichever way round the pair was entered."""
    other = case((Adjacency.room_id == room.id, Adjacency.neighbour_id), else_=Adjacency.room_id)
    ids = select(other).where(or_(Adjacency.room_id == room.id, Adjacency.neighbour_id == room.id))
    return list(session.execute(select(Room).where(Room.id.in_(ids)).order_by(Room.name)).scalars())


def _clean_room(session: Session, community: Community, name: str, capacity: int, description: str,
                room: Room | None = None) -> tuple[str, str]:
    """A room's name and description, tidied, after checking the name, its uniqueness and the capacity."""
    name = " ".join((name or "").split())
    if not name or len(name) > 50:
        raise Invalid(_("请填写 50 字以内的场地名称"), fields={"name": _("请填写 50 字以内的场地名称")})
    if capacity is None or not 1 <= capacity <= 10000:
        raise Invalid(_("容量须在 1 到 10000 人之间"), fields={"capacity": _("容量须在 1 到 10000 人之间")})
    description = " ".join((description or "").split())
    if len(description) > 200:
        raise Invalid(_("说明最多 200 个字"), fields={"description": _("说明最多 200 个字")})
    same = select(Room.id).where(Room.community_id == community.id, Room.name == name)
    if room is not None:
        same = same.where(Room.id != room.id)
    if session.execute(same).first():
        message = _("已有名为“%(name)s”的场地", name=name)
        raise Conflict(message, fields={"name": message})
    return name, description


def _choice(kind, value, field: str):
    """A Noise or Booker from its value; Invalid names the field for anything else."""
    try:
        return kind(value)
    except ValueError:
        raise Invalid(_("请从列表中选择"), fields={field: _("请从列表中选择")}) from None


def create_room(session: Session, actor: User, community: Community, *, name: str, capacity: int,
                noise: Noise = Noise.NORMAL, needs_approval: bool = False, booker: Booker = Booker.RESIDENTS,
                description: str = "") -> Room:
    """Add a bookable room to the community's station."""
    require(community.can_view(actor), _("找不到该居民区"), hidden=True)
    require(community.can_moderate(actor), _("只有本居民区的主持人可以管理场地"))
    name, description = _clean_room(session, community, name, capacity, description)
    room = Room(community=community, name=name, capacity=capacity, noise=_choice(Noise, noise, "noise"),
                needs_approval=needs_approval, booker=_choice(Booker, booker, "booker"), description=description)
    session.add(room)
    audit.record(session, actor, "room.create", room, community_id=community.id, name=name, capacity=capacity,
                 noise=room.noise.value, booker=room.booker.value, needs_approval=needs_approval)
    session.flush()
    return room


def update_room(session: Session, actor: User, room: Room, *, name: str, capacity: int, noise: Noise,
                needs_approval: bool, booker: Booker, description: str = "") -> Room:
    """Change a room's name, capacity, noise level, approval and who may book it.

    Existing bookings stay as they are: the new rules apply to bookings made from now on.
    """
    require(room.can_view(actor), _("找不到该居民区"), hidden=True)
    require(room.can_manage(actor), _("只有本居民区的主持人可以管理场地"))
    name, description = _clean_room(session, room.community, name, capacity, description, room)
    noise, booker = _choice(Noise, noise, "noise"), _choice(Booker, booker, "booker")
    before = {"name": room.name, "capacity": room.capacity, "noise": room.noise.value,
              "needs_approval": room.needs_approval, "booker": room.booker.value,
              "description": room.description}
    room.name, room.capacity, room.noise = name, capacity, noise
    room.needs_approval, room.booker, room.description = bool(needs_approval), booker, description
    after = {"name": room.name, "capacity": room.capacity, "noise": room.noise.value,
             "needs_approval": room.needs_approval, "booker": room.booker.value,
             "description": room.description}
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    audit.record(session, actor, "room.update", room, community_id=room.community_id, changed=changed)
    session.flush()
    return room
