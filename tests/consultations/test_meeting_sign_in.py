"""Who was at a joint meeting: the signed QR link a resident confirms once, the printed sheet, ticked names,
departments, and attendance by role on the meeting page."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from deliberation.audit import AuditEvent
from deliberation.consultations import meetings, sessions
from deliberation.consultations.models import AttendanceSource, MeetingAttendance
from deliberation.db import utcnow
from deliberation.errors import Forbidden, Invalid


@pytest.fixture
def make_meeting(session, secretary, consultation):
    def make(held_at=None, consultation_=None):
        meeting = sessions.add_meeting(session, secretary, consultation_ or consultation,
                                       held_at or utcnow(), "居民区会议室", "街道、物业、居民代表")
        session.commit()
        return meeting

    return make


@pytest.fixture
def meeting(make_meeting):
    return make_meeting()


def _path(link: str) -> str:
    return urlsplit(link).path


def _link_on_page(client, meeting_id: int) -> str:
    """The sign-in link as the moderator's meeting page shows it beside the QR code."""
    page = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    found = re.search(r'id="sign-in-link" href="([^"]+)"', page)
    assert found, "the moderator's page shows the sign-in link"
    assert "<svg" in page  # the QR code, drawn inline
    return _path(found.group(1))


def _count(session, model, *where) -> int:
    session.rollback()
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar()


def _events(session, action: str) -> list[AuditEvent]:
    session.rollback()
    return list(session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_a_resident_signs_in_by_the_code_once_however_often(client, login, session, meeting, resident):
    login("shuji")
    path = _link_on_page(client, meeting.id)
    client.post("/logout")
    login("wangayi")
    page = client.get(path)
    assert page.status_code == 200 and "我已到场" in page.get_data(as_text=True)
    first = client.post(path)
    assert first.status_code == 302
    confirmed = client.get(path).get_data(as_text=True)
    assert 'id="signed-in"' in confirmed and "我已到场" not in confirmed
    client.post(path)  # twice is once
    rows = session.execute(select(MeetingAttendance)).scalars().all()
    assert len(rows) == 1
    assert rows[0].person_id == resident.person_id and rows[0].source == AttendanceSource.QR
    assert len(_events(session, "meeting.sign_in")) == 1


def test_the_service_answers_twice_with_the_same_row(session, meeting, resident):
    row, new = meetings.sign_in(session, resident, meeting)
    again, new_again = meetings.sign_in(session, resident, meeting)
    assert new and not new_again and again.id == row.id


@pytest.mark.parametrize(("hours", "status", "words"), [
    pytest.param(-30, 410, "扫码签到已经结束", id="a_day_after_the_meeting_is_expired"),
    pytest.param(5, 409, "签到尚未开始", id="five_hours_before_is_too_early"),
])
def test_a_link_outside_the_meeting_time_is_refused_with_a_clear_page(client, login, session, make_meeting,
                                                                       resident, hours, status, words):
    meeting = make_meeting(utcnow() + timedelta(hours=hours))
    token = meetings.sign_in_token(meeting)
    login("wangayi")
    for method in (client.get, client.post):
        response = method(f"/meetings/sign-in/{token}")
        assert response.status_code == status
        page = response.get_data(as_text=True)
        assert words in page and 'id="sign-in-refused"' in page and "我已到场" not in page
    assert _count(session, MeetingAttendance) == 0


@pytest.mark.parametrize("forge", [
    pytest.param(lambda token: token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"), id="tampered_signature"),
    pytest.param(lambda token: URLSafeSerializer("not-our-key", salt="meeting-sign-in").dumps([1, 2**40]),
                 id="signed_with_another_key"),
    pytest.param(lambda token: "nonsense", id="not_a_token"),
])
def test_a_forged_link_is_refused_with_a_clear_page(client, login, session, meeting, resident, forge):
    login("wangayi")
    response = client.post(f"/meetings/sign-in/{forge(meetings.sign_in_token(meeting))}")
    assert response.status_code == 400
    assert "签到二维码无效" in response.get_data(as_text=True)
    assert _count(session, MeetingAttendance) == 0


def test_another_communitys_meeting_answers_404(client, login, session, meeting, outsider):
    token = meetings.sign_in_token(meeting)
    login("zhaojie")
    assert client.get(f"/meetings/sign-in/{token}").status_code == 404
    assert client.post(f"/meetings/sign-in/{token}").status_code == 404
    assert client.get(f"/meetings/{meeting.id}").status_code == 404
    assert _count(session, MeetingAttendance) == 0


def test_an_expired_link_of_another_community_answers_404_too(client, login, make_meeting, outsider):
    token = meetings.sign_in_token(make_meeting(utcnow() - timedelta(days=2)))
    login("zhaojie")
    assert client.get(f"/meetings/sign-in/{token}").status_code == 404


def test_signing_in_asks_to_sign_in_first(client, meeting):
    response = client.get(f"/meetings/sign-in/{meetings.sign_in_token(meeting)}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_residents_see_attendance_but_not_the_code(client, login, meeting, resident):
    login("wangayi")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "出席情况" in page and "暂无签到记录" in page
    assert 'id="sign-in-link"' not in page and "<svg" not in page
    assert client.get(f"/meetings/{meeting.id}/attendance").status_code == 403


def test_staff_tick_and_untick_names_from_the_sheet(client, login, session, meeting, resident, neighbour, secretary):
    login("shuji")
    page = client.get(f"/meetings/{meeting.id}/attendance?building=all").get_data(as_text=True)
    assert "wangayi" in page and "lishushu" in page and "3号楼" in page
    response = client.post(f"/meetings/{meeting.id}/attendance?building=all",
                           data={"person_ids": [resident.person_id, neighbour.person_id]})
    assert response.status_code == 302
    assert _count(session, MeetingAttendance, MeetingAttendance.source == AttendanceSource.SHEET) == 2
    client.post(f"/meetings/{meeting.id}/attendance?building=all", data={"person_ids": [neighbour.person_id]})
    present = session.execute(select(MeetingAttendance.person_id)).scalars().all()
    assert present == [neighbour.person_id]
    events = _events(session, "meeting.attendance")
    assert [(e.data["added"], e.data["removed"]) for e in events] == [
        (sorted([resident.person_id, neighbour.person_id]), []), ([], [resident.person_id])]
    assert all(e.actor_id == secretary.id for e in events)
    # Saving the same ticks again changes nothing and records nothing.
    client.post(f"/meetings/{meeting.id}/attendance?building=all", data={"person_ids": [neighbour.person_id]})
    assert len(_events(session, "meeting.attendance")) == 2


def test_a_ticked_person_who_scans_too_stays_one(session, meeting, resident, secretary):
    meetings.tick(session, secretary, meeting, [resident.person_id])
    _row, new = meetings.sign_in(session, resident, meeting)
    assert not new
    session.commit()
    assert _count(session, MeetingAttendance) == 1


def test_a_person_of_another_community_cannot_be_ticked(session, meeting, outsider, secretary):
    with pytest.raises(Invalid):
        meetings.tick(session, secretary, meeting, [outsider.person_id])


def test_residents_cannot_tick(session, meeting, resident):
    with pytest.raises(Forbidden):
        meetings.tick(session, resident, meeting, [resident.person_id])


def test_a_posted_sheet_with_an_unknown_person_keeps_the_ticks_and_says_why(client, login, session, meeting,
                                                                            resident):
    login("shuji")
    response = client.post(f"/meetings/{meeting.id}/attendance?building=all",
                           data={"person_ids": [resident.person_id, 999999]})
    assert response.status_code == 422
    assert _count(session, MeetingAttendance) == 0


def test_departments_are_recorded_and_removed(client, login, session, meeting):
    login("shuji")
    response = client.post(f"/meetings/{meeting.id}/departments", data={"department": "街道办事处", "name": "王科长"})
    assert response.status_code == 302
    client.post(f"/meetings/{meeting.id}/departments", data={"department": "物业公司"})
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "街道办事处（王科长）" in page and "单位代表 2 人" in page
    missing = client.post(f"/meetings/{meeting.id}/departments", data={"department": ""})
    assert missing.status_code == 422 and "请填写单位" in missing.get_data(as_text=True)
    first = session.execute(select(MeetingAttendance).order_by(MeetingAttendance.id)).scalars().first()
    client.post(f"/meetings/{meeting.id}/departments/remove", data={"attendance_id": first.id})
    assert session.execute(select(MeetingAttendance.department)).scalars().all() == ["物业公司"]
    assert [e.data["department"] for e in _events(session, "meeting.department_removed")] == ["街道办事处"]


def test_attendance_is_counted_by_role(client, login, session, make_user, community, meeting, secretary):
    owner = make_user("yezhu", community, building="3号楼", room="801")
    tenant = make_user("zuhu", community, building="3号楼", room="802", tenure="tenant")
    meetings.sign_in(session, owner, meeting)
    meetings.tick(session, secretary, meeting, [owner.person_id, tenant.person_id])
    meetings.add_department(session, secretary, meeting, "业委会")
    meetings.sign_in(session, secretary, meeting)  # staff without a person of the roster: a resident by their user
    session.commit()
    counted = meetings.attendance_by_meeting(session, [meeting.id])[meeting.id]
    assert (counted.owners, counted.residents, counted.departments) == (1, 2, ["业委会"])
    login("yezhu")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "共 4 人出席：业主 1 人，其他居民 2 人，单位代表 1 人" in page
    session_page = client.get(f"/consultations/{meeting.consultation_id}").get_data(as_text=True)
    assert "共 4 人出席" in session_page


def test_the_printed_sheet_lists_names_by_building_with_a_column_to_sign(client, login, session, meeting,
                                                                         resident, neighbour, tmp_path):
    login("shuji")
    response = client.get(f"/meetings/{meeting.id}/sheet.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(response.data)
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils is needed"
    lines = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, check=True,  # noqa: S603
                           text=True).stdout.splitlines()
    text = "".join("".join(lines).split())
    assert "联席会议签到表" in text and "签名" in text
    row = next(i for i, line in enumerate(lines) if "wangayi" in line)
    assert "302" in lines[row] and "业主" in lines[row]

    def where(word: str) -> int:
        return next(i for i, line in enumerate(lines) if word in line)

    assert where("3号楼") < where("wangayi") < where("5号楼") < where("lishushu")


def test_the_sheet_is_ticked_one_building_at_a_time(client, login, session, meeting, resident, neighbour):
    """Saving 3号楼's page leaves 5号楼's ticks alone; a person of another building is refused on this page."""
    from deliberation.accounts.models import Building

    buildings = dict(session.execute(select(Building.name, Building.id)).all())
    login("shuji")
    page = client.get(f"/meetings/{meeting.id}/attendance?building={buildings['5号楼']}").get_data(as_text=True)
    assert "lishushu" in page and "wangayi" not in page
    client.post(f"/meetings/{meeting.id}/attendance?building={buildings['5号楼']}",
                data={"person_ids": [neighbour.person_id]})
    client.post(f"/meetings/{meeting.id}/attendance?building={buildings['3号楼']}",
                data={"person_ids": [resident.person_id]})
    assert sorted(session.execute(select(MeetingAttendance.person_id)).scalars()) == sorted(
        [resident.person_id, neighbour.person_id])
    client.post(f"/meetings/{meeting.id}/attendance?building={buildings['3号楼']}", data={})
    assert session.execute(select(MeetingAttendance.person_id)).scalars().all() == [neighbour.person_id]
    refused = client.post(f"/meetings/{meeting.id}/attendance?building={buildings['3号楼']}",
                          data={"person_ids": [neighbour.person_id]})
    assert refused.status_code == 422
    everyone = client.get(f"/meetings/{meeting.id}/attendance?building=all").get_data(as_text=True)
    assert "lishushu" in everyone and "wangayi" in everyone


def test_a_building_of_another_community_answers_404(client, login, session, meeting, outsider):
    from deliberation.accounts.models import Building

    theirs = session.execute(select(Building.id).where(Building.community_id == outsider.person.community_id)
                             ).scalar()
    login("shuji")
    assert client.get(f"/meetings/{meeting.id}/attendance?building={theirs}").status_code == 404
    assert client.get(f"/meetings/{meeting.id}/sheet.pdf?building={theirs}").status_code == 404
