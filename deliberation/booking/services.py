"""Booking operations: rooms and their rules, bookings, weekly series, approval.

Never double-booked. Every check-then-insert runs inside one write transaction:

* SQLite: the app begins every write transaction with BEGIN IMMEDIATE (deliberation.db), so the
  database's single write lock is taken before the first read of the check; a second request,
  from this process or another, waits at its BEGIN until the first one commits and then sees its
  booking. Check and insert are therefore serialised.
* PostgreSQL: a transaction-scoped advisory lock per community (`_lock_community`) serialises the
  checks of one community across all app processes, which also covers the rules a constraint
  cannot express (the noisy/quiet neighbours, the per-resident limit). Under it, the exclusion
  constraint `ex_bookings_no_overlap` (btree_gist, see the migration) refuses any overlapping
  pending/approved booking of one room whatever wrote it; its violation is answered as a Conflict
  naming the booking in the way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, case, delete, distinct, func, or_, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from deliberation import audit
from deliberation.accounts.models import Community, Membership, User
from deliberation.booking.models import (
    ACTIVE_STATUSES,
    DEFAULT_MAX_FUTURE_BOOKINGS,
    LOCAL_TZ,
    Adjacency,
    Booker,
    Booking,
    BookingSeries,
    BookingSettings,
    BookingStatus,
    ClosedDate,
    Noise,
    OpeningHours,
    Room,
    SeriesException,
    Team,
    TeamMember,
    local_to_utc,
    to_local,
)
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound

logger = logging.getLogger(__name__)

# Any number will do: with the community id it names the advisory lock of a community's bookings.
_PG_LOCK_CLASS = 727_278_007
_EXCLUSION_VIOLATION = "23P01"
MAX_BOOKING_HOURS = 24
MAX_SERIES_DAYS = 366
MAX_RANGE_DAYS = 62


# -- reading -----------------------------------------------------------------------------------

def week_start(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def local_today() -> date:
    return to_local(utcnow()).date()


def rooms_of(session: Session, community: Community) -> list[Room]:
    """The rooms of a community, by name, with their opening hours."""
    return list(session.execute(
        select(Room).where(Room.community_id == community.id).order_by(Room.name)
        .options(joinedload(Room.hours))
    ).unique().scalars())


def neighbours_of(session: Session, room: Room) -> list[Room]:
    """The rooms next to `room`, whichever way round the pair was entered."""
    other = case((Adjacency.room_id == room.id, Adjacency.neighbour_id), else_=Adjacency.room_id)
    ids = select(other).where(or_(Adjacency.room_id == room.id, Adjacency.neighbour_id == room.id))
    return list(session.execute(select(Room).where(Room.id.in_(ids)).order_by(Room.name)).scalars())


def bookings_between(session: Session, room_ids: Iterable[int], lo: datetime, hi: datetime,
                     statuses: Iterable[BookingStatus] = ACTIVE_STATUSES) -> list[Booking]:
    """Bookings of these rooms that overlap [lo, hi), in time order.

    No booking lasts longer than MAX_BOOKING_HOURS, so a lower bound on starts_at keeps the index
    range to the days around [lo, hi) instead of the room's whole history.
    """
    earliest = lo - timedelta(hours=MAX_BOOKING_HOURS)
    return list(session.execute(
        select(Booking).where(Booking.room_id.in_(list(room_ids)), Booking.status.in_(list(statuses)),
                              Booking.starts_at < hi, Booking.starts_at > earliest, Booking.ends_at > lo)
        .order_by(Booking.starts_at, Booking.id)
        .options(joinedload(Booking.room), joinedload(Booking.team))
    ).scalars())


def bookings_of(user: User, *, past: bool = False) -> Select:
    """The user's own bookings: upcoming ones soonest first, or past ones latest first (to paginate)."""
    now = utcnow()
    stmt = select(Booking).where(Booking.booked_by_id == user.id).options(joinedload(Booking.room))
    if past:
        return stmt.where(Booking.ends_at <= now).order_by(Booking.starts_at.desc())
    return stmt.where(Booking.ends_at > now).order_by(Booking.starts_at)


def closed_days(session: Session, room: Room, first: date, last: date) -> dict[date, str]:
    """The room's closed dates between first and last (inclusive), with their reasons."""
    rows = session.execute(select(ClosedDate.day, ClosedDate.reason).where(
        ClosedDate.room_id == room.id, ClosedDate.day >= first, ClosedDate.day <= last)).all()
    return {day: reason for day, reason in rows}


def opening_windows(room: Room, day: date) -> list[tuple[datetime, datetime]]:
    """The room's opening windows that begin on a local date, as aware local datetimes."""
    windows = []
    for hours in room.hours_on(day.weekday()):
        close_day = day + timedelta(days=1) if hours.past_midnight else day
        windows.append((datetime.combine(day, hours.opens, tzinfo=LOCAL_TZ),
                        datetime.combine(close_day, hours.closes, tzinfo=LOCAL_TZ)))
    return windows


def within_opening_hours(room: Room, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether one opening window holds the whole booking; a window may run past midnight."""
    start, end = to_local(starts_at), to_local(ends_at)
    # A booking at 00:30 may lie in the window that opened the evening before.
    for day in (start.date() - timedelta(days=1), start.date()):
        for opens, closes in opening_windows(room, day):
            if opens <= start and end <= closes:
                return True
    return False


def local_days(starts_at: datetime, ends_at: datetime) -> list[date]:
    """The local dates a booking touches (two when it runs past midnight)."""
    first = to_local(starts_at).date()
    last = to_local(ends_at - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def max_future_bookings(session: Session, community_id: int) -> int:
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


def teams_of(session: Session, user: User, community_id: int) -> list[Team]:
    """The registered teams of a community the user belongs to."""
    return list(session.execute(
        select(Team).join(TeamMember, TeamMember.team_id == Team.id)
        .where(Team.community_id == community_id, TeamMember.user_id == user.id).order_by(Team.name)
    ).scalars())


def availability(session: Session, room: Room, first: date, last: date) -> dict:
    """Opening windows (closed dates left out) and live bookings of a room, day by day."""
    if last < first or (last - first).days >= MAX_RANGE_DAYS:
        raise Invalid(_("日期范围须在 %(n)d 天以内，且结束日期不早于开始日期", n=MAX_RANGE_DAYS),
                      fields={"to": _("日期范围不正确")})
    closed = closed_days(session, room, first, last)
    lo, hi = local_to_utc(first, time()), local_to_utc(last + timedelta(days=1), time())
    bookings = bookings_between(session, [room.id], lo, hi)
    days = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        days.append({
            "date": day, "closed": day in closed, "closed_reason": closed.get(day, ""),
            "open": [] if day in closed else [{"starts_at": a.astimezone(UTC), "ends_at": b.astimezone(UTC)}
                                              for a, b in opening_windows(room, day)],
            "bookings": [b for b in bookings if to_local(b.starts_at).date() == day],
        })
    return {"room": room, "from": first, "to": last, "days": days}


# -- checks ------------------------------------------------------------------------------------

def _lock_community(session: Session, community_id: int) -> None:
    """PostgreSQL: one booking check at a time per community, across processes, until commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(CAST(:k AS integer), CAST(:c AS integer))"),
                        {"k": _PG_LOCK_CLASS, "c": community_id})


def _check_may_book(session: Session, actor: User, room: Room, team: Team | None) -> Team | None:
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


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise Invalid(_("请填写活动名称"), fields={"title": _("请填写活动名称")})
    if len(title) > 200:
        raise Invalid(_("活动名称最多 200 个字"), fields={"title": _("活动名称太长")})
    return title


def _check_attendance(room: Room, attendance: int) -> None:
    if attendance is None or attendance < 1:
        raise Invalid(_("预计人数至少为 1"), fields={"attendance": _("预计人数至少为 1")})
    if attendance > room.capacity:
        message = _("“%(room)s”最多容纳 %(capacity)d 人，预计 %(n)d 人超出了容量",
                    room=room.name, capacity=room.capacity, n=attendance)
        raise Invalid(message, fields={"attendance": message})


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid(_("时间须带时区"), fields={"start": _("时间须带时区")})
    if ends_at <= starts_at:
        raise Invalid(_("结束时间须晚于开始时间"), fields={"end": _("结束时间须晚于开始时间")})
    if ends_at - starts_at > timedelta(hours=MAX_BOOKING_HOURS):
        raise Invalid(_("一次预约最长 %(n)d 小时", n=MAX_BOOKING_HOURS), fields={"end": _("时间太长")})
    if starts_at < utcnow():
        raise Invalid(_("不能预约已经过去的时间"), fields={"date": _("不能预约已经过去的时间")})


def _rule_problem(room: Room, starts_at: datetime, ends_at: datetime, closed: dict[date, str]) -> str | None:
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


def describe_hours(room: Room, starts_at: datetime) -> str:
    """The opening hours on the local weekday of `starts_at`, e.g. 09:00–21:00."""
    hours = room.hours_on(to_local(starts_at).weekday())
    if not hours:
        return _("当天全天不开放")
    next_day = _("（次日）")
    return _("当天开放时间 %(hours)s", hours="、".join(
        f"{h.opens:%H:%M}–{h.closes:%H:%M}" + (next_day if h.past_midnight and h.closes != time() else "")
        for h in hours))


def _noise_partners(session: Session, room: Room) -> list[Room]:
    """Neighbouring rooms whose bookings may not coincide with this room's: quiet next to noisy."""
    if room.noise == Noise.NORMAL:
        return []
    opposite = Noise.QUIET if room.noise == Noise.NOISY else Noise.NOISY
    return [r for r in neighbours_of(session, room) if r.noise == opposite]


def _conflict(room: Room, starts_at: datetime, ends_at: datetime,
              busy: list[Booking]) -> tuple[str, Booking] | None:
    """The first live booking in the way of this slot with the reason, or None. Same room first."""
    overlapping = [b for b in busy if b.starts_at < ends_at and b.ends_at > starts_at]
    for booking in overlapping:
        if booking.room_id == room.id:
            return _("该时段已被“%(title)s”（%(when)s）占用", title=booking.title, when=booking.when), booking
    for booking in overlapping:
        if room.noise == Noise.NOISY:
            message = _("“%(room)s”比较吵闹，隔壁安静的“%(other)s”同时有“%(title)s”（%(when)s）",
                        room=room.name, other=booking.room.name, title=booking.title, when=booking.when)
        else:
            message = _("“%(room)s”需要安静，隔壁吵闹的“%(other)s”同时有“%(title)s”（%(when)s）",
                        room=room.name, other=booking.room.name, title=booking.title, when=booking.when)
        return message, booking
    return None


def _check_limit(session: Session, actor: User, room: Room) -> None:
    limit = max_future_bookings(session, room.community_id)
    count = future_booking_count(session, actor, room.community_id)
    if count >= limit:
        raise Conflict(_("每位居民最多同时持有 %(limit)d 个未来的预约（每周系列算一个），您已有 %(n)d 个。"
                         "请先取消不需要的预约。", limit=limit, n=count), fields={"date": _("已达预约上限")})


def _insert(session: Session, room: Room, bookings: list[Booking]) -> None:
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
            found = _conflict(room, booking.starts_at, booking.ends_at, existing)
            if found:
                raise Conflict(found[0], detail={"conflict": found[1].summary()}) from error
        raise Conflict(_("该时段已被占用，请换一个时间")) from error


def _initial_status(actor: User, room: Room) -> BookingStatus:
    if room.needs_approval and not room.can_manage(actor):
        return BookingStatus.PENDING
    return BookingStatus.APPROVED


# -- bookings ----------------------------------------------------------------------------------

def create_booking(session: Session, actor: User, room: Room, *, title: str, attendance: int,
                   starts_at: datetime, ends_at: datetime, team: Team | None = None) -> Booking:
    """Book a slot of a room, or refuse with the rule and the booking in the way."""
    team = _check_may_book(session, actor, room, team)
    title = _clean_title(title)
    _check_times(starts_at, ends_at)
    _check_attendance(room, attendance)
    _lock_community(session, room.community_id)
    days = local_days(starts_at, ends_at)
    problem = _rule_problem(room, starts_at, ends_at, closed_days(session, room, days[0], days[-1]))
    if problem:
        raise Invalid(problem, fields={"start": problem})
    rooms = [room.id, *(r.id for r in _noise_partners(session, room))]
    busy = bookings_between(session, rooms, starts_at, ends_at)
    found = _conflict(room, starts_at, ends_at, busy)
    if found:
        raise Conflict(found[0], fields={"start": found[0]}, detail={"conflict": found[1].summary()})
    if not room.can_manage(actor):
        _check_limit(session, actor, room)
    booking = Booking(room=room, booked_by=actor, team=team, title=title, attendance=attendance,
                      starts_at=starts_at, ends_at=ends_at, status=_initial_status(actor, room))
    _insert(session, room, [booking])
    audit.record(session, actor, "booking.create", booking, community_id=room.community_id, room=room.name,
                 title=title, starts_at=starts_at, ends_at=ends_at, status=booking.status.value)
    session.flush()
    return booking


def cancel_booking(session: Session, actor: User, booking: Booking) -> Booking:
    """Cancel a live booking (its booker or a moderator); the slot is free again."""
    if not booking.room.can_view(actor):
        raise NotFound(_("找不到该预约"))
    if actor.id != booking.booked_by_id and not booking.room.can_manage(actor):
        raise Forbidden(_("只有预约人或居委会可以取消这个预约"))
    if not booking.is_active:
        raise Conflict(_("“%(title)s”（%(when)s）已取消或未获批准，无需取消",
                         title=booking.title, when=booking.when))
    if booking.ends_at <= utcnow():
        raise Conflict(_("“%(title)s”（%(when)s）已经结束，不能取消", title=booking.title, when=booking.when))
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = utcnow()
    audit.record(session, actor, "booking.cancel", booking, community_id=booking.community_id)
    session.flush()
    return booking


def _decide(session: Session, actor: User, booking: Booking, status: BookingStatus, note: str) -> Booking:
    if not booking.room.can_view(actor):
        raise NotFound(_("找不到该预约"))
    if not booking.room.can_manage(actor):
        raise Forbidden(_("只有本居民区的主持人可以审批预约"))
    if booking.status != BookingStatus.PENDING:
        raise Conflict(_("“%(title)s”（%(when)s）不在待审批状态", title=booking.title, when=booking.when))
    booking.status = status
    booking.decided_by_id = actor.id
    booking.decided_at = utcnow()
    booking.decision_note = " ".join((note or "").split())[:200]
    audit.record(session, actor, f"booking.{'approve' if status == BookingStatus.APPROVED else 'decline'}",
                 booking, community_id=booking.community_id, note=booking.decision_note)
    session.flush()
    return booking


def approve_booking(session: Session, actor: User, booking: Booking, note: str = "") -> Booking:
    """Approve a pending booking (the community's moderator)."""
    return _decide(session, actor, booking, BookingStatus.APPROVED, note)


def decline_booking(session: Session, actor: User, booking: Booking, note: str = "") -> Booking:
    """Decline a pending booking (the community's moderator); the slot is free again."""
    return _decide(session, actor, booking, BookingStatus.DECLINED, note)


# -- weekly series -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SeriesConflict:
    """A date of a series that cannot be booked, and why."""

    day: date
    message: str
    booking: Booking | None

    def summary(self) -> dict:
        return {"date": self.day.isoformat(), "message": self.message,
                "conflict": self.booking.summary() if self.booking else None}


@dataclass(frozen=True)
class SeriesResult:
    series: BookingSeries
    bookings: list[Booking]
    conflicts: list[SeriesConflict]


def series_dates(weekday: int, first_day: date, until: date, exceptions: Iterable[date] = ()) -> list[date]:
    """The dates of a weekly series, its exceptions left out."""
    skip = set(exceptions)
    day = first_day + timedelta(days=(weekday - first_day.weekday()) % 7)
    days = []
    while day <= until:
        if day not in skip:
            days.append(day)
        day += timedelta(days=7)
    return days


def local_slot(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """A local date and wall-clock times as a UTC slot; an end at or before the start is the next day."""
    end_day = day + timedelta(days=1) if end <= start else day
    return local_to_utc(day, start), local_to_utc(end_day, end)


def create_series(session: Session, actor: User, room: Room, *, title: str, attendance: int, weekday: int,
                  start_time: time, end_time: time, first_day: date, until: date,
                  exceptions: Iterable[date] = (), book_free_dates: bool = False,
                  team: Team | None = None) -> SeriesResult:
    """Book a room every week; every date that cannot be booked is reported.

    With conflicts, nothing is booked unless `book_free_dates` asks for the other dates; the
    conflicting dates are then returned in the result (and recorded in the audit log), never
    skipped silently.
    """
    team = _check_may_book(session, actor, room, team)
    title = _clean_title(title)
    _check_attendance(room, attendance)
    if not 0 <= weekday <= 6:
        raise Invalid(_("请选择星期几"), fields={"weekday": _("请选择星期几")})
    if until < first_day or (until - first_day).days > MAX_SERIES_DAYS:
        raise Invalid(_("结束日期须在开始日期之后的一年以内"), fields={"until": _("日期不正确")})
    exceptions = sorted(set(exceptions))
    days = series_dates(weekday, first_day, until, exceptions)
    if not days:
        raise Invalid(_("这个范围内没有需要预约的日期"), fields={"until": _("没有日期")})
    slots = [(day, *local_slot(day, start_time, end_time)) for day in days]
    _check_times(slots[0][1], slots[0][2])
    _lock_community(session, room.community_id)
    closed = closed_days(session, room, days[0], days[-1] + timedelta(days=1))
    busy = bookings_between(session, [room.id, *(r.id for r in _noise_partners(session, room))],
                            slots[0][1], slots[-1][2])
    conflicts: list[SeriesConflict] = []
    free = []
    for day, starts_at, ends_at in slots:
        if problem := _rule_problem(room, starts_at, ends_at, closed):
            conflicts.append(SeriesConflict(day, problem, None))
        elif found := _conflict(room, starts_at, ends_at, busy):
            conflicts.append(SeriesConflict(day, found[0], found[1]))
        else:
            free.append((starts_at, ends_at))
    if conflicts and (not book_free_dates or not free):
        raise Conflict(_("有 %(n)d 个日期无法预约：%(dates)s", n=len(conflicts),
                         dates="、".join(c.day.isoformat() for c in conflicts)),
                       detail={"conflicts": [c.summary() for c in conflicts]})
    if not room.can_manage(actor):
        _check_limit(session, actor, room)
    series = BookingSeries(room=room, booked_by=actor, team=team, title=title, attendance=attendance,
                           weekday=weekday, start_time=start_time, end_time=end_time, first_day=first_day,
                           until=until, exceptions=[SeriesException(day=d) for d in exceptions])
    status = _initial_status(actor, room)
    bookings = [Booking(room=room, booked_by=actor, team=team, series=series, title=title,
                        attendance=attendance, starts_at=s, ends_at=e, status=status) for s, e in free]
    _insert(session, room, bookings)
    audit.record(session, actor, "booking.series_create", series, community_id=room.community_id,
                 room=room.name, title=title, weekday=weekday, dates=len(bookings),
                 not_booked=[c.summary()["date"] for c in conflicts])
    session.flush()
    return SeriesResult(series, bookings, conflicts)


def add_series_exception(session: Session, actor: User, series: BookingSeries, day: date) -> SeriesException:
    """Skip one date of a series: its booking is cancelled and the date recorded as an exception."""
    if not series.room.can_view(actor):
        raise NotFound(_("找不到该系列预约"))
    if actor.id != series.booked_by_id and not series.room.can_manage(actor):
        raise Forbidden(_("只有预约人或居委会可以修改这个系列"))
    if any(e.day == day for e in series.exceptions):
        raise Conflict(_("%(day)s 已是例外日期", day=day.isoformat()))
    exception = SeriesException(series_id=series.id, day=day)
    series.exceptions.append(exception)
    lo, hi = local_to_utc(day, time()), local_to_utc(day + timedelta(days=1), time())
    for booking in session.execute(select(Booking).where(
            Booking.series_id == series.id, Booking.status.in_(ACTIVE_STATUSES),
            Booking.starts_at >= lo, Booking.starts_at < hi)).scalars():
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = utcnow()
    audit.record(session, actor, "booking.series_exception", series, community_id=series.community_id,
                 day=day.isoformat())
    session.flush()
    return exception


# -- rooms and settings (moderators) -----------------------------------------------------------

def _require_moderator(actor: User, community: Community) -> None:
    if not community.can_view(actor):
        raise NotFound(_("找不到该居民区"))
    if not community.can_moderate(actor):
        raise Forbidden(_("只有本居民区的主持人可以管理场地"))


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
    _require_moderator(actor, community)
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
    _require_moderator(actor, room.community)
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


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def set_opening_hours(session: Session, actor: User, room: Room,
                      hours: Iterable[tuple[int, time, time]]) -> list[OpeningHours]:
    """Replace a room's weekly opening hours: (weekday 0=Monday, opens, closes) local times.

    A window closing at or before it opens runs past midnight (18:00–02:00); 00:00–00:00 is all day.
    Two windows of one weekday may not overlap; an invalid weekday answers with the field
    `hours-<weekday>`.
    """
    _require_moderator(actor, room.community)
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
    _require_moderator(actor, room.community)
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
    _require_moderator(actor, room.community)
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


def bookings_on(session: Session, room: Room, day: date) -> list[Booking]:
    """The room's live bookings touching a local date (to warn when the date is closed)."""
    return bookings_between(session, [room.id], local_to_utc(day, time()),
                            local_to_utc(day + timedelta(days=1), time()))


def set_neighbours(session: Session, actor: User, room: Room, other: Room) -> Adjacency:
    """Record that two rooms are next to each other (it holds both ways round)."""
    _require_moderator(actor, room.community)
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
    _require_moderator(actor, room.community)
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


def community_users(session: Session, community: Community, usernames: Iterable[str],
                    field: str = "members") -> list[User]:
    """The users of a community with these user names; Invalid names the ones not found."""
    names = list(dict.fromkeys(n.strip() for n in usernames if n and n.strip()))
    if not names:
        return []
    found = {u.username: u for u in session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, User.username.in_(names))).scalars()}
    missing = [n for n in names if n not in found]
    if missing:
        message = _("本居民区没有这些用户名：%(names)s", names="、".join(missing))
        raise Invalid(message, fields={field: message})
    return [found[n] for n in names]


def register_team(session: Session, actor: User, community: Community, name: str,
                  members: Iterable[User] = ()) -> Team:
    """Register a team (dance team, class, partner shop) and its members who may book for it."""
    _require_moderator(actor, community)
    name = " ".join((name or "").split())
    if not name or len(name) > 50:
        raise Invalid(_("请填写 50 字以内的团队名称"), fields={"name": _("请填写 50 字以内的团队名称")})
    if session.execute(select(Team.id).where(Team.community_id == community.id, Team.name == name)).first():
        message = _("已有名为“%(name)s”的团队", name=name)
        raise Conflict(message, fields={"name": message})
    members = list(members)
    if any(not community.can_view(m) for m in members):
        raise Invalid(_("团队成员须是本居民区的用户"), fields={"members": _("团队成员须是本居民区的用户")})
    team = Team(community_id=community.id, name=name)
    session.add(team)
    session.flush()
    member_ids = sorted({m.id for m in members})
    session.add_all(TeamMember(team_id=team.id, user_id=uid) for uid in member_ids)
    audit.record(session, actor, "team.register", team, community_id=community.id, name=name,
                 members=member_ids)
    session.flush()
    return team


def team_members(session: Session, team: Team) -> list[User]:
    """The members of a team, by user name."""
    return list(session.execute(select(User).join(TeamMember, TeamMember.user_id == User.id)
                                .where(TeamMember.team_id == team.id).order_by(User.username)).scalars())


def teams_with_members(session: Session, community: Community) -> list[tuple[Team, list[User]]]:
    """Every team of a community with its members, in two queries."""
    teams = list(session.execute(select(Team).where(Team.community_id == community.id)
                                 .order_by(Team.name)).scalars())
    members: dict[int, list[User]] = {t.id: [] for t in teams}
    if teams:
        for team_id, user in session.execute(
                select(TeamMember.team_id, User).join(User, User.id == TeamMember.user_id)
                .where(TeamMember.team_id.in_(list(members))).order_by(User.username)):
            members[team_id].append(user)
    return [(t, members[t.id]) for t in teams]


def add_team_member(session: Session, actor: User, team: Team, username: str) -> User:
    """Let a user of the community book for the team."""
    community = session.get(Community, team.community_id)
    _require_moderator(actor, community)
    if not (username or "").strip():
        raise Invalid(_("请填写用户名"), fields={"username": _("请填写用户名")})
    (user,) = community_users(session, community, [username], field="username")
    if session.execute(select(TeamMember.id).where(TeamMember.team_id == team.id,
                                                   TeamMember.user_id == user.id)).first():
        message = _("%(name)s 已是“%(team)s”的成员", name=user.display_name, team=team.name)
        raise Conflict(message, fields={"username": message})
    session.add(TeamMember(team_id=team.id, user_id=user.id))
    audit.record(session, actor, "team.member_add", team, community_id=team.community_id,
                 user_id=user.id, username=user.username)
    session.flush()
    return user


def remove_team_member(session: Session, actor: User, team: Team, user_id: int) -> None:
    """Stop a user booking for the team; their existing bookings stay."""
    _require_moderator(actor, session.get(Community, team.community_id))
    member = session.execute(select(TeamMember).where(TeamMember.team_id == team.id,
                                                      TeamMember.user_id == user_id)).scalar()
    if member is None:
        raise NotFound(_("该用户不是这个团队的成员"))
    session.delete(member)
    audit.record(session, actor, "team.member_remove", team, community_id=team.community_id, user_id=user_id)
    session.flush()


def set_max_future_bookings(session: Session, actor: User, community: Community,
                            limit: int) -> BookingSettings:
    """Change how many future bookings a resident may hold at once in this community."""
    _require_moderator(actor, community)
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
