"""Single bookings: booking a slot, cancelling, approving and declining; a user's own bookings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from deliberation import audit
from deliberation.accounts.models import Community, User
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
from deliberation.booking.models import Booking, BookingStatus, Room, Team
from deliberation.booking.schedule import bookings_between, closed_days, local_days
from deliberation.db import begin_writes, utcnow
from deliberation.errors import Conflict, Invalid, require

# Called after a moderator approved or declined a booking, in the same transaction: (session, actor, booking).
# The capability that tells people things registers here (consultations.notifications), so that booking
# imports none of it.
decision_listeners: list[Callable[[Session, User, Booking], None]] = []


def bookings_of(user: User, *, past: bool = False) -> Select:
    """The user's own bookings: upcoming ones soonest first, or past ones latest first (to paginate)."""
    now = utcnow()
    stmt = select(Booking).where(Booking.booked_by_id == user.id).options(joinedload(Booking.room))
    if past:
        return stmt.where(Booking.ends_at <= now).order_by(Booking.starts_at.desc())
    return stmt.where(Booking.ends_at > now).order_by(Booking.starts_at)


def pending_of(community: Community) -> Select:
    """The community's bookings waiting for approval, soonest first (a SELECT to paginate)."""
    return (select(Booking).join(Room).where(Room.community_id == community.id,
                                             Booking.status == BookingStatus.PENDING)
            .order_by(Booking.starts_at).options(joinedload(Booking.room), joinedload(Booking.booked_by),
                                                 joinedload(Booking.team)))


def pending_count(session: Session, community: Community) -> int:
    """How many bookings of the community wait for approval."""
    return session.execute(select(func.count(Booking.id)).join(Room).where(
        Room.community_id == community.id, Booking.status == BookingStatus.PENDING)).scalar()


def pending_counts(session: Session, community_ids: list[int]) -> dict[int, int]:
    """How many bookings wait for approval in each of these communities (one query)."""
    if not community_ids:
        return {}
    return dict(session.execute(
        select(Room.community_id, func.count(Booking.id)).join(Room)
        .where(Room.community_id.in_(community_ids), Booking.status == BookingStatus.PENDING)
        .group_by(Room.community_id)).all())


def create_booking(session: Session, actor: User, room: Room, *, title: str, attendance: int,
                   starts_at: datetime, ends_at: datetime, team: Team | None = None) -> Booking:
    """Book a slot of a room, or refuse with the rule and the booking in the way."""
    team = check_may_book(session, actor, room, team)
    title = clean_title(title)
    check_times(starts_at, ends_at)
    if too_far := horizon_problem(actor, room, starts_at):
        raise Invalid(too_far, fields={"date": too_far})
    check_attendance(room, attendance)
    lock_community(session, room.community_id)
    _check_slot(session, actor, room, starts_at, ends_at)
    if begin_writes(session):  # SQLite, a request that read first: what another writer changed meanwhile
        _check_slot(session, actor, room, starts_at, ends_at)
    booking = Booking(room=room, booked_by=actor, team=team, title=title, attendance=attendance,
                      starts_at=starts_at, ends_at=ends_at, status=initial_status(actor, room))
    insert_bookings(session, room, [booking])
    audit.record(session, actor, "booking.create", booking, community_id=room.community_id, room=room.name,
                 title=title, starts_at=starts_at, ends_at=ends_at, status=booking.status.value)
    session.flush()
    return booking


def _check_slot(session: Session, actor: User, room: Room, starts_at: datetime, ends_at: datetime) -> None:
    """The checks another booking can change: the room's rules and closed dates, the bookings in the way
    (the room's and its noisy neighbours'), and the resident's limit of future bookings."""
    days = local_days(starts_at, ends_at)
    problem = rule_problem(room, starts_at, ends_at, closed_days(session, room, days[0], days[-1]))
    if problem:
        raise Invalid(problem, fields={"start": problem})
    rooms = [room.id, *(r.id for r in noise_partners(session, room))]
    busy = bookings_between(session, rooms, starts_at, ends_at)
    found = find_conflict(room, starts_at, ends_at, busy)
    if found:
        raise Conflict(found.message, fields={"start": found.message}, detail={"conflict": found.booking.summary()})
    if not room.can_manage(actor):
        check_limit(session, actor, room)


def cancel_booking(session: Session, actor: User, booking: Booking) -> Booking:
    """Cancel a live booking (its booker or a moderator); the slot is free again."""
    require(booking.can_view(actor), _("找不到该预约"), hidden=True)
    require(booking.can_cancel(actor), _("只有预约人或居委会可以取消这个预约"))
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
    """Approve or decline a pending booking, with the moderator's note."""
    require(booking.can_view(actor), _("找不到该预约"), hidden=True)
    require(booking.can_decide(actor), _("只有本居民区的主持人可以审批预约"))
    if booking.status != BookingStatus.PENDING:
        raise Conflict(_("“%(title)s”（%(when)s）不在待审批状态", title=booking.title, when=booking.when))
    booking.status = status
    booking.decided_by_id = actor.id
    booking.decided_at = utcnow()
    booking.decision_note = " ".join((note or "").split())[:200]
    audit.record(session, actor, f"booking.{'approve' if status == BookingStatus.APPROVED else 'decline'}",
                 booking, community_id=booking.community_id, note=booking.decision_note)
    session.flush()
    for listener in decision_listeners:
        listener(session, actor, booking)
    return booking


def approve_booking(session: Session, actor: User, booking: Booking, note: str = "") -> Booking:
    """Approve a pending booking (the community's moderator)."""
    return _decide(session, actor, booking, BookingStatus.APPROVED, note)


def decline_booking(session: Session, actor: User, booking: Booking, note: str = "") -> Booking:
    """Decline a pending booking (the community's moderator); the slot is free again."""
    return _decide(session, actor, booking, BookingStatus.DECLINED, note)
