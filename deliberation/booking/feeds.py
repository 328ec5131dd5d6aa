"""iCalendar feeds of a room's and a user's bookings, reachable by calendar apps through a signed link.

Calendar apps cannot sign in, so a feed link carries a signed token naming the user. It holds a
digest of the user's session token: "log out everywhere" (or a password change) revokes old links.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from deliberation.accounts.models import User
from deliberation.booking.models import ACTIVE_STATUSES, Booking, BookingStatus
from deliberation.db import utcnow
from deliberation.extensions import db

PAST_DAYS = 30
FUTURE_DAYS = 366


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="booking-feed")


def _digest(user: User) -> str:
    return hashlib.sha256(user.session_token.encode()).hexdigest()[:16]


def feed_token(user: User) -> str:
    return _serializer().dumps([user.id, _digest(user)])


def user_for_feed_token(token: str | None) -> User | None:
    """The user a feed link was made for, or None when it is forged or revoked."""
    if not token:
        return None
    try:
        user_id, digest = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or _digest(user) != digest:
        return None
    return user


def feed_window():
    now = utcnow()
    return now - timedelta(days=PAST_DAYS), now + timedelta(days=FUTURE_DAYS)


def calendar(name: str, bookings: list[Booking], host: str) -> bytes:
    """An iCalendar document of live bookings, times in Asia/Shanghai (TZID, with its VTIMEZONE); pending ones
    are TENTATIVE and say 待审批 in their title."""
    from icalendar import Calendar, Event  # imported when a feed is asked for, not by every worker

    cal = Calendar()
    cal.add("prodid", "-//deliberation//booking//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = utcnow()
    for booking in bookings:
        event = Event()
        event.add("uid", f"booking-{booking.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", booking.local_start)
        event.add("dtend", booking.local_end)
        pending = booking.status == BookingStatus.PENDING
        event.add("summary", booking.title + (_("（待审批）") if pending else ""))
        event.add("location", booking.room.name)
        event.add("status", "CONFIRMED" if booking.status == BookingStatus.APPROVED else "TENTATIVE")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def user_bookings(user: User) -> list[Booking]:
    """A user's live bookings in the feed's window."""
    lo, hi = feed_window()
    return list(db.session.execute(
        select(Booking).where(Booking.booked_by_id == user.id, Booking.status.in_(ACTIVE_STATUSES),
                              Booking.ends_at > lo, Booking.starts_at < hi)
        .order_by(Booking.starts_at).options(joinedload(Booking.room))
    ).scalars())
