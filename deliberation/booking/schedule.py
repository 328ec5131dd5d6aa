"""Reading a room's calendar: local days and weeks, opening windows, closed days, bookings between two times."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from deliberation.booking.models import (
    ACTIVE_STATUSES,
    LOCAL_TZ,
    Booking,
    BookingStatus,
    ClosedDate,
    Room,
    local_to_utc,
    to_local,
)
from deliberation.db import utcnow
from deliberation.errors import Invalid

MAX_BOOKING_HOURS = 24
MAX_RANGE_DAYS = 62


def week_start(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def local_today() -> date:
    """Today's date in Shanghai."""
    return to_local(utcnow()).date()


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


def describe_hours(room: Room, starts_at: datetime) -> str:
    """The opening hours on the local weekday of `starts_at`, e.g. 09:00–21:00."""
    hours = room.hours_on(to_local(starts_at).weekday())
    if not hours:
        return _("当天全天不开放")
    next_day = _("（次日）")
    return _("当天开放时间 %(hours)s", hours="、".join(
        f"{h.opens:%H:%M}–{h.closes:%H:%M}" + (next_day if h.past_midnight and h.closes != time() else "")
        for h in hours))


def local_slot(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """A local date and wall-clock times as a UTC slot; an end before the start is the next day (22:00–01:00).
    An end equal to the start is an empty slot, which check_times refuses as ending when it starts."""
    end_day = day + timedelta(days=1) if end < start else day
    return local_to_utc(day, start), local_to_utc(end_day, end)


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


def bookings_on(session: Session, room: Room, day: date) -> list[Booking]:
    """The room's live bookings touching a local date (to warn when the date is closed)."""
    return bookings_between(session, [room.id], local_to_utc(day, time()),
                            local_to_utc(day + timedelta(days=1), time()))
