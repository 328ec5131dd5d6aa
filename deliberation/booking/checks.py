"""The checks before a booking is written: who may book, times, capacity, rules, conflicts, the per-resident limit.

Never double-booked. Every check-then-insert runs inside one write transaction:

* SQLite: the app begins every write transaction with BEGIN IMMEDIATE (deliberation.db), so the
  database's single write lock is taken before the first read of the check; a second request,
  from this process or another, waits at its BEGIN until the first one commits and then sees its
  booking. Check and insert are therefore serialised.
* PostgreSQL: a transaction-scoped advisory lock per community (`lock_community`) serialises the
  checks of one community across all app processes, which also covers the rules a constraint
  cannot express (the noisy/quiet neighbours, the per-resident limit). Under it, the exclusion
  constraint `ex_bookings_no_overlap` (btree_gist, see the migration) refuses any overlapping
  pending/approved booking of one room whatever wrote it; its violation is answered as a Conflict
  naming the booking in the way.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import distinct, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deliberation.accounts.models import User
from deliberation.booking.models import (
    ACTIVE_STATUSES,
    DEFAULT_MAX_FUTURE_BOOKINGS,
    Booker,
    Booking,
    BookingSettings,
    BookingStatus,
    Noise,
    Room,
    Team,
    TeamMember,
)
from deliberation.booking.rooms import neighbours_of
from deliberation.booking.schedule import (
    MAX_BOOKING_HOURS,
    bookings_between,
    describe_hours,
    local_days,
    within_opening_hours,
)
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound
from deliberation.formatting import format_date

# Any number will do: with the community id it names the advisory lock of a community's bookings.
_PG_LOCK_CLASS = 727_278_007
_EXCLUSION_VIOLATION = "23P01"


def max_future_bookings(session: Session, community_id: int) -> int:
    """How many future bookings a resident may hold at once in the community."""
    value = session.execute(select(BookingSettings.max_future_bookings)
                            .where(BookingSettings.community_id == community_id)).scalar()
    return DEFAULT_MAX_FUTURE_BOOKINGS if value is None else value


def future_booking_count(session: Session, user: User, community_id: int) -> int:
    """A user's live future bookings in a community; a weekly series counts once."""
    singles, series = session.execute(
        select(func.count(Booking.id).filter(Booking.series_id.is_(None)),
               func.count(distinct(Booking.series_id)))
        .join(Room, Room.id == Booking.room_id)
        .where(Room.community_id == community_id, Booking.booked_by_id == user.id,
               Booking.status.in_(ACTIVE_STATUSES), Booking.ends_at > utcnow())
    ).one()
    return singles + series


def lock_community(session: Session, community_id: int) -> None:
    """PostgreSQL: one booking check at a time per community, across processes, until commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(CAST(:k AS integer), CAST(:c AS integer))"),
                        {"k": _PG_LOCK_CLASS, "c": community_id})


def check_may_book(session: Session, actor: User, room: Room, team: Team | None) -> Team | None:
    """The team the booking is for, after checking that the actor may book this room for it."""
    if not room.can_view(actor):
        raise NotFound(_("找不到该场地"))
    if team is not None and team.community_id != room.community_id:
        raise NotFound(_("找不到该团队"))
    if team is not None and not room.can_manage(actor) and not session.execute(select(TeamMember.id).where(
            TeamMember.team_id == team.id, TeamMember.user_id == actor.id)).first():
        raise Forbidden(_("您不是“%(team)s”的成员", team=team.name))
    if room.can_manage(actor):
        return team
    if room.booker == Booker.MODERATORS:
        raise Forbidden(_("“%(room)s”只能由居委会预约", room=room.name))
    if room.booker == Booker.TEAMS and team is None:
        raise Forbidden(_("“%(room)s”只接受已登记团队的预约，请选择您所在的团队", room=room.name),
                        fields={"team_id": _("请选择团队")})
    return team


def clean_title(title: str) -> str:
    """The activity's name, spaces tidied, or Invalid."""
    title = " ".join((title or "").split())
    if not title:
        raise Invalid(_("请填写活动名称"), fields={"title": _("请填写活动名称")})
    if len(title) > 200:
        raise Invalid(_("活动名称最多 200 个字"), fields={"title": _("活动名称太长")})
    return title


def check_attendance(room: Room, attendance: int) -> None:
    """Refuse an attendance below one or above the room's capacity."""
    if attendance is None or attendance < 1:
        raise Invalid(_("预计人数至少为 1"), fields={"attendance": _("预计人数至少为 1")})
    if attendance > room.capacity:
        message = _("“%(room)s”最多容纳 %(capacity)d 人，预计 %(n)d 人超出了容量",
                    room=room.name, capacity=room.capacity, n=attendance)
        raise Invalid(message, fields={"attendance": message})


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    """Refuse times without a zone, ending before they start, too long, or past."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid(_("时间须带时区"), fields={"start": _("时间须带时区")})
    if ends_at <= starts_at:
        raise Invalid(_("结束时间须晚于开始时间"), fields={"end": _("结束时间须晚于开始时间")})
    if ends_at - starts_at > timedelta(hours=MAX_BOOKING_HOURS):
        raise Invalid(_("一次预约最长 %(n)d 小时", n=MAX_BOOKING_HOURS), fields={"end": _("时间太长")})
    if starts_at < utcnow():
        raise Invalid(_("不能预约已经过去的时间"), fields={"date": _("不能预约已经过去的时间")})


def horizon_problem(actor: User, room: Room, starts_at: datetime) -> str | None:
    """Why a resident cannot book this far ahead (the setting BOOKING_HORIZON_DAYS, 90 unless set), or
    None. The station's moderators plan its own events further ahead."""
    days = current_app.config["BOOKING_HORIZON_DAYS"]
    last = utcnow() + timedelta(days=days)
    if starts_at <= last or room.can_manage(actor):
        return None
    return _("只能预约 %(n)d 天以内的时间（最晚到 %(day)s）", n=days, day=format_date(last))


def rule_problem(room: Room, starts_at: datetime, ends_at: datetime, closed: dict[date, str]) -> str | None:
    """Why the room cannot be open for this slot (closed date, opening hours), or None."""
    for day in local_days(starts_at, ends_at):
        if day in closed:
            reason = f"（{closed[day]}）" if closed[day] else ""
            return _("“%(room)s”在 %(day)s 不开放%(reason)s", room=room.name, day=day.isoformat(),
                     reason=reason)
    if not within_opening_hours(room, starts_at, ends_at):
        return _("“%(room)s”在这个时段不开放：%(hours)s", room=room.name,
                 hours=describe_hours(room, starts_at))
    return None


def noise_partners(session: Session, room: Room) -> list[Room]:
    """Neighbouring rooms whose bookings may not coincide with this room's: quiet next to noisy."""
    if room.noise == Noise.NORMAL:
        return []
    opposite = Noise.QUIET if room.noise == Noise.NOISY else Noise.NOISY
    return [r for r in neighbours_of(session, room) if r.noise == opposite]


class Clash(NamedTuple):
    """A live booking in the way of a slot, and the reason given to the person booking."""

    message: str
    booking: Booking


def find_conflict(room: Room, starts_at: datetime, ends_at: datetime, busy: list[Booking]) -> Clash | None:
    """The first live booking in the way of this slot with the reason, or None. Same room first."""
    overlapping = [b for b in busy if b.starts_at < ends_at and b.ends_at > starts_at]
    for booking in overlapping:
        if booking.room_id == room.id and booking.status == BookingStatus.PENDING:
            return Clash(_("该时段已有待审批的申请“%(title)s”（%(when)s），请换一个时间",
                           title=booking.title, when=booking.when), booking)
        if booking.room_id == room.id:
            return Clash(_("该时段已被“%(title)s”（%(when)s）占用", title=booking.title, when=booking.when), booking)
    for booking in overlapping:
        if room.noise == Noise.NOISY:
            message = _("“%(room)s”比较吵闹，隔壁安静的“%(other)s”同时有“%(title)s”（%(when)s）",
                        room=room.name, other=booking.room.name, title=booking.title, when=booking.when)
        else:
            message = _("“%(room)s”需要安静，隔壁吵闹的“%(other)s”同时有“%(title)s”（%(when)s）",
                        room=room.name, other=booking.room.name, title=booking.title, when=booking.when)
        return Clash(message, booking)
    return None


def check_limit(session: Session, actor: User, room: Room) -> None:
    """Refuse a resident who already holds as many future bookings as the community allows."""
    limit = max_future_bookings(session, room.community_id)
    count = future_booking_count(session, actor, room.community_id)
    if count >= limit:
        raise Conflict(_("每位居民最多同时持有 %(limit)d 个未来的预约（每周系列算一个），您已有 %(n)d 个。"
                         "请先取消不需要的预约。", limit=limit, n=count), fields={"date": _("已达预约上限")})


def insert_bookings(session: Session, room: Room, bookings: list[Booking]) -> None:
    """Insert bookings; the database's exclusion constraint refusing one becomes a named Conflict."""
    try:
        with session.begin_nested():
            session.add_all(bookings)
            session.flush()
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != _EXCLUSION_VIOLATION:
            raise
        lo = min(b.starts_at for b in bookings)
        hi = max(b.ends_at for b in bookings)
        existing = bookings_between(session, [room.id], lo, hi)
        for booking in bookings:
            found = find_conflict(room, booking.starts_at, booking.ends_at, existing)
            if found:
                raise Conflict(found.message, detail={"conflict": found.booking.summary()}) from error
        raise Conflict(_("该时段已被占用，请换一个时间")) from error


def initial_status(actor: User, room: Room) -> BookingStatus:
    """Pending where the room needs approval and the booker does not manage it; else approved."""
    if room.needs_approval and not room.can_manage(actor):
        return BookingStatus.PENDING
    return BookingStatus.APPROVED
