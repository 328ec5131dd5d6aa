"""A booking approved or declined tells its holder, in their language, with the link to their bookings
(booking.bookings.decision_listeners: consultations.notifications registers the notice)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.booking.bookings import approve_booking, decline_booking
from deliberation.consultations.models import Notification


def booking_notes(session) -> list[Notification]:
    return list(session.execute(select(Notification).where(Notification.kind == "booking")).scalars())


@pytest.mark.parametrize(("decide", "note", "locale", "expected"), [
    pytest.param(approve_booking, "", None, "您预约的多功能会议室（{when}，“楼组议事”）已获批准", id="approved"),
    pytest.param(decline_booking, "当天有联席会议", None,
                 "您预约的多功能会议室（{when}，“楼组议事”）未获批准，说明：当天有联席会议", id="declined_with_note"),
    pytest.param(decline_booking, "", "en", "Your booking of 多功能会议室 ({when}, “楼组议事”) was declined",
                 id="declined_in_english"),
    pytest.param(approve_booking, "同意", "en", "Your booking of 多功能会议室 ({when}, “楼组议事”) was approved",
                 id="approved_in_english"),
])
def test_the_holder_is_told_of_the_decision(session, resident, moderator, make_room, book, decide, note, locale,
                                            expected):
    resident.locale = locale
    room = make_room("多功能会议室", needs_approval=True)
    pending = book(resident, room, 1, "14:00", "16:00", title="楼组议事")
    decide(session, moderator, pending, note)
    [notice] = booking_notes(session)
    assert notice.user_id == resident.id
    assert notice.text == expected.format(when=pending.when)
    assert notice.link == "/bookings/mine"


def test_a_booking_approved_at_once_tells_nobody(session, resident, make_room, book):
    room = make_room("乒乓房")
    book(resident, room, 1, "14:00", "16:00")
    assert booking_notes(session) == []
