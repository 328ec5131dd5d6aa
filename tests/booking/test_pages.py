"""The booking pages: rooms, week calendars, the form, my bookings, approvals, calendar feeds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from deliberation.booking import feeds
from deliberation.booking.models import Booking, BookingStatus


@pytest.fixture
def pingpong(make_room):
    return make_room("乒乓房", capacity=8)


def form_for(day, start="19:00", end="21:00", title="乒乓友谊赛", attendance="6"):
    return {"date": day.isoformat(), "start": start, "end": end, "title": title, "attendance": attendance,
            "team_id": "0"}


def test_the_rooms_page_lists_the_stations_rooms(client, login, resident, community, pingpong, dance_room):
    login("wangayi")
    page = client.get(f"/communities/{community.id}/rooms").get_data(as_text=True)
    assert "乒乓房" in page and "舞蹈房" in page and "吵闹" in page


def test_the_rooms_page_joins_days_with_equal_hours_and_marks_hours_past_midnight(client, login, resident,
                                                                                 community, make_room):
    from datetime import time

    make_room("共享书吧", hours=[(d, time(9), time(21)) for d in range(4)]
              + [(4, time(9), time(1)), (5, time(9), time(1))])
    login("wangayi")
    page = client.get(f"/communities/{community.id}/rooms").get_data(as_text=True)
    assert "<dt>周一至周四</dt>" in page and "<dt>周五至周六</dt>" in page
    assert "09:00–01:00（次日）" in page
    assert '<dt>周日</dt>\n      <dd class="muted">不开放</dd>' in page


def test_booking_a_room_on_the_form_shows_it_in_the_room_and_station_calendars(
        client, login, resident, community, pingpong, monday, session
):
    login("wangayi")
    day = monday + timedelta(days=1)
    response = client.post(f"/rooms/{pingpong.id}/book", data=form_for(day))
    assert response.status_code == 302
    assert session.execute(select(Booking.title)).scalar() == "乒乓友谊赛"
    week = client.get(f"/rooms/{pingpong.id}?week={day.isoformat()}").get_data(as_text=True)
    assert "乒乓友谊赛" in week and "19:00–21:00" in week
    station = client.get(f"/communities/{community.id}/rooms/week?week={day.isoformat()}")
    station = station.get_data(as_text=True)
    assert "乒乓友谊赛" in station and "乒乓房" in station


def test_a_conflict_re_renders_the_form_with_the_message_and_the_typed_values(
        client, login, resident, neighbour, pingpong, monday, book
):
    first = book(neighbour, pingpong, 1, "18:00", "20:00", title="楼组乒乓赛")
    login("wangayi")
    response = client.post(f"/rooms/{pingpong.id}/book", data=form_for(monday + timedelta(days=1),
                                                                       title="我的练球时间", attendance="3"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "楼组乒乓赛" in page and first.when in page
    assert 'value="我的练球时间"' in page and 'value="3"' in page and 'value="19:00"' in page


def test_too_many_people_re_renders_the_form_with_422(client, login, resident, pingpong, monday):
    login("wangayi")
    response = client.post(f"/rooms/{pingpong.id}/book", data=form_for(monday, attendance="30"))
    assert response.status_code == 422
    assert "最多容纳 8 人" in response.get_data(as_text=True)


def test_my_bookings_lists_mine_and_cancels_by_post(client, login, resident, pingpong, book, session):
    booking = book(resident, pingpong, 2, "10:00", "11:00", title="晨练")
    login("wangayi")
    assert "晨练" in client.get("/bookings/mine").get_data(as_text=True)
    confirm = client.get(f"/bookings/{booking.id}/cancel")  # no state change on GET: it asks first
    assert confirm.status_code == 200 and "确认取消“晨练”？" in confirm.get_data(as_text=True)
    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 303  # not confirmed: back to the question
    session.expire_all()
    assert session.get(Booking, booking.id).status != BookingStatus.CANCELLED
    assert client.post(f"/bookings/{booking.id}/cancel", data={"confirmed": "yes"}).status_code == 302
    session.expire_all()
    assert session.get(Booking, booking.id).status == BookingStatus.CANCELLED


def test_the_moderator_approves_from_the_queue_and_a_resident_cannot(
        client, login, resident, neighbour, moderator, community, make_room, book, session
):
    room = make_room("多功能会议室", needs_approval=True)
    booking = book(resident, room, 2, "14:00", "16:00", title="楼组议事会")
    login("lishushu")
    assert client.get(f"/communities/{community.id}/rooms/queue").status_code == 403
    assert client.post(f"/bookings/{booking.id}/approve").status_code == 403
    client.post("/logout")
    login("shuji")
    assert "楼组议事会" in client.get(f"/communities/{community.id}/rooms/queue").get_data(as_text=True)
    assert client.post(f"/bookings/{booking.id}/approve", data={"note": "同意"}).status_code == 302
    session.expire_all()
    assert session.get(Booking, booking.id).status == BookingStatus.APPROVED


def test_the_moderator_declines_from_the_queue(client, login, resident, moderator, make_room, book, session):
    room = make_room("多功能会议室", needs_approval=True)
    booking = book(resident, room, 2, "14:00", "16:00")
    login("shuji")
    assert client.post(f"/bookings/{booking.id}/decline", data={"note": "当天有联席会议"}).status_code == 302
    session.expire_all()
    assert session.get(Booking, booking.id).status == BookingStatus.DECLINED


@pytest.mark.parametrize(("referrer", "back"), [
    pytest.param("http://localhost/communities/{community}/rooms/queue", True, id="from_the_queue"),
    pytest.param("https://evil.example/queue", False, id="never_to_another_site"),
    pytest.param(None, False, id="without_a_referrer"),
])
def test_a_button_pressed_twice_goes_back_to_its_page_with_the_reason(
        client, login, resident, moderator, community, make_room, book, referrer, back
):
    room = make_room("多功能会议室", needs_approval=True)
    booking = book(resident, room, 2, "14:00", "16:00", title="楼组议事会")
    login("shuji")
    assert client.post(f"/bookings/{booking.id}/decline", data={"note": "当天有联席会议"}).status_code == 302
    headers = {"Referer": referrer.format(community=community.id)} if referrer else {}
    again = client.post(f"/bookings/{booking.id}/approve", data={"note": "同意"}, headers=headers)
    if back:
        assert again.status_code == 303 and again.headers["Location"] == f"/communities/{community.id}/rooms/queue"
        page = client.get(again.headers["Location"]).get_data(as_text=True)
    else:
        assert again.status_code == 409
        page = again.get_data(as_text=True)
    assert "不在待审批状态" in page


@pytest.mark.parametrize("path", [
    "/communities/{community}/rooms", "/communities/{community}/rooms/week",
    "/communities/{community}/rooms/queue",
    "/rooms/{room}", "/rooms/{room}/book", "/rooms/{room}/calendar.ics",
])
def test_a_resident_of_another_community_gets_404_for_rooms(
        client, login, outsider, community, pingpong, path
):
    login("zhaojie")
    assert client.get(path.format(community=community.id, room=pingpong.id)).status_code == 404


def test_a_resident_of_another_community_gets_404_for_bookings(
        client, login, outsider, resident, pingpong, book
):
    booking = book(resident, pingpong, 2, "10:00", "11:00", title="晨练")
    login("zhaojie")
    for action in ("cancel", "approve", "decline"):
        response = client.post(f"/bookings/{booking.id}/{action}")
        assert response.status_code == 404
        assert "晨练" not in response.get_data(as_text=True)


def test_calendar_feeds_carry_the_bookings_with_a_signed_link(app, client, resident, pingpong, book):
    book(resident, pingpong, 2, "10:00", "11:00", title="晨练")
    token = feeds.feed_token(resident)
    mine = client.get(f"/bookings/feed/{token}.ics")
    assert mine.status_code == 200 and mine.mimetype == "text/calendar"
    assert b"SUMMARY:\xe6\x99\xa8\xe7\xbb\x83" in mine.data and b"BEGIN:VEVENT" in mine.data
    room = client.get(f"/rooms/{pingpong.id}/calendar.ics?token={token}")
    assert room.status_code == 200 and b"LOCATION:" in room.data
    assert client.get(f"/bookings/feed/{token}x.ics").status_code == 404
    assert client.get(f"/rooms/{pingpong.id}/calendar.ics").status_code == 404


def test_a_feed_link_from_another_community_does_not_open_the_room(client, outsider, pingpong):
    token = feeds.feed_token(outsider)
    assert client.get(f"/rooms/{pingpong.id}/calendar.ics?token={token}").status_code == 404


def test_pages_have_no_inline_styles_or_scripts(client, login, resident, community, pingpong, book, monday):
    book(resident, pingpong, 1, "10:00", "11:00")
    login("wangayi")
    for path in (f"/communities/{community.id}/rooms", f"/rooms/{pingpong.id}", f"/rooms/{pingpong.id}/book",
                 "/bookings/mine", f"/communities/{community.id}/rooms/week"):
        page = client.get(path).get_data(as_text=True)
        assert "style=" not in page and "<script" not in page and " onclick=" not in page
        assert "css/booking.css" in page


def test_the_series_form_lists_each_conflicting_date_and_books_nothing(client, login, resident, neighbour,
                                                                       pingpong, book, monday, session):
    book(neighbour, pingpong, 8, "19:30", "20:00", title="楼组乒乓赛")
    login("wangayi")
    data = {"title": "周二练球", "attendance": "4", "team_id": "0", "weekday": "1", "start": "19:00",
            "end": "21:00", "first_day": monday.isoformat(),
            "until": (monday + timedelta(weeks=3, days=1)).isoformat(),
            "exceptions": (monday + timedelta(days=15)).isoformat()}
    response = client.post(f"/rooms/{pingpong.id}/series", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert (monday + timedelta(days=8)).isoformat() in page and "楼组乒乓赛" in page
    assert 'value="周二练球"' in page
    assert session.execute(select(Booking).where(Booking.title == "周二练球")).first() is None
    response = client.post(f"/rooms/{pingpong.id}/series", data={**data, "book_free_dates": "y"})
    assert response.status_code == 302
    booked = session.execute(select(Booking).where(Booking.title == "周二练球")).scalars().all()
    # Tuesdays 1, 8, 15, 22: the 8th conflicts, the 15th is an exception.
    assert sorted(b.local_start.date() for b in booked) == [monday + timedelta(days=n) for n in (1, 22)]
    assert "未预约" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_series_form_refuses_a_mistyped_exception_date(client, login, resident, pingpong, monday):
    login("wangayi")
    response = client.post(f"/rooms/{pingpong.id}/series", data={
        "title": "周二练球", "attendance": "4", "team_id": "0", "weekday": "1", "start": "19:00",
        "end": "21:00", "first_day": monday.isoformat(), "until": (monday + timedelta(weeks=3)).isoformat(),
        "exceptions": "2月16日"})
    assert response.status_code == 422 and "2月16日" in response.get_data(as_text=True)


def test_a_team_member_books_a_team_room_for_the_team_on_the_form(client, login, session, resident, moderator,
                                                                  community, make_room, monday):
    from deliberation.booking.models import Booker
    from deliberation.booking.teams import register_team

    room = make_room("舞蹈房", booker=Booker.TEAMS)
    team = register_team(session, moderator, community, "星光舞蹈队", [resident])
    session.commit()
    login("wangayi")
    assert "星光舞蹈队" in client.get(f"/rooms/{room.id}/book").get_data(as_text=True)
    refused = client.post(f"/rooms/{room.id}/book", data=form_for(monday + timedelta(days=1)))
    assert refused.status_code == 403 and "已登记团队" in refused.get_data(as_text=True)
    data = {**form_for(monday + timedelta(days=1), title="星光排练"), "team_id": str(team.id)}
    assert client.post(f"/rooms/{room.id}/book", data=data).status_code == 302
    assert session.execute(select(Booking.team_id).where(Booking.title == "星光排练")).scalar() == team.id


def test_feeds_give_local_times_and_mark_a_pending_request(app, client, resident, make_room, book, monday):
    """The calendar feed says 10:00 Asia/Shanghai (with its VTIMEZONE), and a request awaiting approval is
    TENTATIVE and titled 待审批."""
    from icalendar import Calendar

    hall = make_room("多功能会议室", needs_approval=True)
    book(resident, hall, 2, "10:00", "11:00", title="书法班")
    data = client.get(f"/bookings/feed/{feeds.feed_token(resident)}.ics").data
    assert b"DTSTART;TZID=Asia/Shanghai:" in data and b"BEGIN:VTIMEZONE" in data
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    start = event.decoded("dtstart")
    assert (start.hour, start.utcoffset().total_seconds()) == (10, 8 * 3600)
    assert str(event["status"]) == "TENTATIVE" and str(event["summary"]) == "书法班（待审批）"


def test_the_form_says_so_when_the_end_is_the_start(client, login, resident, pingpong, monday):
    """An end before the start is the next day (22:00–01:00); an end equal to it is an empty slot, said as such
    rather than as a day-long booking outside the opening hours."""
    login("wangayi")
    response = client.post(f"/rooms/{pingpong.id}/book", data={
        "title": "练球", "attendance": "3", "date": (monday + timedelta(days=1)).isoformat(),
        "start": "10:00", "end": "10:00"})
    assert response.status_code == 422
    assert "结束时间须晚于开始时间" in response.get_data(as_text=True)


def test_the_calendars_show_a_pending_request_as_awaiting_approval(client, login, resident, neighbour, community,
                                                                  make_room, book, monday):
    hall = make_room("多功能会议室", needs_approval=True)
    book(resident, hall, 1, "14:00", "16:00", title="书法班申请")
    login("lishushu")
    day = (monday + timedelta(days=1)).isoformat()
    for url in (f"/rooms/{hall.id}?week={day}", f"/communities/{community.id}/rooms/week?week={day}"):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, (url, response.status_code, page[page.find("<main"):][:800])
        assert "书法班申请" in page and "待审批" in page and "占用" not in page, url
