"""Weekly series: their dates, booking them with every date that cannot be booked reported, exceptions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import User
from deliberation.booking.checks import (
    check_attendance,
    check_limit,
    check_may_book,
    check_times,
    clean_title,
    find_conflict,
    horizon_problem,
    initial_status,
    insert_bookings,
    lock_community,
    noise_partners,
    rule_problem,
)
from deliberation.booking.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingSeries,
    BookingStatus,
    Room,
    SeriesException,
    Team,
    local_to_utc,
)
from deliberation.booking.schedule import bookings_between, closed_days, local_slot
from deliberation.db import begin_writes, utcnow
from deliberation.errors import Conflict, Invalid, require

MAX_SERIES_DAYS = 366


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


def _sort_dates(session: Session, actor: User, room: Room, slots: list[tuple[date, datetime, datetime]]
                ) -> tuple[list[SeriesConflict], list[tuple[datetime, datetime]]]:
    """The series' dates that cannot be booked (with why and the booking in the way) and the free slots."""
    closed = closed_days(session, room, slots[0][0], slots[-1][0] + timedelta(days=1))
    busy = bookings_between(session, [room.id, *(r.id for r in noise_partners(session, room))],
                            slots[0][1], slots[-1][2])
    conflicts: list[SeriesConflict] = []
    free = []
    for day, starts_at, ends_at in slots:
        if problem := horizon_problem(actor, room, starts_at) or rule_problem(room, starts_at, ends_at, closed):
            conflicts.append(SeriesConflict(day, problem, None))
        elif found := find_conflict(room, starts_at, ends_at, busy):
            conflicts.append(SeriesConflict(day, found.message, found.booking))
        else:
            free.append((starts_at, ends_at))
    return conflicts, free


def create_series(session: Session, actor: User, room: Room, *, title: str, attendance: int, weekday: int,
                  start_time: time, end_time: time, first_day: date, until: date,
                  exceptions: Iterable[date] = (), book_free_dates: bool = False,
                  team: Team | None = None) -> SeriesResult:
    """Book a room every week; every date that cannot be booked is reported.

    With conflicts, nothing is booked unless `book_free_dates` asks for the other dates; the
    conflicting dates are then returned in the result (and recorded in the audit log), never
    skipped silently.
    """
    team = check_may_book(session, actor, room, team)
    title = clean_title(title)
    check_attendance(room, attendance)
    if not 0 <= weekday <= 6:
        raise Invalid(_("请选择星期几"), fields={"weekday": _("请选择星期几")})
    if until < first_day or (until - first_day).days > MAX_SERIES_DAYS:
        raise Invalid(_("结束日期须在开始日期之后的一年以内"), fields={"until": _("日期不正确")})
    exceptions = sorted(set(exceptions))
    days = series_dates(weekday, first_day, until, exceptions)
    if not days:
        raise Invalid(_("这个范围内没有需要预约的日期"), fields={"until": _("没有日期")})
    slots = [(day, *local_slot(day, start_time, end_time)) for day in days]
    check_times(slots[0][1], slots[0][2])
    lock_community(session, room.community_id)
    conflicts, free = _sort_dates(session, actor, room, slots)
    if begin_writes(session):  # SQLite, a request that read first: what another writer changed meanwhile
        conflicts, free = _sort_dates(session, actor, room, slots)
    if conflicts and (not book_free_dates or not free):
        raise Conflict(_("有 %(n)d 个日期无法预约：%(dates)s", n=len(conflicts),
                         dates="、".join(c.day.isoformat() for c in conflicts)),
                       detail={"conflicts": [c.summary() for c in conflicts]})
    if not room.can_manage(actor):
        check_limit(session, actor, room)
    series = BookingSeries(room=room, booked_by=actor, team=team, title=title, attendance=attendance,
                           weekday=weekday, start_time=start_time, end_time=end_time, first_day=first_day,
                           until=until, exceptions=[SeriesException(day=d) for d in exceptions])
    status = initial_status(actor, room)
    bookings = [Booking(room=room, booked_by=actor, team=team, series=series, title=title,
                        attendance=attendance, starts_at=s, ends_at=e, status=status) for s, e in free]
    insert_bookings(session, room, bookings)
    audit.record(session, actor, "booking.series_create", series, community_id=room.community_id,
                 room=room.name, title=title, weekday=weekday, dates=len(bookings),
                 not_booked=[c.summary()["date"] for c in conflicts])
    session.flush()
    return SeriesResult(series, bookings, conflicts)


def add_series_exception(session: Session, actor: User, series: BookingSeries, day: date) -> SeriesException:
    """Skip one date of a series: its booking is cancelled and the date recorded as an exception."""
    require(series.can_view(actor), _("找不到该系列预约"), hidden=True)
    require(series.can_change(actor), _("只有预约人或居委会可以修改这个系列"))
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
