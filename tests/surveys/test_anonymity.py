"""Anonymous answers keep no room and no minute, online or on paper, and the export shows none; the answer
breakdowns of anonymous surveys never show a group of fewer than 5 (deliberation.disclosure)."""

from __future__ import annotations

import csv
import io
import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.db import utcnow
from deliberation.surveys import answering, paper, results
from deliberation.surveys.answering import AnswerInput
from deliberation.surveys.models import Response
from deliberation.surveys.respondents import SHANGHAI, kept_time
from tests.surveys.conftest import full_answers


def _day_only(moment) -> bool:
    return moment.astimezone(SHANGHAI).time() == time(0) and timedelta(0) <= utcnow() - moment < timedelta(days=1)


@pytest.mark.parametrize(("anonymity", "how", "room_kept", "minute_kept"), [
    pytest.param("anonymous", "online", False, False, id="anonymous_online"),
    pytest.param("anonymous", "paper_signed", False, False, id="anonymous_paper_with_a_name"),
    pytest.param("anonymous", "paper", False, False, id="anonymous_paper"),
    pytest.param("choice", "online", False, False, id="unsigned_where_residents_choose"),
    pytest.param("choice", "online_signed", False, True, id="signed_where_residents_choose"),
    pytest.param("choice", "paper", False, False, id="unsigned_paper_where_residents_choose"),
    pytest.param("choice", "paper_signed", True, True, id="signed_paper_where_residents_choose"),
    pytest.param("named", "paper", True, True, id="named_survey_paper"),
    pytest.param("named", "online", False, True, id="named_survey_online"),
])
def test_an_anonymous_response_keeps_no_room_and_no_time_of_day(session, secretary, resident, make_survey,
                                                                anonymity, how, room_kept, minute_kept):
    survey = make_survey("匿名程度", anonymity=anonymity)
    if how.startswith("online"):
        response = answering.save_response(session, resident, survey, full_answers(survey), submit=True,
                                           anonymous=how != "online_signed")
    else:
        unit = resident.person.household.unit
        response = paper.enter_paper_response(
            session, secretary, survey, full_answers(survey), building_id=unit.building_id, room=unit.room,
            person_name=resident.person.name if how == "paper_signed" else "")
    session.commit()
    stored = session.get(Response, response.id)
    assert (stored.unit_id is not None) is room_kept
    if not minute_kept:
        assert _day_only(stored.submitted_at) and _day_only(stored.updated_at)
    assert stored.building_id == resident.person.household.unit.building_id  # kept for the breakdowns
    paper_events = session.execute(select(AuditEvent.object_id, AuditEvent.data)
                                   .where(AuditEvent.action == "survey.paper_entry")).all()
    for object_id, data in paper_events:
        assert ("unit_id" in data and object_id == stored.id) is room_kept


def test_kept_time_is_the_start_of_the_day_in_shanghai():
    from datetime import UTC, datetime

    late = datetime(2026, 12, 2, 17, 30, tzinfo=UTC)  # 01:30 on 3 December in Shanghai
    assert kept_time(late, True) == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    assert kept_time(late, False) == late


def test_the_export_of_an_anonymous_survey_has_no_room_no_groups_and_no_minute(
        session, client, login, secretary, resident, neighbour, make_survey):
    survey = make_survey("匿名导出", anonymity="anonymous")
    answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    unit = neighbour.person.household.unit
    paper.enter_paper_response(session, secretary, survey, full_answers(survey, q1=AnswerInput(choices=[2])),
                               building_id=unit.building_id, room=unit.room, person_name="")
    session.commit()
    login("shuji")
    rows = list(csv.reader(io.StringIO(client.get(f"/surveys/{survey.id}/results.csv")
                                       .get_data().decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["序号", "来源", "录入人", "提交日期"]
    for gone in ("室号", "楼栋", "姓名", "年龄段", "身份", "提交时间"):
        assert gone not in header
    assert len(body) == 2
    for row in body:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[3])
        assert not any(re.search(r"\d{1,2}:\d{2}", cell) for cell in row)
        assert unit.room not in row and resident.person.household.unit.room not in row
        assert "3号楼" not in row and "5号楼" not in row
    book = client.get(f"/surveys/{survey.id}/results.xlsx")
    assert book.status_code == 200


def _crowd(make_user, community, sizes):
    return [[make_user(f"lou{b + 1}_{n}", community, building=f"{b + 1}号楼", room=f"{b + 1}{n:02d}")
             for n in range(size)] for b, size in enumerate(sizes)]


@pytest.mark.parametrize(("answered", "anonymity", "shown", "withheld"), [
    pytest.param((5, 5), "anonymous", [("1号楼", 5), ("2号楼", 5)], 0, id="groups_of_5_are_shown"),
    pytest.param((5, 4), "anonymous", [("其他", 9)], 0, id="a_group_of_4_is_merged_with_the_smallest_other"),
    pytest.param((5, 4, 1), "anonymous", [("1号楼", 5), ("其他", 5)], 0, id="4_and_1_merge_into_5"),
    pytest.param((4,), "anonymous", [], 4, id="4_answers_in_all_are_withheld"),
    pytest.param((5, 4), "choice", [("其他", 9)], 0, id="where_residents_choose_too"),
    pytest.param((5, 4), "named", [("1号楼", 5), ("2号楼", 4)], 0, id="a_named_survey_shows_every_group"),
])
def test_anonymous_answer_breakdowns_never_show_a_group_under_5(session, client, login, make_user, community,
                                                               make_survey, answered, anonymity, shown, withheld):
    survey = make_survey("分组", anonymity=anonymity)
    for people in _crowd(make_user, community, answered):
        for n, user in enumerate(people):
            answering.save_response(session, user, survey, full_answers(survey, q1=AnswerInput(choices=[n % 3])),
                                    submit=True)
    session.commit()
    table = results.answer_breakdown(session, survey, "building")[survey.questions[0].id]
    assert [(r.label, r.answered) for r in table.rows] == shown
    assert table.withheld == withheld
    assert sum(sum(r.counts) for r in table.rows) + withheld == sum(answered)  # the totals are kept
    login("shuji")
    page = client.get(f"/surveys/{survey.id}/results?by=building").get_data(as_text=True)
    cross = page.split(f'id="cross-{survey.questions[0].id}"')[1].split("</table>")[0] if shown else ""
    for label, _n in shown:
        assert label in cross
    if withheld:
        assert "不足 5 份答卷的分组不单独列出" in page
