"""The booking rules, through the services, on the test database (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from deliberation.audit import AuditEvent
from deliberation.booking.bookings import approve_booking, cancel_booking, create_booking, decline_booking
from deliberation.booking.models import Booker, Booking, BookingStatus, Noise
from deliberation.booking.schedule import bookings_between, local_today
from deliberation.booking.series import add_series_exception, create_series
from deliberation.booking.setup import add_closed_date, set_max_future_bookings, set_neighbours
from deliberation.booking.teams import register_team
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound


def refused(error_type, call, *args, **kwargs):
    """The domain error a service raised; the session is rolled back as a route would."""
    from deliberation.extensions import db

    with pytest.raises(error_type) as info:
        call(*args, **kwargs)
    db.session.rollback()
    return info.value


# -- one room ----------------------------------------------------------------------------------

def test_a_booking_inside_the_opening_hours_is_approved_and_audited(session, resident, dance_room, book):
    booking = book(resident, dance_room, 1, "10:00", "12:00", title="广场舞")
    assert booking.status == BookingStatus.APPROVED
    assert session.execute(select(func.count()).where(AuditEvent.action == "booking.create")).scalar() == 1


def test_an_overlapping_booking_of_the_same_room_is_refused_naming_the_first(
        session, resident, neighbour, make_room, book, slot
):
    room = make_room("乒乓房")
    first = book(resident, room, 2, "19:00", "21:00", title="乒乓友谊赛")
    starts_at, ends_at = slot(2, "20:00", "22:00")
    error = refused(Conflict, create_booking, session, neighbour, room, title="练球",
                    attendance=2, starts_at=starts_at, ends_at=ends_at)
    assert "乒乓友谊赛" in error.message and "19:00–21:00" in error.message
    assert error.detail["conflict"]["id"] == first.id


def test_back_to_back_bookings_do_not_collide(resident, neighbour, make_room, book):
    room = make_room("乒乓房")
    book(resident, room, 2, "19:00", "20:00")
    assert book(neighbour, room, 2, "20:00", "21:00").status == BookingStatus.APPROVED


def test_a_cancelled_or_declined_booking_frees_the_slot(
        session, resident, neighbour, moderator, make_room, book
):
    room = make_room("乒乓房")
    first = book(resident, room, 2, "19:00", "21:00")
    cancel_booking(session, resident, first)
    session.commit()
    assert book(neighbour, room, 2, "19:00", "21:00").status == BookingStatus.APPROVED


def test_attendance_above_capacity_is_refused(session, resident, make_room, slot):
    room = make_room("书画室", capacity=12)
    starts_at, ends_at = slot(1, "10:00", "11:00")
    error = refused(Invalid, create_booking, session, resident, room, title="书法课",
                    attendance=13, starts_at=starts_at, ends_at=ends_at)
    assert "12" in error.message and "attendance" in error.fields


def test_a_booking_in_the_past_is_refused(session, resident, make_room):
    room = make_room("乒乓房")
    now = utcnow()
    refused(Invalid, create_booking, session, resident, room, title="昨天",
            attendance=2, starts_at=now - timedelta(days=1), ends_at=now - timedelta(days=1, hours=-1))


# -- noisy next to quiet -----------------------------------------------------------------------

def test_a_noisy_booking_is_refused_next_to_a_quiet_one(
        session, resident, neighbour, dance_room, calligraphy_room, book, slot
):
    book(resident, calligraphy_room, 1, "14:00", "16:00", title="书法课")
    starts_at, ends_at = slot(1, "15:00", "17:00")
    error = refused(Conflict, create_booking, session, neighbour, dance_room,
                    title="广场舞排练", attendance=10, starts_at=starts_at, ends_at=ends_at)
    assert "书画室" in error.message and "书法课" in error.message
    assert error.detail["conflict"]["room"] == "书画室"


def test_a_quiet_booking_is_refused_next_to_a_noisy_one(
        session, resident, neighbour, dance_room, calligraphy_room, book, slot
):
    book(resident, dance_room, 1, "14:00", "16:00", title="广场舞排练")
    starts_at, ends_at = slot(1, "15:30", "17:00")
    error = refused(Conflict, create_booking, session, neighbour, calligraphy_room,
                    title="书法课", attendance=5, starts_at=starts_at, ends_at=ends_at)
    assert "舞蹈房" in error.message and "广场舞排练" in error.message


def test_noisy_and_quiet_neighbours_may_follow_each_other(
        resident, neighbour, dance_room, calligraphy_room, book
):
    book(resident, dance_room, 1, "14:00", "16:00")
    assert book(neighbour, calligraphy_room, 1, "16:00", "18:00").is_active


def test_a_noisy_room_next_to_a_normal_room_is_fine(resident, neighbour, session, moderator, dance_room,
                                                    make_room, book):
    pingpong = make_room("乒乓房")
    set_neighbours(session, moderator, dance_room, pingpong)
    session.commit()
    book(resident, pingpong, 1, "14:00", "16:00")
    assert book(neighbour, dance_room, 1, "14:00", "16:00").is_active


def test_rooms_that_are_not_neighbours_do_not_disturb_each_other(
        resident, neighbour, dance_room, make_room, book
):
    far_reading_room = make_room("共享书吧", noise=Noise.QUIET)
    book(resident, far_reading_room, 1, "14:00", "16:00")
    assert book(neighbour, dance_room, 1, "14:00", "16:00").is_active


# -- opening hours and closed dates ------------------------------------------------------------

@pytest.fixture
def night_room(make_room):
    """Open on Fridays (weekday 4) from 18:00 to 02:00 the next morning, and on Mondays 09:00–12:00."""
    return make_room("共享书吧", hours=[(4, time(18), time(2)), (0, time(9), time(12))])


@pytest.mark.parametrize(("offset", "start", "end", "allowed"), [
    (4, "18:00", "20:00", True),      # Friday evening
    (4, "23:00", "01:30", True),      # across midnight, inside the window
    (5, "00:30", "02:00", True),      # Saturday early morning belongs to Friday's window
    (4, "23:00", "02:30", False),     # runs past closing time
    (5, "01:00", "03:00", False),
    (5, "18:00", "20:00", False),     # Saturday evening is not open
    (0, "11:00", "12:30", False),     # past Monday's noon closing
    (0, "08:30", "10:00", False),     # before opening
])
def test_opening_hours_hold_across_midnight(session, resident, night_room, slot, offset, start, end, allowed):
    starts_at, ends_at = slot(offset, start, end)
    if allowed:
        assert create_booking(session, resident, night_room, title="夜读", attendance=3,
                              starts_at=starts_at, ends_at=ends_at).is_active
    else:
        error = refused(Invalid, create_booking, session, resident, night_room,
                        title="夜读", attendance=3, starts_at=starts_at, ends_at=ends_at)
        assert "不开放" in error.message


def test_a_closed_date_refuses_bookings_and_names_the_reason(session, resident, moderator, make_room, monday,
                                                             slot):
    room = make_room("多功能会议室")
    add_closed_date(session, moderator, room, monday + timedelta(days=2), "元旦")
    session.commit()
    starts_at, ends_at = slot(2, "10:00", "11:00")
    error = refused(Invalid, create_booking, session, resident, room, title="讲座", attendance=5,
                    starts_at=starts_at, ends_at=ends_at)
    assert "元旦" in error.message and (monday + timedelta(days=2)).isoformat() in error.message


def test_a_booking_running_past_midnight_into_a_closed_date_is_refused(
        session, resident, moderator, night_room, monday, slot
):
    add_closed_date(session, moderator, night_room, monday + timedelta(days=5), "停电检修")
    session.commit()
    starts_at, ends_at = slot(4, "23:00", "01:00")
    error = refused(Invalid, create_booking, session, resident, night_room, title="夜读",
                    attendance=3, starts_at=starts_at, ends_at=ends_at)
    assert "停电检修" in error.message


# -- who may book, the limit, approval ---------------------------------------------------------

def test_the_future_booking_limit_counts_a_series_once(
        session, resident, moderator, community, make_room, book
):
    set_max_future_bookings(session, moderator, community, 2)
    room = make_room("乒乓房")
    book(resident, room, 1, "10:00", "11:00")
    create_series(session, resident, room, title="每周练球", attendance=2, weekday=2,
                  start_time=time(19), end_time=time(20),
                           first_day=local_today() + timedelta(7),
                           until=local_today() + timedelta(60))
    session.commit()
    error = refused(Conflict, book, resident, room, 3, "10:00", "11:00")
    assert "最多同时持有 2 个" in error.message


def test_the_limit_ignores_cancelled_bookings_and_moderators(
        session, resident, moderator, community, make_room, book
):
    set_max_future_bookings(session, moderator, community, 1)
    room = make_room("乒乓房")
    first = book(resident, room, 1, "10:00", "11:00")
    refused(Conflict, book, resident, room, 2, "10:00", "11:00")
    cancel_booking(session, resident, session.get(Booking, first.id))
    session.commit()
    assert book(resident, room, 2, "10:00", "11:00").is_active
    for offset in range(3):
        book(moderator, room, offset + 3, "10:00", "11:00")


def test_the_limit_is_per_community_and_defaults_to_three(session, resident, make_room, book):
    room = make_room("乒乓房")
    for offset in range(3):
        book(resident, room, offset, "10:00", "11:00")
    refused(Conflict, book, resident, room, 4, "10:00", "11:00")


def test_a_team_room_takes_bookings_only_for_a_registered_team(
        session, resident, neighbour, moderator, community, make_room, book
):
    room = make_room("舞蹈房", booker=Booker.TEAMS)
    error = refused(Forbidden, book, resident, room, 1, "10:00", "11:00")
    assert "团队" in error.message
    team = register_team(session, moderator, community, "星光舞蹈队", [resident])
    session.commit()
    assert book(resident, room, 1, "10:00", "11:00", team=team).team_id == team.id
    refused(Forbidden, book, neighbour, room, 2, "10:00", "11:00", team=team)  # not a member


def test_a_moderators_only_room_refuses_residents(resident, moderator, make_room, book):
    room = make_room("多功能会议室", booker=Booker.MODERATORS)
    refused(Forbidden, book, resident, room, 1, "10:00", "11:00")
    assert book(moderator, room, 1, "10:00", "11:00").is_active


def test_a_resident_of_another_community_cannot_book(outsider, make_room, book):
    room = make_room("乒乓房")
    refused(NotFound, book, outsider, room, 1, "10:00", "11:00")


def test_a_room_needing_approval_holds_the_slot_while_pending(
        session, resident, neighbour, moderator, make_room, book
):
    room = make_room("多功能会议室", needs_approval=True)
    pending = book(resident, room, 1, "14:00", "16:00", title="楼组议事")
    assert pending.status == BookingStatus.PENDING
    error = refused(Conflict, book, neighbour, room, 1, "15:00", "16:00")
    assert "楼组议事" in error.message
    refused(Forbidden, approve_booking, session, neighbour, pending)
    approve_booking(session, moderator, pending, "同意")
    session.commit()
    assert pending.status == BookingStatus.APPROVED and pending.decided_by_id == moderator.id
    refused(Conflict, decline_booking, session, moderator, pending)


def test_a_declined_booking_frees_the_slot(session, resident, neighbour, moderator, make_room, book):
    room = make_room("多功能会议室", needs_approval=True)
    pending = book(resident, room, 1, "14:00", "16:00")
    decline_booking(session, moderator, pending, "当天有联席会议")
    session.commit()
    assert book(neighbour, room, 1, "14:00", "16:00").status == BookingStatus.PENDING


def test_only_the_booker_or_a_moderator_cancels(session, resident, neighbour, moderator, make_room, book):
    room = make_room("乒乓房")
    booking = book(resident, room, 1, "14:00", "16:00")
    refused(Forbidden, cancel_booking, session, neighbour, booking)
    cancel_booking(session, moderator, booking)
    session.commit()
    refused(Conflict, cancel_booking, session, resident, booking)


# -- weekly series -----------------------------------------------------------------------------

def test_a_series_books_every_week_except_its_exceptions(session, resident, dance_room, monday, make_room):
    room = make_room("乒乓房")
    tuesday = monday + timedelta(days=1)
    result = create_series(session, resident, room, title="周二练球", attendance=4, weekday=1,
                           start_time=time(19), end_time=time(21), first_day=monday,
                           until=tuesday + timedelta(weeks=3),
                           exceptions=[tuesday + timedelta(weeks=1)])
    session.commit()
    days = [b.local_start.date() for b in result.bookings]
    assert days == [tuesday, tuesday + timedelta(weeks=2), tuesday + timedelta(weeks=3)]
    assert [e.day for e in result.series.exceptions] == [tuesday + timedelta(weeks=1)]
    assert all(b.local_start.time() == time(19) and b.series_id == result.series.id for b in result.bookings)


def test_a_series_with_a_conflicting_date_books_nothing_and_reports_it(session, resident, neighbour, monday,
                                                                       make_room, book):
    room = make_room("乒乓房")
    book(neighbour, room, 8, "20:00", "22:00", title="楼组乒乓赛")  # the second Tuesday
    error = refused(Conflict, create_series, session, resident, room, title="周二练球", attendance=4,
                    weekday=1, start_time=time(19), end_time=time(21), first_day=monday,
                    until=monday + timedelta(weeks=3))
    second_tuesday = (monday + timedelta(days=8)).isoformat()
    assert second_tuesday in error.message
    assert [c["date"] for c in error.detail["conflicts"]] == [second_tuesday]
    assert error.detail["conflicts"][0]["conflict"]["title"] == "楼组乒乓赛"
    assert session.execute(select(func.count(Booking.id)).where(Booking.title == "周二练球")).scalar() == 0


def test_a_series_may_book_its_free_dates_and_still_reports_the_others(
        session, resident, neighbour, moderator, monday, make_room, book
):
    room = make_room("乒乓房")
    book(neighbour, room, 8, "20:00", "22:00", title="楼组乒乓赛")
    add_closed_date(session, moderator, room, monday + timedelta(days=15), "消防检查")
    session.commit()
    result = create_series(session, resident, room, title="周二练球", attendance=4, weekday=1,
                           start_time=time(19), end_time=time(21), first_day=monday,
                           until=monday + timedelta(weeks=3, days=1), book_free_dates=True)
    session.commit()
    assert len(result.bookings) == 2
    reported = {c.day: c.message for c in result.conflicts}
    assert set(reported) == {monday + timedelta(days=8), monday + timedelta(days=15)}
    assert "楼组乒乓赛" in reported[monday + timedelta(days=8)]
    assert "消防检查" in reported[monday + timedelta(days=15)]


def test_a_series_on_a_noisy_room_reports_the_quiet_neighbours_dates(session, resident, neighbour, monday,
                                                                      dance_room, calligraphy_room, book):
    book(neighbour, calligraphy_room, 1, "19:30", "20:30", title="书法夜课")
    error = refused(Conflict, create_series, session, resident, dance_room, title="舞蹈排练",
                    attendance=10, weekday=1, start_time=time(19), end_time=time(21), first_day=monday,
                    until=monday + timedelta(weeks=2))
    assert error.detail["conflicts"][0]["conflict"]["room"] == "书画室"


def test_an_exception_added_later_cancels_that_dates_booking(session, resident, monday, make_room):
    room = make_room("乒乓房")
    result = create_series(session, resident, room, title="周二练球", attendance=4, weekday=1,
                           start_time=time(19), end_time=time(21), first_day=monday,
                           until=monday + timedelta(weeks=2, days=1))
    session.commit()
    add_series_exception(session, resident, result.series, monday + timedelta(days=8))
    session.commit()
    statuses = [b.status for b in sorted(result.bookings, key=lambda b: b.starts_at)]
    assert statuses == [BookingStatus.APPROVED, BookingStatus.CANCELLED, BookingStatus.APPROVED]


# -- the database itself -----------------------------------------------------------------------

def test_postgresql_refuses_overlapping_live_bookings_by_its_exclusion_constraint(
        is_postgres, session, resident, make_room, book, slot
):
    if not is_postgres:
        pytest.skip("the exclusion constraint exists on PostgreSQL only; SQLite serialises writers instead")
    room = make_room("乒乓房")
    book(resident, room, 1, "10:00", "12:00")
    starts_at, ends_at = slot(1, "11:00", "13:00")
    session.add(Booking(room=room, booked_by=resident, title="绕过检查", attendance=1, starts_at=starts_at,
                        ends_at=ends_at, status=BookingStatus.PENDING))
    with pytest.raises(IntegrityError, match="ex_bookings_no_overlap"):
        session.flush()
    session.rollback()
    # A cancelled booking does not hold the room, even on the database's level.
    session.add(Booking(room=room, booked_by=resident, title="已取消", attendance=1, starts_at=starts_at,
                        ends_at=ends_at, status=BookingStatus.CANCELLED))
    session.commit()


def test_an_exclusion_violation_is_answered_as_a_conflict_naming_the_booking(is_postgres, session, resident,
                                                                             neighbour, make_room, book, slot,
                                                                             monkeypatch):
    if not is_postgres:
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    room = make_room("乒乓房")
    first = book(resident, room, 1, "10:00", "12:00", title="晨练")
    # As if another process had slipped its booking in between our check and our insert.
    original = bookings_between
    calls = []

    def blind_first_time(*args, **kwargs):
        calls.append(1)
        return [] if len(calls) == 1 else original(*args, **kwargs)

    monkeypatch.setattr("deliberation.booking.bookings.bookings_between", blind_first_time)
    starts_at, ends_at = slot(1, "11:00", "13:00")
    error = refused(Conflict, create_booking, session, neighbour, room, title="练球", attendance=2,
                    starts_at=starts_at, ends_at=ends_at)
    assert error.detail["conflict"]["id"] == first.id and "晨练" in error.message
