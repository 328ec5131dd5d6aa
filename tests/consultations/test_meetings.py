"""Joint meetings (联席会议): recorded for the minutes, and able to book a room of the station."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from deliberation.booking.bookings import create_booking
from deliberation.booking.models import Booking, BookingStatus
from deliberation.booking.rooms import create_room
from deliberation.booking.schedule import local_slot, local_today
from deliberation.booking.setup import set_opening_hours
from deliberation.consultations import sessions
from deliberation.consultations.forms import to_local
from deliberation.consultations.models import JointMeeting
from deliberation.errors import Conflict, Invalid


@pytest.fixture
def meeting_room(session, secretary, community):
    room = create_room(session, secretary, community, name="多功能厅", capacity=40)
    set_opening_hours(session, secretary, room, [(d, time(8), time(22)) for d in range(7)])
    session.commit()
    return room


@pytest.fixture
def evening():
    """19:00–21:00 Shanghai time on a day two weeks ahead, as UTC datetimes."""
    day = local_today() + timedelta(days=14)
    return local_slot(day, time(19), time(21))


def _form(starts, ends, **extra):
    data = {
        "held_at": to_local(starts).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": to_local(ends).strftime("%Y-%m-%dT%H:%M"),
        "place": "党群服务站多功能厅",
        "attendees": "街道社区服务办、物业、居民代表 8 人",
        "notes": "",
    }
    data.update(extra)
    return data


def _count(session, model) -> int:
    session.rollback()
    return session.execute(select(func.count()).select_from(model)).scalar()


def test_a_meeting_without_a_room_is_recorded_and_shown(client, login, session, consultation, resident):
    login("shuji")
    response = client.post(f"/consultations/{consultation.id}/meetings",
                           data={"held_at": "2026-11-20T19:00", "place": "居委会会议室", "attendees": "业委会、物业"})
    assert response.status_code == 302
    meeting = session.execute(select(JointMeeting)).scalar_one()
    assert meeting.booking_id is None and meeting.place == "居委会会议室"
    client.post("/logout")
    login("wangayi")
    page = client.get(f"/consultations/{consultation.id}").text
    assert "居委会会议室" in page and "业委会、物业" in page
    assert 'id="meeting-form"' not in page  # residents read meetings, they do not record them


def test_the_meeting_form_books_the_chosen_room_in_the_same_transaction(
    client, login, session, consultation, meeting_room, evening
):
    login("shuji")
    page = client.get(f"/consultations/{consultation.id}").text
    assert f'<option value="{meeting_room.id}">多功能厅（40 人）</option>' in page
    starts, ends = evening
    response = client.post(f"/consultations/{consultation.id}/meetings",
                           data=_form(starts, ends, room_id=str(meeting_room.id), attendance="15"))
    assert response.status_code == 302, response.text
    meeting = session.execute(select(JointMeeting)).scalar_one()
    booking = session.get(Booking, meeting.booking_id)
    assert booking.room_id == meeting_room.id and booking.status == BookingStatus.APPROVED
    assert (booking.starts_at, booking.ends_at, booking.attendance) == (starts, ends, 15)
    assert booking.title == f"联席会议：{consultation.title}"
    assert "已预约场地：多功能厅（已确认）" in client.get(f"/consultations/{consultation.id}").text


def test_a_booking_conflict_shows_the_booking_message_on_the_form_and_saves_nothing(
    client, login, session, consultation, meeting_room, evening, resident
):
    starts, ends = evening
    create_booking(session, resident, meeting_room, title="广场舞排练", attendance=10,
                   starts_at=starts + timedelta(hours=1), ends_at=ends + timedelta(hours=1))
    session.commit()
    login("shuji")
    response = client.post(f"/consultations/{consultation.id}/meetings",
                           data=_form(starts, ends, room_id=str(meeting_room.id), attendance="15"))
    assert response.status_code == 409
    assert "该时段已被“广场舞排练”" in response.text
    assert 'id="held_at-error"' in response.text  # next to the time field
    assert "<details class=\"card\" id=\"meeting-form\" open>" in response.text
    assert "街道社区服务办、物业、居民代表 8 人" in response.text  # what was typed is kept
    assert _count(session, JointMeeting) == 0
    assert _count(session, Booking) == 1


def test_booking_needs_an_end_and_a_head_count_and_a_room_of_this_community(
    client, login, session, consultation, meeting_room, evening, make_community, make_user
):
    starts, ends = evening
    login("shuji")
    no_end = client.post(f"/consultations/{consultation.id}/meetings",
                         data=_form(starts, ends, room_id=str(meeting_room.id), attendance="15", ends_at=""))
    assert no_end.status_code == 422 and "预约场地须填写会议结束时间" in no_end.text
    no_count = client.post(f"/consultations/{consultation.id}/meetings",
                           data=_form(starts, ends, room_id=str(meeting_room.id)))
    assert no_count.status_code == 422 and "预约场地须填写预计人数" in no_count.text
    other = make_community("梧桐居民区")
    other_secretary = make_user("wutong", other, role="moderator")
    foreign = create_room(session, other_secretary, other, name="梧桐活动室", capacity=20)
    session.commit()
    foreign_room = client.post(f"/consultations/{consultation.id}/meetings",
                               data=_form(starts, ends, room_id=str(foreign.id), attendance="15"))
    assert foreign_room.status_code == 422 and "请选择本居民区的场地" in foreign_room.text
    assert _count(session, JointMeeting) == 0 and _count(session, Booking) == 0


def test_outside_opening_hours_the_service_refuses_and_writes_nothing(
    session, secretary, consultation, meeting_room, evening
):
    starts, _ends = evening
    late = (starts + timedelta(hours=3), starts + timedelta(hours=5))  # 22:00–24:00
    with pytest.raises(Invalid):
        sessions.add_meeting(session, secretary, consultation, late[0], "多功能厅", "居民代表",
                             room=meeting_room, ends_at=late[1], attendance=10)
    session.rollback()
    assert _count(session, JointMeeting) == 0 and _count(session, Booking) == 0


def test_two_meetings_in_the_same_slot_conflict(session, secretary, consultation, meeting_room, evening):
    starts, ends = evening
    first = sessions.add_meeting(session, secretary, consultation, starts, "多功能厅", "居民代表",
                                 room=meeting_room, ends_at=ends, attendance=10)
    session.commit()
    assert first.booking is not None
    with pytest.raises(Conflict) as refused:
        sessions.add_meeting(session, secretary, consultation, starts, "多功能厅", "业委会",
                             room=meeting_room, ends_at=ends, attendance=10)
    assert refused.value.detail["conflict"]["id"] == first.booking_id
