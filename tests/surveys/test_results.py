"""Results: counts and percentages, breakdowns, response rate, free text with blocked words, exports."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from deliberation.consultations.models import BlockedWord
from deliberation.surveys import answering, builder, paper, results
from deliberation.surveys.answering import AnswerInput
from tests.surveys.conftest import full_answers


@pytest.fixture
def answered(session, secretary, resident, neighbour, make_user, community, survey):
    """Three online responses and one paper form: known numbers to check against."""
    young = make_user("xiaoliu", community, building="3号楼", room="501", tenure="tenant")
    young.person.birth_year = 2000
    session.add(BlockedWord(community_id=community.id, word="骗子"))
    session.commit()
    answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    answering.save_response(session, neighbour, survey, full_answers(
        survey, q1=AnswerInput(choices=[1]), q2=AnswerInput(choices=[1], other=True, other_text="菜场"),
        q3=AnswerInput(value=2), q4=AnswerInput(ranking=[0, 1, 2]), q5=AnswerInput(text="物业是骗子")), submit=True)
    answering.save_response(session, young, survey, full_answers(survey, q3=AnswerInput(value=5), q5=None),
                            submit=True)
    unit = resident.person.household.unit
    paper.enter_paper_response(session, secretary, survey, full_answers(
        survey, q1=AnswerInput(choices=[2]), q2=AnswerInput(choices=[0]), q3=None, q4=None, q5=AnswerInput(text="纸上写的")),
        building_id=unit.building_id, room="302")
    # a draft is not a response yet
    drafter = make_user("caogao", community, building="5号楼", room="808")
    answering.save_response(session, drafter, survey, full_answers(survey), submit=False)
    session.commit()
    return survey


def poppler(tool: str, *args: str) -> str:
    """Run a poppler-utils tool on our own file."""
    path = shutil.which(tool)
    assert path, f"{tool} (poppler-utils) is needed for this test"
    return subprocess.run([path, *args], capture_output=True, check=True, text=True).stdout  # noqa: S603


def rows_of(summary, position):
    question = summary.questions[position - 1]
    return [(r.label, r.count, r.percent) for r in question.rows], question


def test_counts_and_percentages_per_question(session, answered):
    summary = results.survey_summary(session, answered)
    assert (summary.response_count, summary.online_count, summary.paper_count) == (4, 3, 1)
    assert summary.eligible_count == 4  # wangayi, lishushu, xiaoliu, caogao; the secretary has no person
    assert summary.response_rate == "100%"
    rows, q1 = rows_of(summary, 1)
    assert q1.answered == 4
    assert rows == [("每周", 2, "50%"), ("每月", 1, "25%"), ("很少", 1, "25%")]
    rows, q2 = rows_of(summary, 2)
    assert q2.answered == 4
    assert rows == [("阅览室", 1, "25%"), ("儿童活动区", 3, "75%"), ("健身角", 2, "50%"), ("食堂", 0, "0%"),
                    ("其他", 1, "25%")]
    rows, q3 = rows_of(summary, 3)
    assert q3.answered == 3 and q3.average == "3.67"
    assert [r[1] for r in rows] == [0, 1, 0, 1, 1]
    rows, q4 = rows_of(summary, 4)
    assert q4.answered == 3
    # rankings: [晚上, 上午, 下午] twice, [上午, 下午, 晚上] once
    assert [(r.label, r.count, r.average_rank) for r in q4.rows] == [
        ("上午", 1, "1.67"), ("下午", 0, "2.67"), ("晚上", 2, "1.67")]
    _rows, q5 = rows_of(summary, 5)
    assert q5.answered == 3 and q5.text_count == 3


def test_breakdowns_by_building_age_and_tenure(session, answered):
    groups = results.breakdowns(session, answered)
    buildings = {r.label: (r.responses, r.eligible) for r in groups["building"]}
    assert buildings == {"3号楼": (3, 2), "5号楼": (1, 2)}  # the paper form was from 3号楼 302
    ages = {r.key: (r.responses, r.eligible) for r in groups["age"]}
    assert ages == {"18-34": (1, 1), "60+": (2, 3), "": (1, 0)}  # the anonymous paper form has no person
    tenure = {r.key: (r.responses, r.eligible) for r in groups["tenure"]}
    assert tenure == {"owner": (1, 2), "tenant": (2, 2), "": (1, 0)}


def test_free_text_hides_blocked_words_from_residents(client, login, resident, answered):
    texts = results.free_texts(client.application.extensions["sqlalchemy"].session, answered)
    last = texts[answered.questions[4].id]
    assert [(t.text, t.hidden) for t in last] == [("希望晚上也开放", False), ("物业是骗子", True), ("纸上写的", False)]
    others = texts[answered.questions[1].id]
    assert [(t.text, t.other) for t in others] == [("菜场", True)]


def test_results_page_for_the_moderator_and_after_the_close_for_residents(session, client, login, secretary,
                                                                          resident, answered):
    login("wangayi")
    assert client.get(f"/surveys/{answered.id}/results").status_code == 403
    client.post("/logout")
    login("shuji")
    page = client.get(f"/surveys/{answered.id}/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and 'role="img"' in html
    assert "物业是骗子" in html and "含屏蔽词，居民看不到" in html
    assert 'id="response-count">4<' in html and 'id="response-rate">100%<' in html
    builder.close_survey(session, secretary, answered)
    session.commit()
    client.post("/logout")
    login("wangayi")
    html = client.get(f"/surveys/{answered.id}/results").get_data(as_text=True)
    assert "物业是骗子" not in html and "含屏蔽词，已隐藏" in html
    assert client.get(f"/surveys/{answered.id}/results.csv").status_code == 403


def test_csv_export_has_a_bom_chinese_headers_and_one_row_per_response(client, login, answered):
    login("shuji")
    response = client.get(f"/surveys/{answered.id}/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:6] == ["序号", "来源", "录入人", "楼栋", "室号", "姓名"]
    assert header[-5] == "1. 您多久去一次党群服务站？"
    assert len(rows) == 5
    sources = [r[1] for r in rows[1:]]
    assert sources.count("网上") == 3 and sources.count("纸质") == 1
    second = rows[2]
    assert second[header.index("1. 您多久去一次党群服务站？")] == "每月"
    assert second[header.index("2. 您希望增加哪些空间？")] == "儿童活动区；其他：菜场"
    assert second[header.index("4. 请给开放时段排序")] == "上午 > 下午 > 晚上"
    paper = next(r for r in rows[1:] if r[1] == "纸质")
    assert paper[2] == "shuji" and paper[3] == "3号楼" and paper[4] == "302"


def test_xlsx_export_has_the_answers_and_the_counts(client, login, answered):
    login("shuji")
    response = client.get(f"/surveys/{answered.id}/results.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["答卷", "统计"]
    answers = list(book["答卷"].iter_rows(values_only=True))
    assert len(answers) == 5 and answers[0][0] == "序号"
    counts = list(book["统计"].iter_rows(values_only=True))
    assert counts[0] == ("题号", "题目", "选项", "人数", "百分比", "平均名次")
    assert (1, "您多久去一次党群服务站？", "每周", 2, 0.5, None) in counts  # 50 %, a number
    assert any(row[1] == "回收份数" and row[3] == 4 for row in counts)


def test_export_cells_are_neutralised(session, client, login, resident, survey):
    answering.save_response(session, resident, survey, full_answers(survey, q5=AnswerInput(text="=HYPERLINK(1)")),
                            submit=True)
    session.commit()
    login("shuji")
    text = client.get(f"/surveys/{survey.id}/results.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_anonymous_export_has_no_names(session, client, login, resident, make_survey):
    survey = make_survey("匿名", anonymous=True)
    answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    session.commit()
    login("shuji")
    text = client.get(f"/surveys/{survey.id}/results.csv").get_data().decode("utf-8-sig")
    assert "姓名" not in text.splitlines()[0] and "wangayi" not in text


def test_paper_form_pdf_is_a4_chinese_with_the_unit_box(client, login, survey, tmp_path):
    login("shuji")
    response = client.get(f"/surveys/{survey.id}/paper.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "form.pdf"
    path.write_bytes(response.get_data())
    info = poppler("pdfinfo", str(path))
    assert "595.276 x 841.89" in info or "595.28 x 841.89" in info  # A4 in points
    text = poppler("pdftotext", "-layout", str(path), "-")
    for expected in ("党群服务站使用需求调查", "楼栋", "号楼", "室号", "您多久去一次党群服务站？", "阅览室", "其他：",
                     "请给开放时段排序"):
        assert expected in text, expected


def test_summary_for_the_minutes_is_a_dataclass(session, answered):
    from dataclasses import is_dataclass

    summary = results.survey_summary(session, answered)
    assert is_dataclass(summary)
    assert summary.questions[0].label == "您多久去一次党群服务站？"


def test_answers_broken_down_by_building_age_and_tenure(session, client, login, answered):
    by_building = results.answer_breakdown(session, answered, "building")
    q1 = answered.questions[0]
    rows = {r.label: (r.answered, r.counts) for r in by_building[q1.id].rows}
    # 3号楼: wangayi 每周, xiaoliu 每周, the paper form 很少; 5号楼: lishushu 每月
    assert rows == {"3号楼": (3, [2, 0, 1]), "5号楼": (1, [0, 1, 0])}
    by_tenure = results.answer_breakdown(session, answered, "tenure")
    q3 = answered.questions[2]
    assert {r.label: r.counts for r in by_tenure[q3.id].rows} == {
        "业主": [0, 0, 0, 1, 0], "租户": [0, 1, 0, 0, 1]}
    assert answered.questions[3].id not in by_tenure and answered.questions[4].id not in by_tenure
    login("shuji")
    page = client.get(f"/surveys/{answered.id}/results?by=age").get_data(as_text=True)
    assert f'id="cross-{q1.id}"' in page and "60岁以上" in page


def test_anonymous_breakdowns_leave_out_groups_too_small_to_hide_in(session, secretary, resident, neighbour,
                                                                    make_user, community, make_survey):
    survey = make_survey("匿名分组", anonymity="anonymous")
    others = [make_user(f"lou3_{n}", community, building="3号楼", room=f"6{n}1") for n in range(2)]
    for user in (resident, *others, neighbour):
        answering.save_response(session, user, survey, full_answers(survey), submit=True)
    session.commit()
    table = results.answer_breakdown(session, survey, "building")[survey.questions[0].id]
    # 5号楼's single answer would say who gave it, and 3号楼's three beside it would give it back by
    # subtraction: four answers in all are too few to show by building (deliberation.disclosure).
    assert [(r.label, r.answered) for r in table.rows] == []
    assert table.withheld == 4


def test_results_page_in_english_names_bands_and_tenure_in_english(session, client, login, secretary, answered):
    secretary.locale = "en"
    session.commit()
    login("shuji")
    by_age = client.get(f"/surveys/{answered.id}/results?by=age").get_data(as_text=True)
    assert "60 and over" in by_age and "18–34" in by_age and "Not recorded" in by_age
    by_tenure = client.get(f"/surveys/{answered.id}/results?by=tenure").get_data(as_text=True)
    assert "Owner" in by_tenure and "Tenant" in by_tenure
    assert not any(word in by_age + by_tenure for word in ("60岁以上", "18–34岁", "业主", "租户", "未登记"))
