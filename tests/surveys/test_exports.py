"""The survey's exports as their readers use them: numbers a spreadsheet can sum, every online answer of a
named survey with its room, and the XLSX opened by LibreOffice Calc with its Chinese and numbers intact."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from deliberation.surveys import answering, paper
from deliberation.surveys.answering import AnswerInput
from tests.office import xlsx_sheets
from tests.surveys.conftest import full_answers


@pytest.fixture
def answered(session, secretary, resident, neighbour, make_survey):
    """A named survey: two online answers and one paper form."""
    survey = make_survey("党群服务站使用需求调查", anonymity="named")
    answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    answering.save_response(session, neighbour, survey, full_answers(
        survey, q1=AnswerInput(choices=[1]), q3=AnswerInput(value=2), q4=AnswerInput(ranking=[0, 1, 2])), submit=True)
    unit = resident.person.household.unit
    paper.enter_paper_response(session, secretary, survey, full_answers(survey, q3=None, q4=None),
                               building_id=unit.building_id, room="302")
    session.commit()
    return survey


def export(client, login, survey, fmt: str):
    login("shuji")
    response = client.get(f"/surveys/{survey.id}/results.{fmt}")
    assert response.status_code == 200
    return response


def test_a_named_survey_export_gives_every_online_answer_its_room(client, login, answered):
    rows = list(csv.reader(io.StringIO(export(client, login, answered, "csv").get_data().decode("utf-8-sig"))))
    header = rows[0]
    where = {(row[header.index("来源")], row[header.index("姓名")]): (row[header.index("楼栋")], row[header.index("室号")])
             for row in rows[1:]}
    assert where[("网上", "wangayi")] == ("3号楼", "302")
    assert where[("网上", "lishushu")] == ("5号楼", "101")
    assert [place for (source, _name), place in where.items() if source == "纸质"] == [("3号楼", "302")]
    book = load_workbook(io.BytesIO(export(client, login, answered, "xlsx").get_data()))
    rooms = [row[4] for row in book["答卷"].iter_rows(min_row=2, values_only=True)]
    assert sorted(rooms) == ["101", "302", "302"]


def test_an_owner_who_lives_elsewhere_answers_with_the_room_owned(session, client, login, make_user, community,
                                                                  make_survey):
    from deliberation.accounts.models import Ownership, Unit

    owner = make_user("sunshushu", community, building="5号楼", room="202")
    owned = session.query(Unit).filter_by(room="202").one()
    assert session.query(Ownership).filter_by(person_id=owner.person_id, unit_id=owned.id).one()
    owner.person.household_id = None  # owns 202, lives elsewhere
    survey = make_survey("业主需求调查", anonymity="named")
    answering.save_response(session, owner, survey, full_answers(survey), submit=True)
    session.commit()
    rows = list(csv.reader(io.StringIO(export(client, login, survey, "csv").get_data().decode("utf-8-sig"))))
    assert rows[1][3:6] == ["5号楼", "202", "sunshushu"]


def test_the_counts_are_numbers_a_spreadsheet_can_sum(client, login, answered):
    book = load_workbook(io.BytesIO(export(client, login, answered, "xlsx").get_data()))
    counts = book["统计"]
    assert [c.value for c in counts[1]] == ["题号", "题目", "选项", "人数", "百分比", "平均名次"]
    rows = list(counts.iter_rows(min_row=2))
    weekly = next(r for r in rows if r[2].value == "每周")
    assert (weekly[3].value, weekly[4].value) == (2, pytest.approx(2 / 3))
    assert weekly[3].data_type == weekly[4].data_type == "n" and weekly[4].number_format == "0%"
    average = next(r for r in rows if r[2].value == "平均分")
    assert average[3].data_type == "n" and average[3].value == 3  # (4 + 2) / 2: the paper form left it out
    ranked = [r for r in rows if r[0].value == 4]
    assert [(r[2].value, r[5].value) for r in ranked] == [("上午", 1.5), ("下午", 2.5), ("晚上", 2.0)]
    assert all(r[5].data_type == "n" for r in ranked)
    returned = next(r for r in rows if r[1].value == "回收份数")
    assert returned[3].value == 3 and returned[4].data_type == "n"


@pytest.mark.slow
def test_the_survey_xlsx_reads_back_in_libreoffice_calc(client, login, answered, tmp_path):
    data = export(client, login, answered, "xlsx").get_data()
    book = load_workbook(io.BytesIO(data))
    read = xlsx_sheets(data, tmp_path)
    assert list(read) == ["答卷", "统计"]
    answers = read["答卷"]
    assert answers[0][:6] == ["序号", "来源", "录入人", "楼栋", "室号", "姓名"]
    assert "1. 您多久去一次党群服务站？" in answers[0]
    assert [row[0] for row in answers[1:]] == ["1", "2", "3"]
    assert {row[3] for row in answers[1:]} == {"3号楼", "5号楼"}
    assert "希望晚上也开放" in {cell for row in answers for cell in row}
    counts = read["统计"]
    weekly = next(row for row in counts if row[2] == "每周")
    assert weekly[:5] == ["1", "您多久去一次党群服务站？", "每周", "2", "67%"]
    returned = next(row for row in counts if row[1] == "回收份数")
    assert returned[3] == str(book["统计"].cell(counts.index(returned) + 1, 4).value) == "3"
