"""A station's rules set by its moderators: opening hours, closed dates, neighbouring rooms, the booking limit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from flask_babel import gettext as _
from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Community, User
from deliberation.booking.models import Adjacency, BookingSettings, ClosedDate, OpeningHours, Room
from deliberation.booking.rooms import neighbours_of
from deliberation.booking.schedule import local_today
from deliberation.errors import Conflict, Invalid, NotFound, require


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def set_opening_hours(session: Session, actor: User, room: Room,
                      hours: Iterable[tuple[int, time, time]]) -> list[OpeningHours]:
    """Replace a room's weekly opening hours: (weekday 0=Monday, opens, closes) local times.

    A window closing at or before it opens runs past midnight (18:00–02:00); 00:00–00:00 is all day.
    Two windows of one weekday may not overlap; an invalid weekday answers with the field
    `hours-<weekday>`.
    """
    require(room.can_view(actor), _("找不到该居民区"), hidden=True)
    require(room.can_manage(actor), _("只有本居民区的主持人可以管理场地"))
    rows = []
    spans: dict[int, list[tuple[int, int]]] = {}
    for weekday, opens, closes in hours:
        if not 0 <= weekday <= 6:
            raise Invalid(_("星期须为 0（周一）到 6（周日）"), fields={"weekday": _("星期不正确")})
        if opens == closes and closes != time():
            message = _("开门和关门时间不能相同")
            raise Invalid(message, fields={f"hours-{weekday}": message})
        start = _minutes(opens)
        end = _minutes(closes) + (24 * 60 if closes <= opens else 0)
        for other_start, other_end in spans.get(weekday, []):
            if start < other_end and other_start < end:
                message = _("同一天的两个开放时段不能重叠")
                raise Invalid(message, fields={f"hours-{weekday}": message})
        spans.setdefault(weekday, []).append((start, end))
        rows.append(OpeningHours(weekday=weekday, opens=opens, closes=closes))
    room.hours = rows
    audit.record(session, actor, "room.hours", room, community_id=room.community_id,
                 hours=[[w, o.isoformat("minutes"), c.isoformat("minutes")] for w, o, c in
                        ((r.weekday, r.opens, r.closes) for r in rows)])
    session.flush()
    return rows


def add_closed_date(session: Session, actor: User, room: Room, day: date, reason: str = "") -> ClosedDate:
    """Close a room on a date. Live bookings that day are left for the moderator to cancel."""
    require(room.can_view(actor), _("找不到该居民区"), hidden=True)
    require(room.can_manage(actor), _("只有本居民区的主持人可以管理场地"))
    if day is None:
        raise Invalid(_("请选择日期"), fields={"day": _("请选择日期")})
    if day < local_today():
        message = _("不能把已经过去的日期设为不开放")
        raise Invalid(message, fields={"day": message})
    reason = " ".join((reason or "").split())
    if len(reason) > 200:
        raise Invalid(_("原因最多 200 个字"), fields={"reason": _("原因最多 200 个字")})
    if session.execute(select(ClosedDate.id).where(ClosedDate.room_id == room.id,
                                                   ClosedDate.day == day)).first():
        message = _("“%(room)s”在 %(day)s 已设为不开放", room=room.name, day=day.isoformat())
        raise Conflict(message, fields={"day": message})
    closed = ClosedDate(room_id=room.id, day=day, reason=reason)
    session.add(closed)
    audit.record(session, actor, "room.closed_date", room, community_id=room.community_id,
                 day=day.isoformat(), reason=closed.reason)
    session.flush()
    return closed


def remove_closed_date(session: Session, actor: User, room: Room, closed: ClosedDate) -> None:
    """Open a room again on a date that was closed."""
    require(room.can_view(actor), _("找不到该居民区"), hidden=True)
    require(room.can_manage(actor), _("只有本居民区的主持人可以管理场地"))
    if closed.room_id != room.id:
        raise NotFound(_("找不到该日期"))
    audit.record(session, actor, "room.closed_date_remove", room, community_id=room.community_id,
                 day=closed.day.isoformat(), reason=closed.reason)
    session.delete(closed)
    session.flush()


def closed_dates_from(session: Session, room: Room, first: date) -> list[ClosedDate]:
    """The room's closed dates from `first` on, soonest first."""
    return list(session.execute(select(ClosedDate).where(ClosedDate.room_id == room.id, ClosedDate.day >= first)
                                .order_by(ClosedDate.day)).scalars())


def set_neighbours(session: Session, actor: User, room: Room, other: Room) -> Adjacency:
    """Record that two rooms are next to each other (it holds both ways round)."""
    require(room.can_view(actor), _("找不到该居民区"), hidden=True)
    require(room.can_manage(actor), _("只有本居民区的主持人可以管理场地"))
    if other.community_id != room.community_id or other.id == room.id:
        raise Invalid(_("只能把同一居民区的两个不同场地设为相邻"))
    low, high = sorted((room.id, other.id))
    existing = session.execute(select(Adjacency).where(Adjacency.room_id == low,
                                                       Adjacency.neighbour_id == high)).scalar()
    if existing:
        return existing
    pair = Adjacency(room_id=low, neighbour_id=high)
    session.add(pair)
    audit.record(session, actor, "room.neighbours", room, community_id=room.community_id,
                 neighbour=other.name)
    session.flush()
    return pair


def set_room_neighbours(session: Session, actor: User, room: Room, others: Iterable[Room]) -> list[Room]:
    """Make exactly `others` the rooms next to `room` (pairs hold both ways round)."""
    require(room.can_view(actor), _("找不到该居民区"), hidden=True)
    require(room.can_manage(actor), _("只有本居民区的主持人可以管理场地"))
    wanted = {r.id: r for r in others}
    if any(r.community_id != room.community_id for r in wanted.values()) or room.id in wanted:
        raise Invalid(_("只能把同一居民区的两个不同场地设为相邻"), fields={"neighbours": _("场地不正确")})
    current = {r.id: r for r in neighbours_of(session, room)}
    added = [wanted[i] for i in wanted if i not in current]
    removed = [current[i] for i in current if i not in wanted]
    if removed:
        pairs = [tuple(sorted((room.id, other.id))) for other in removed]
        session.execute(delete(Adjacency).where(tuple_(Adjacency.room_id, Adjacency.neighbour_id).in_(pairs)))
    for other in added:
        low, high = sorted((room.id, other.id))
        session.add(Adjacency(room_id=low, neighbour_id=high))
    if added or removed:
        audit.record(session, actor, "room.neighbours_set", room, community_id=room.community_id,
                     added=sorted(r.name for r in added), removed=sorted(r.name for r in removed))
    session.flush()
    return sorted(wanted.values(), key=lambda r: r.name)


def set_max_future_bookings(session: Session, actor: User, community: Community,
                            limit: int) -> BookingSettings:
    """Change how many future bookings a resident may hold at once in this community."""
    require(community.can_view(actor), _("找不到该居民区"), hidden=True)
    require(community.can_moderate(actor), _("只有本居民区的主持人可以管理场地"))
    if limit is None or not 1 <= limit <= 100:
        raise Invalid(_("上限须在 1 到 100 之间"), fields={"limit": _("上限须在 1 到 100 之间")})
    settings = session.get(BookingSettings, community.id)
    if settings is None:
        settings = BookingSettings(community_id=community.id)
        session.add(settings)
    settings.max_future_bookings = limit
    audit.record(session, actor, "booking.settings", None, community_id=community.id,
                 max_future_bookings=limit)
    session.flush()
    return settings
