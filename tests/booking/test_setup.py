"""The moderator's setup pages: rooms, opening hours, closed dates, neighbours, teams, the booking limit."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.booking.bookings import create_booking
from deliberation.booking.checks import max_future_bookings
from deliberation.booking.models import Adjacency, Booker, ClosedDate, Noise, Room, Team
from deliberation.booking.rooms import create_room, neighbours_of, update_room
from deliberation.booking.setup import add_closed_date
from deliberation.booking.teams import register_team, team_members
from deliberation.errors import Conflict, Invalid


def audited(session, action: str) -> list[dict]:
    session.expire_all()
    return list(session.execute(select(AuditEvent.data).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)).scalars())


def room_form(**kw) -> dict:
    data = {"name": "书画室", "description": "书法、国画课", "capacity": "12", "noise": "quiet",
            "booker": "residents"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def hours_form(days: dict[int, tuple]) -> dict:
    """{weekday: ("09:00", "21:00"[, "opens2", "closes2"])}; weekdays left out are closed."""
    data = {}
    for weekday in range(7):
        values = (*days.get(weekday, ()), "", "", "", "")[:4]
        for name, value in zip(("opens1", "closes1", "opens2", "closes2"), values, strict=True):
            data[f"days-{weekday}-{name}"] = value
    return data


@pytest.fixture
def calligraphy(make_room):
    return make_room("书画室", noise=Noise.QUIET, capacity=12)


# -- rooms ------------------------------------------------------------------------------------

def test_the_moderator_adds_a_room_and_lands_on_its_setup_page(client, login, session, moderator, community):
    login("shuji")
    assert client.get(f"/communities/{community.id}/rooms/new").status_code == 200
    response = client.post(f"/communities/{community.id}/rooms/new",
                           data=room_form(name="舞蹈房", noise="noisy", booker="teams", needs_approval="y",
                                          capacity="25"))
    assert response.status_code == 302
    room = session.execute(select(Room).where(Room.name == "舞蹈房")).scalar_one()
    assert (room.capacity, room.noise, room.booker, room.needs_approval) == (25, Noise.NOISY, Booker.TEAMS, True)
    assert response.headers["Location"].endswith(f"/rooms/{room.id}/setup")
    assert audited(session, "room.create")[-1]["name"] == "舞蹈房"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "设置“舞蹈房”" in page and "开放时间" in page


@pytest.mark.parametrize(("changes", "field_message"), [
    ({"name": ""}, "请填写场地名称"),
    ({"capacity": "0"}, "请填写 1 到 10000 之间的人数"),
    ({"capacity": "十二"}, "请填写整数，例如 12"),
    ({"name": "很" * 51}, "最多 50 个字"),
])
def test_a_bad_room_form_shows_the_message_by_the_field_and_keeps_what_was_typed(
        client, login, session, moderator, community, changes, field_message):
    login("shuji")
    response = client.post(f"/communities/{community.id}/rooms/new",
                           data=room_form(description="周末亲子活动", **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_message in page and 'class="error"' in page
    assert 'value="周末亲子活动"' in page
    assert session.execute(select(Room)).first() is None


def test_a_second_room_of_the_same_name_is_refused_next_to_the_name(client, login, moderator, community,
                                                                     calligraphy):
    login("shuji")
    response = client.post(f"/communities/{community.id}/rooms/new", data=room_form(capacity="30"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "已有名为“书画室”的场地" in page and 'id="name-error"' in page and 'value="30"' in page


def test_the_moderator_edits_a_room_and_the_change_is_audited(client, login, session, moderator, calligraphy):
    login("shuji")
    page = client.get(f"/rooms/{calligraphy.id}/setup").get_data(as_text=True)
    assert 'value="书画室"' in page and 'value="12"' in page
    response = client.post(f"/rooms/{calligraphy.id}/setup",
                           data=room_form(name="书画活动室", capacity="16", noise="normal", booker="moderators",
                                          needs_approval="y"))
    assert response.status_code == 302
    session.expire_all()
    room = session.get(Room, calligraphy.id)
    assert (room.name, room.capacity, room.noise, room.booker, room.needs_approval) == (
        "书画活动室", 16, Noise.NORMAL, Booker.MODERATORS, True)
    changed = audited(session, "room.update")[-1]["changed"]
    assert changed["name"] == ["书画室", "书画活动室"] and changed["capacity"] == [12, 16]


def test_renaming_a_room_to_another_rooms_name_keeps_the_typed_values(client, login, session, moderator,
                                                                       calligraphy, make_room):
    pingpong = make_room("乒乓房", capacity=8)
    login("shuji")
    response = client.post(f"/rooms/{pingpong.id}/setup", data=room_form(name="书画室", capacity="9"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "已有名为“书画室”的场地" in page and 'value="9"' in page
    session.expire_all()
    assert session.get(Room, pingpong.id).name == "乒乓房"


# -- opening hours ----------------------------------------------------------------------------

def test_opening_hours_are_set_per_weekday_also_across_midnight(client, login, session, moderator, resident,
                                                                calligraphy, monday, slot):
    login("shuji")
    # Monday to Thursday 09:00–21:00, Friday 09:00–12:00 and 18:00–02:00, Saturday all day, Sunday closed.
    days = {d: ("09:00", "21:00") for d in range(4)}
    days[4] = ("09:00", "12:00", "18:00", "02:00")
    days[5] = ("00:00", "00:00")
    response = client.post(f"/rooms/{calligraphy.id}/hours", data=hours_form(days))
    assert response.status_code == 302
    session.expire_all()
    room = session.get(Room, calligraphy.id)
    assert [(h.opens, h.closes) for h in room.hours_on(4)] == [(time(9), time(12)), (time(18), time(2))]
    assert room.hours_on(6) == []
    assert [4, "18:00", "02:00"] in audited(session, "room.hours")[-1]["hours"]
    # The Friday night window holds a booking from 23:00 to 01:30 on Saturday, and the page shows it.
    starts_at, ends_at = slot(4, "23:00", "01:30")
    create_booking(session, resident, room, title="夜读", attendance=5, starts_at=starts_at,
                   ends_at=ends_at)
    starts_at, ends_at = slot(6, "10:00", "11:00")
    with pytest.raises(Invalid, match="不开放"):
        create_booking(session, resident, room, title="周日", attendance=5, starts_at=starts_at,
                       ends_at=ends_at)
    session.rollback()
    page = client.get(f"/rooms/{calligraphy.id}/setup").get_data(as_text=True)
    assert 'value="18:00"' in page and 'value="02:00"' in page


def test_an_opening_time_without_a_closing_time_is_refused_next_to_it(client, login, session, moderator,
                                                                     calligraphy):
    login("shuji")
    data = hours_form({0: ("09:00", "21:00"), 2: ("10:00", "")})
    response = client.post(f"/rooms/{calligraphy.id}/hours", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="days-2-closes1-error"' in page and "请填写关门时间" in page
    assert 'value="10:00"' in page
    session.expire_all()
    assert len(session.get(Room, calligraphy.id).hours) == 7  # unchanged: 08:00–22:00 every day


@pytest.mark.parametrize(("day", "message"), [
    (("09:00", "12:00", "11:00", "14:00"), "同一天的两个开放时段不能重叠"),
    (("09:00", "09:00"), "开门和关门时间不能相同"),
    (("18:00", "02:00", "20:00", "23:00"), "同一天的两个开放时段不能重叠"),
])
def test_overlapping_or_empty_windows_are_refused_on_their_weekday(client, login, moderator, calligraphy,
                                                                     day, message):
    login("shuji")
    response = client.post(f"/rooms/{calligraphy.id}/hours", data=hours_form({3: day}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "day-hours has-error" in page
    assert f'value="{day[0]}"' in page


# -- closed dates -----------------------------------------------------------------------------

def test_the_moderator_closes_a_date_and_opens_it_again(client, login, session, moderator, resident,
                                                        calligraphy, monday, book):
    day = monday + timedelta(days=2)
    book(resident, calligraphy, 2, "10:00", "11:00", title="书法小组")
    login("shuji")
    response = client.post(f"/rooms/{calligraphy.id}/closed", data={"day": day.isoformat(), "reason": "消防检查"})
    assert response.status_code == 302
    closed = session.execute(select(ClosedDate).where(ClosedDate.room_id == calligraphy.id)).scalar_one()
    assert (closed.day, closed.reason) == (day, "消防检查")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "消防检查" in page and "当天已有 1 个预约" in page and "书法小组" in page
    assert audited(session, "room.closed_date")[-1] == {"day": day.isoformat(), "reason": "消防检查"}
    # A booking on that date is now refused; the room week shows it closed.
    week = client.get(f"/rooms/{calligraphy.id}?week={day.isoformat()}").get_data(as_text=True)
    assert "不开放：消防检查" in week
    assert client.post(f"/rooms/{calligraphy.id}/closed/{closed.id}/remove").status_code == 302
    session.expire_all()
    assert session.get(ClosedDate, closed.id) is None
    assert audited(session, "room.closed_date_remove")[-1]["day"] == day.isoformat()


@pytest.mark.parametrize(("day", "status", "message"), [
    (date(2020, 1, 1), 422, "不能把已经过去的日期设为不开放"),
    ("", 422, "请选择日期"),
    ("明天", 422, "请选择日期"),
])
def test_a_bad_closed_date_is_refused_next_to_the_field(client, login, session, moderator, calligraphy, day,
                                                        status, message):
    login("shuji")
    value = day.isoformat() if isinstance(day, date) else day
    response = client.post(f"/rooms/{calligraphy.id}/closed", data={"day": value, "reason": "春节"})
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in page and 'value="春节"' in page
    assert session.execute(select(ClosedDate)).first() is None


def test_closing_a_date_twice_is_refused(client, login, moderator, calligraphy, monday):
    login("shuji")
    data = {"day": monday.isoformat(), "reason": ""}
    assert client.post(f"/rooms/{calligraphy.id}/closed", data=data).status_code == 302
    response = client.post(f"/rooms/{calligraphy.id}/closed", data=data)
    assert response.status_code == 409 and "已设为不开放" in response.get_data(as_text=True)


def test_a_closed_date_of_another_room_cannot_be_removed_through_this_one(client, login, session, moderator,
                                                                         calligraphy, make_room, monday):
    other = make_room("乒乓房")
    closed = add_closed_date(session, moderator, other, monday, "比赛")
    session.commit()
    login("shuji")
    assert client.post(f"/rooms/{calligraphy.id}/closed/{closed.id}/remove").status_code == 404
    assert session.get(ClosedDate, closed.id) is not None


# -- neighbours -------------------------------------------------------------------------------

def test_the_moderator_chooses_the_neighbours_and_the_noise_rule_follows(
        client, login, session, moderator, resident, neighbour, calligraphy, dance_room, make_room, book):
    pingpong = make_room("乒乓房")
    login("shuji")
    page = client.get(f"/rooms/{calligraphy.id}/setup").get_data(as_text=True)
    assert "舞蹈房" in page and "乒乓房" in page
    response = client.post(f"/rooms/{calligraphy.id}/neighbours",
                           data={"neighbours": [str(dance_room.id), str(pingpong.id)]})
    assert response.status_code == 302
    assert {r.name for r in neighbours_of(session, dance_room)} == {"书画室"}
    assert {r.name for r in neighbours_of(session, calligraphy)} == {"舞蹈房", "乒乓房"}
    assert audited(session, "room.neighbours_set")[-1]["added"] == ["乒乓房", "舞蹈房"]
    # Now a noisy rehearsal is refused while the quiet room is booked, and allowed after unticking.
    book(resident, calligraphy, 1, "19:00", "21:00", title="书法课")
    with pytest.raises(Conflict, match="书法课"):
        book(neighbour, dance_room, 1, "19:30", "20:30", title="排练")
    session.rollback()
    response = client.post(f"/rooms/{calligraphy.id}/neighbours", data={"neighbours": [str(pingpong.id)]})
    assert response.status_code == 302
    session.expire_all()
    assert [r.name for r in neighbours_of(session, calligraphy)] == ["乒乓房"]
    assert neighbours_of(session, dance_room) == []
    assert audited(session, "room.neighbours_set")[-1]["removed"] == ["舞蹈房"]
    assert book(neighbour, dance_room, 1, "19:30", "20:30", title="排练").title == "排练"


def test_a_room_of_another_community_cannot_be_made_a_neighbour(client, login, session, moderator, calligraphy,
                                                                other_community, make_user):
    admin = make_user("admin", is_admin=True)
    elsewhere = create_room(session, admin, other_community, name="梧桐舞蹈房", capacity=20)
    session.commit()
    login("shuji")
    response = client.post(f"/rooms/{calligraphy.id}/neighbours", data={"neighbours": [str(elsewhere.id)]})
    assert response.status_code == 422 and "请从列表中选择场地" in response.get_data(as_text=True)
    assert session.execute(select(Adjacency)).first() is None


# -- teams ------------------------------------------------------------------------------------

def test_the_moderator_registers_a_team_with_members_by_user_name(client, login, session, moderator, resident,
                                                                   neighbour, community):
    login("shuji")
    assert client.get(f"/communities/{community.id}/teams").status_code == 200
    response = client.post(f"/communities/{community.id}/teams",
                           data={"name": "星光舞蹈队", "members": "wangayi\nlishushu"})
    assert response.status_code == 302
    team = session.execute(select(Team).where(Team.name == "星光舞蹈队")).scalar_one()
    assert {u.username for u in team_members(session, team)} == {"wangayi", "lishushu"}
    assert audited(session, "team.register")[-1]["name"] == "星光舞蹈队"
    listing = client.get(f"/communities/{community.id}/teams").get_data(as_text=True)
    assert "星光舞蹈队" in listing and resident.display_name in listing


def test_an_unknown_member_name_is_refused_and_the_form_keeps_what_was_typed(
        client, login, session, moderator, resident, outsider, community):
    login("shuji")
    response = client.post(f"/communities/{community.id}/teams",
                           data={"name": "翰墨书画班", "members": "wangayi\nnobody\nzhaojie"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "本居民区没有这些用户名：nobody、zhaojie" in page and 'id="members-error"' in page
    assert 'value="翰墨书画班"' in page and "nobody" in page
    assert session.execute(select(Team)).first() is None
    empty = client.post(f"/communities/{community.id}/teams", data={"name": "", "members": ""})
    assert empty.status_code == 422 and "请填写团队名称" in empty.get_data(as_text=True)


def test_the_moderator_adds_and_removes_team_members(client, login, session, moderator, resident, neighbour,
                                                    community):
    team = register_team(session, moderator, community, "星光舞蹈队", [resident])
    session.commit()
    login("shuji")
    assert resident.display_name in client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert client.post(f"/teams/{team.id}/members", data={"username": "lishushu"}).status_code == 302
    again = client.post(f"/teams/{team.id}/members", data={"username": "lishushu"})
    assert again.status_code == 409 and "已是“星光舞蹈队”的成员" in again.get_data(as_text=True)
    unknown = client.post(f"/teams/{team.id}/members", data={"username": "nobody"})
    page = unknown.get_data(as_text=True)
    assert unknown.status_code == 422 and "nobody" in page and 'id="username-error"' in page
    assert client.post(f"/teams/{team.id}/members/{resident.id}/remove").status_code == 302
    assert [u.username for u in team_members(session, team)] == ["lishushu"]
    assert audited(session, "team.member_add")[-1]["username"] == "lishushu"
    assert audited(session, "team.member_remove")[-1]["user_id"] == resident.id
    assert client.post(f"/teams/{team.id}/members/{resident.id}/remove").status_code == 404


# -- the booking limit ------------------------------------------------------------------------

def test_the_moderator_sets_the_future_booking_limit(client, login, session, moderator, community):
    login("shuji")
    page = client.get(f"/communities/{community.id}/rooms/setup").get_data(as_text=True)
    assert 'name="limit"' in page and 'value="3"' in page
    assert client.post(f"/communities/{community.id}/rooms/settings", data={"limit": "5"}).status_code == 302
    assert max_future_bookings(session, community.id) == 5
    assert audited(session, "booking.settings")[-1]["max_future_bookings"] == 5
    bad = client.post(f"/communities/{community.id}/rooms/settings", data={"limit": "0"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "请填写 1 到 100 之间的数" in page and 'value="0"' in page
    assert max_future_bookings(session, community.id) == 5


# -- who may see these pages ------------------------------------------------------------------

SETUP_PAGES = [
    ("get", "/communities/{community}/rooms/setup"),
    ("post", "/communities/{community}/rooms/settings"),
    ("get", "/communities/{community}/rooms/new"),
    ("post", "/communities/{community}/rooms/new"),
    ("get", "/rooms/{room}/setup"),
    ("post", "/rooms/{room}/setup"),
    ("post", "/rooms/{room}/hours"),
    ("post", "/rooms/{room}/closed"),
    ("post", "/rooms/{room}/closed/{closed}/remove"),
    ("post", "/rooms/{room}/neighbours"),
    ("get", "/communities/{community}/teams"),
    ("post", "/communities/{community}/teams"),
    ("get", "/teams/{team}"),
    ("post", "/teams/{team}/members"),
    ("post", "/teams/{team}/members/{user}/remove"),
]


@pytest.fixture
def setup_objects(session, moderator, resident, community, calligraphy, monday):
    closed = add_closed_date(session, moderator, calligraphy, monday, "春节")
    team = register_team(session, moderator, community, "星光舞蹈队", [resident])
    session.commit()
    return {"community": community.id, "room": calligraphy.id, "closed": closed.id, "team": team.id,
            "user": resident.id}


@pytest.mark.parametrize(("method", "path"), SETUP_PAGES)
def test_residents_get_403_on_the_setup_pages(client, login, session, setup_objects, method, path):
    login("wangayi")
    data = {"name": "改名", "capacity": "5", "noise": "quiet", "booker": "residents", "limit": "9",
            "username": "shuji", "day": "2030-01-01"}
    response = getattr(client, method)(path.format(**setup_objects), data=data)
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Room, setup_objects["room"]).name == "书画室"
    assert session.get(ClosedDate, setup_objects["closed"]) is not None
    assert len(team_members(session, session.get(Team, setup_objects["team"]))) == 1


@pytest.mark.parametrize(("method", "path"), SETUP_PAGES)
def test_another_communitys_moderator_gets_404_on_the_setup_pages(client, login, make_user, other_community,
                                                                  setup_objects, method, path):
    make_user("wutong", other_community, role="moderator")
    login("wutong")
    response = getattr(client, method)(path.format(**setup_objects), data={"name": "改名", "capacity": "5"})
    assert response.status_code == 404
    assert "书画室" not in response.get_data(as_text=True)


def test_the_rooms_page_links_the_setup_for_moderators_only(client, login, moderator, resident, community,
                                                            calligraphy):
    login("wangayi")
    assert "/rooms/setup" not in client.get(f"/communities/{community.id}/rooms").get_data(as_text=True)
    assert "/setup" not in client.get(f"/rooms/{calligraphy.id}").get_data(as_text=True)
    client.post("/logout")
    login("shuji")
    assert "/rooms/setup" in client.get(f"/communities/{community.id}/rooms").get_data(as_text=True)
    assert f"/rooms/{calligraphy.id}/setup" in client.get(f"/rooms/{calligraphy.id}").get_data(as_text=True)


def test_setup_pages_have_no_inline_styles_or_scripts_and_one_id_each(client, login, moderator, community,
                                                                      calligraphy, setup_objects):
    import re

    login("shuji")
    for path in (f"/communities/{community.id}/rooms/setup", f"/communities/{community.id}/rooms/new",
                 f"/rooms/{calligraphy.id}/setup", f"/communities/{community.id}/teams",
                 f"/teams/{setup_objects['team']}"):
        page = client.get(path).get_data(as_text=True)
        assert "style=" not in page and "<script" not in page and " onclick=" not in page
        assert "css/booking.css" in page
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert len(ids) == len(set(ids)), path


def test_an_unknown_noise_level_or_booker_is_refused_by_the_service(session, moderator, community, calligraphy):
    with pytest.raises(Invalid) as error:
        create_room(session, moderator, community, name="新房间", capacity=5, noise="loud")
    assert error.value.fields == {"noise": "请从列表中选择"}
    with pytest.raises(Invalid) as error:
        update_room(session, moderator, calligraphy, name="书画室", capacity=5, noise="quiet",
                    needs_approval=False, booker="everyone")
    assert error.value.fields == {"booker": "请从列表中选择"}
