"""The booking API: status codes, the 409 body naming the conflict, the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from deliberation.booking.setup import add_closed_date


@pytest.fixture
def pingpong(make_room):
    return make_room("乒乓房", capacity=8)


def body(slot, offset, start, end, title="练球", attendance=4):
    starts_at, ends_at = slot(offset, start, end)
    return {"title": title, "attendance": attendance, "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat()}


def test_listing_rooms_needs_a_token_and_a_membership(
        client, api_token, resident, outsider, community, pingpong
):
    assert client.get(f"/api/v1/communities/{community.id}/rooms").status_code == 401
    response = client.get(f"/api/v1/communities/{community.id}/rooms", headers=api_token("wangayi"))
    assert response.status_code == 200
    [room] = response.get_json()
    assert room["name"] == "乒乓房" and room["capacity"] == 8 and len(room["hours"]) == 7
    assert client.get(f"/api/v1/communities/{community.id}/rooms",
                      headers=api_token("zhaojie")).status_code == 404


def test_creating_a_booking_answers_201_and_an_overlap_409_with_the_conflict(client, api_token, resident,
                                                                             neighbour, pingpong, slot):
    created = client.post(f"/api/v1/rooms/{pingpong.id}/bookings", headers=api_token("wangayi"),
                          json=body(slot, 1, "19:00", "21:00", title="乒乓友谊赛"))
    assert created.status_code == 201, created.get_json()
    first = created.get_json()
    assert first["status"] == "approved" and first["room"] == "乒乓房"
    clash = client.post(f"/api/v1/rooms/{pingpong.id}/bookings", headers=api_token("lishushu"),
                        json=body(slot, 1, "20:00", "22:00"))
    assert clash.status_code == 409
    error = clash.get_json()["error"]
    assert error["code"] == "conflict" and "乒乓友谊赛" in error["message"]
    assert error["conflict"]["id"] == first["id"] and error["conflict"]["title"] == "乒乓友谊赛"


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"attendance": 9}, 422, "attendance"),
    ({"title": ""}, 422, "title"),
    ({"starts_at": "2031-01-01T10:00:00"}, 422, "starts_at"),  # no UTC offset
])
def test_invalid_bookings_answer_422_naming_the_field(
        client, api_token, resident, pingpong, slot, change, status, field
):
    response = client.post(f"/api/v1/rooms/{pingpong.id}/bookings", headers=api_token("wangayi"),
                           json={**body(slot, 1, "10:00", "11:00"), **change})
    assert response.status_code == status
    assert field in response.get_json()["error"]["fields"]


def test_a_booking_outside_the_opening_hours_answers_422(client, api_token, resident, pingpong, slot):
    response = client.post(f"/api/v1/rooms/{pingpong.id}/bookings", headers=api_token("wangayi"),
                           json=body(slot, 1, "06:00", "07:00"))
    assert response.status_code == 422 and "不开放" in response.get_json()["error"]["message"]


def test_a_resident_of_another_community_gets_404_for_rooms_and_bookings(
        client, api_token, resident, outsider, pingpong, book, slot
):
    booking = book(resident, pingpong, 1, "10:00", "11:00")
    headers = api_token("zhaojie")
    assert client.post(f"/api/v1/rooms/{pingpong.id}/bookings", headers=headers,
                       json=body(slot, 2, "10:00", "11:00")).status_code == 404
    assert client.get(f"/api/v1/rooms/{pingpong.id}/availability?from=2030-01-01&to=2030-01-02",
                      headers=headers).status_code == 404
    for path in (f"/api/v1/bookings/{booking.id}", ):
        assert client.get(path, headers=headers).status_code == 404
    for action in ("cancel", "approve", "decline"):
        response = client.post(f"/api/v1/bookings/{booking.id}/{action}", headers=headers, json={})
        assert response.status_code == 404


def test_cancelling_answers_200_then_409_and_403_for_someone_else(client, api_token, resident, neighbour,
                                                                  pingpong, book):
    booking = book(resident, pingpong, 1, "10:00", "11:00")
    other = api_token("lishushu")
    assert client.post(f"/api/v1/bookings/{booking.id}/cancel", headers=other).status_code == 403
    mine = api_token("wangayi")
    response = client.post(f"/api/v1/bookings/{booking.id}/cancel", headers=mine)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert client.post(f"/api/v1/bookings/{booking.id}/cancel", headers=mine).status_code == 409


def test_approval_is_for_the_moderator_only(client, api_token, resident, moderator, make_room, book):
    room = make_room("多功能会议室", needs_approval=True)
    booking = book(resident, room, 1, "14:00", "16:00")
    assert booking.status.value == "pending"
    assert client.post(f"/api/v1/bookings/{booking.id}/approve", headers=api_token("wangayi"),
                       json={}).status_code == 403
    moderator_headers = api_token("shuji")
    approved = client.post(f"/api/v1/bookings/{booking.id}/approve", headers=moderator_headers,
                           json={"note": "好"})
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    assert client.post(f"/api/v1/bookings/{booking.id}/decline", headers=moderator_headers,
                       json={}).status_code == 409


def test_availability_shows_opening_windows_closed_dates_and_bookings(client, api_token, session, resident,
                                                                       moderator, pingpong, book, monday):
    add_closed_date(session, moderator, pingpong, monday + timedelta(days=2), "消防检查")
    session.commit()
    book(resident, pingpong, 1, "10:00", "11:00", title="晨练")
    response = client.get(f"/api/v1/rooms/{pingpong.id}/availability",
                          query_string={"from": monday.isoformat(),
                                        "to": (monday + timedelta(days=6)).isoformat()},
                          headers=api_token("wangayi"))
    assert response.status_code == 200, response.get_json()
    days = response.get_json()["days"]
    assert len(days) == 7
    assert days[1]["bookings"][0]["title"] == "晨练" and len(days[1]["open"]) == 1
    assert days[2]["closed"] is True and days[2]["open"] == [] and days[2]["closed_reason"] == "消防检查"
    too_long = client.get(f"/api/v1/rooms/{pingpong.id}/availability",
                          query_string={"from": "2030-01-01", "to": "2030-06-01"},
                          headers=api_token("wangayi"))
    assert too_long.status_code == 422


def test_a_series_answers_409_listing_every_conflicting_date_or_201_with_the_free_ones(
        client, api_token, resident, neighbour, pingpong, book, monday
):
    book(neighbour, pingpong, 8, "19:30", "20:00", title="楼组乒乓赛")
    series = {"title": "周二练球", "attendance": 4, "weekday": 1, "start_time": "19:00", "end_time": "21:00",
              "first_day": monday.isoformat(), "until": (monday + timedelta(weeks=3)).isoformat()}
    headers = api_token("wangayi")
    clash = client.post(f"/api/v1/rooms/{pingpong.id}/series", headers=headers, json=series)
    assert clash.status_code == 409
    [conflict] = clash.get_json()["error"]["conflicts"]
    assert conflict["date"] == (monday + timedelta(days=8)).isoformat()
    assert conflict["conflict"]["title"] == "楼组乒乓赛"
    created = client.post(f"/api/v1/rooms/{pingpong.id}/series", headers=headers,
                          json={**series, "book_free_dates": True})
    assert created.status_code == 201
    assert len(created.get_json()["bookings"]) == 2  # the first and the third Tuesday
    assert [c["date"] for c in created.get_json()["not_booked"]] == [conflict["date"]]
    series_id = created.get_json()["id"]
    skip = client.post(f"/api/v1/series/{series_id}/exceptions", headers=headers,
                       json={"date": (monday + timedelta(days=15)).isoformat()})
    assert skip.status_code == 204


def test_the_openapi_document_describes_the_booking_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/communities/{community_id}/rooms", "/api/v1/rooms/{room_id}/availability",
                 "/api/v1/rooms/{room_id}/bookings", "/api/v1/bookings/{booking_id}/cancel",
                 "/api/v1/bookings/{booking_id}/approve", "/api/v1/bookings/{booking_id}/decline",
                 "/api/v1/rooms/{room_id}/series"):
        assert path in paths, path
    assert "409" in paths["/api/v1/rooms/{room_id}/bookings"]["post"]["responses"]


def _times(value, path=""):
    """Every (path, text) in an answer that looks like a date-time."""
    if isinstance(value, dict):
        return [t for key, v in value.items() for t in _times(v, f"{path}.{key}")]
    if isinstance(value, list):
        return [t for i, v in enumerate(value) for t in _times(v, f"{path}.{i}")]
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T" and value[:4].isdigit():
        return [(path, value)]
    return []


def test_every_booking_answer_writes_its_times_at_plus_08_00(client, api_token, resident, neighbour, moderator,
                                                              make_room, pingpong, book, slot, monday):
    """Whatever offset a request used (here UTC and +09:00), the answers say +08:00: one booking, its
    refusal, availability, a series and its refusal, approval, cancellation."""
    headers = api_token("wangayi")
    starts_at, ends_at = slot(1, "19:00", "21:00")
    tokyo = {"title": "东京时间", "attendance": 4,
             "starts_at": starts_at.astimezone(ZoneInfo("Asia/Tokyo")).isoformat(),
             "ends_at": ends_at.isoformat()}
    created = client.post(f"/api/v1/rooms/{pingpong.id}/bookings", headers=headers, json=tokyo)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["starts_at"].endswith("T19:00:00+08:00")
    answers = [created.get_json()]
    answers.append(client.post(f"/api/v1/rooms/{pingpong.id}/bookings", headers=api_token("lishushu"),
                               json=body(slot, 1, "20:00", "22:00")).get_json())
    answers.append(client.get(f"/api/v1/bookings/{created.get_json()['id']}", headers=headers).get_json())
    answers.append(client.get(f"/api/v1/rooms/{pingpong.id}/availability", headers=headers, query_string={
        "from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()}).get_json())
    series = {"title": "周二练球", "attendance": 4, "weekday": 0, "start_time": "19:00", "end_time": "21:00",
              "first_day": monday.isoformat(), "until": (monday + timedelta(weeks=2)).isoformat()}
    answers.append(client.post(f"/api/v1/rooms/{pingpong.id}/series", headers=headers, json={
        **series, "weekday": 1}).get_json())  # the conflict: 409 listing it
    answers.append(client.post(f"/api/v1/rooms/{pingpong.id}/series", headers=headers, json={
        **series, "weekday": 1, "book_free_dates": True}).get_json())
    hall = make_room("多功能会议室", needs_approval=True)
    pending = book(resident, hall, 3, "14:00", "16:00")
    answers.append(client.post(f"/api/v1/bookings/{pending.id}/approve", headers=api_token("shuji"),
                               json={}).get_json())
    answers.append(client.post(f"/api/v1/bookings/{pending.id}/cancel", headers=headers, json={}).get_json())
    found = [t for answer in answers for t in _times(answer)]
    assert len(found) > 20
    assert all(text.endswith("+08:00") for _path, text in found), [t for t in found if not t[1].endswith("+08:00")]


def test_a_pending_request_shows_as_awaiting_approval_not_as_taken(client, api_token, resident, neighbour,
                                                                   make_room, book, monday):
    hall = make_room("多功能会议室", needs_approval=True)
    request = book(resident, hall, 1, "14:00", "16:00", title="书法班申请")
    assert request.status.value == "pending"
    headers = api_token("lishushu")
    days = client.get(f"/api/v1/rooms/{hall.id}/availability", headers=headers, query_string={
        "from": monday.isoformat(), "to": (monday + timedelta(days=1)).isoformat()}).get_json()["days"]
    (shown,) = days[1]["bookings"]
    assert (shown["status"], shown["status_text"]) == ("pending", "待审批")
    clash = client.post(f"/api/v1/rooms/{hall.id}/bookings", headers=headers, json={
        "title": "合唱", "attendance": 5, "starts_at": request.starts_at.isoformat(),
        "ends_at": request.ends_at.isoformat()})
    assert clash.status_code == 409
    message = clash.get_json()["error"]["message"]
    assert "待审批" in message and "占用" not in message


@pytest.mark.parametrize("end", ["10:00", "09:30"], ids=["ending_when_it_starts", "ending_before_it_starts"])
def test_a_booking_whose_end_is_not_after_its_start_says_so_naming_ends_at(client, api_token, resident,
                                                                          pingpong, slot, end):
    start = body(slot, 1, "10:00", "11:00")
    ends_at = slot(1, end, "11:00")[0].isoformat()  # the same day: not after the start
    response = client.post(f"/api/v1/rooms/{pingpong.id}/bookings", headers=api_token("wangayi"),
                           json={**start, "ends_at": ends_at})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"ends_at": "结束时间须晚于开始时间"}
