"""The survey pages through the test client: builder, preview, answering without script, autosave, paper."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deliberation.surveys.models import Response, Survey
from tests.surveys.conftest import form_data


def html(response) -> str:
    return response.get_data(as_text=True)


def test_the_moderator_builds_a_survey_with_plain_forms(session, client, login, secretary, community):
    login("shuji")
    assert client.get(f"/communities/{community.id}/surveys/new").status_code == 200
    created = client.post(f"/communities/{community.id}/surveys/new",
                          data={"title": "晚间开放需求", "intro": "三分钟", "anonymity": "anonymous", "consultation_id": "0"})
    assert created.status_code == 302
    survey = session.execute(select(Survey)).scalar_one()
    assert survey.anonymous and survey.state == "draft"
    builder = f"/surveys/{survey.id}/questions"
    for data in ({"kind": "single", "text": "您多大年纪？", "options": "35岁以下\n35–59岁\n60岁以上", "required": "y"},
                 {"kind": "multiple", "text": "想要什么？", "options": "甲\n乙\n丙", "max_choices": "2",
                  "allow_other": "y"},
                 {"kind": "short_text", "text": "一句话建议"}):
        assert client.post(builder, data=data).status_code == 302
    session.expire_all()
    assert [q.text for q in survey.questions] == ["您多大年纪？", "想要什么？", "一句话建议"]
    last = survey.questions[2]
    assert client.post(f"/surveys/questions/{last.id}/move", data={"direction": "up"}).status_code == 302
    session.expire_all()
    assert [q.text for q in survey.questions] == ["您多大年纪？", "一句话建议", "想要什么？"]
    page = html(client.get(f"/surveys/{survey.id}/builder"))
    assert "上移" in page and "下移" in page and "删除" in page
    edited = client.post(f"/surveys/questions/{last.id}/edit", data={"kind": "long_text", "text": "详细建议"})
    assert edited.status_code == 302
    session.expire_all()
    assert survey.questions[1].kind == "long_text"
    preview = html(client.get(f"/surveys/{survey.id}/preview"))
    assert "预览" in preview and "这是匿名问卷" in preview and "disabled" in preview and "提交答卷" not in preview
    assert client.post(f"/surveys/{survey.id}/publish").status_code == 302
    session.expire_all()
    assert survey.effective_state == "open"


def test_a_bad_question_form_shows_the_message_and_keeps_the_text(client, login, secretary, make_survey):
    survey = make_survey(questions=[], publish=False)
    login("shuji")
    response = client.post(f"/surveys/{survey.id}/questions",
                           data={"kind": "single", "text": "只有一个选项的题", "options": "唯一"})
    assert response.status_code == 422
    page = html(response)
    assert "请至少填写两个选项" in page and "只有一个选项的题" in page


def test_residents_cannot_reach_the_builder_or_drafts(client, login, resident, make_survey):
    draft = make_survey("草稿问卷", publish=False)
    published = make_survey("已发布")
    login("wangayi")
    assert client.get(f"/surveys/{draft.id}").status_code == 404
    assert client.get(f"/surveys/{published.id}/builder").status_code == 403
    assert client.get(f"/surveys/{published.id}/paper").status_code == 403
    listing = html(client.get(f"/communities/{published.community_id}/surveys"))
    assert "已发布" in listing and "草稿问卷" not in listing


def test_another_communitys_survey_answers_404(client, login, outsider, survey):
    login("zhaojie")
    assert client.get(f"/surveys/{survey.id}").status_code == 404
    assert client.get(f"/surveys/{survey.id}/answer").status_code == 404


def test_anonymity_is_shown_before_answering(client, login, resident, make_survey):
    anonymous = make_survey("匿名", anonymous=True)
    named = make_survey("实名")
    login("wangayi")
    assert "这是匿名问卷" in html(client.get(f"/surveys/{anonymous.id}"))
    assert "这是实名问卷" in html(client.get(f"/surveys/{named.id}"))
    assert "这是匿名问卷" in html(client.get(f"/surveys/{anonymous.id}/answer"))


def test_answering_without_script_save_then_submit(session, client, login, resident, survey):
    login("wangayi")
    page = html(client.get(f"/surveys/{survey.id}/answer"))
    assert "保存草稿" in page and "提交答卷" in page and "js/surveys.js" in page
    saved = client.post(f"/surveys/{survey.id}/answer", data={**form_data(survey, q1="1", q5="晚上开放"),
                                                                "action": "save"})
    assert saved.status_code == 302
    page = html(client.get(f"/surveys/{survey.id}/answer"))
    assert "晚上开放" in page and "还没有提交" in page
    done = client.post(f"/surveys/{survey.id}/answer", data={
        **form_data(survey, q1="1", q2=["0", "other"], q2_other="菜场", q3="4", q4_r0="2", q4_r1="3", q4_r2="1",
                    q5="晚上开放"), "action": "submit"})
    assert done.status_code == 302
    response = session.execute(select(Response)).scalar_one()
    assert response.is_submitted
    assert "您已提交答卷" in html(client.get(f"/surveys/{survey.id}"))
    page = html(client.get(f"/surveys/{survey.id}/answer"))
    assert "保存修改" in page and 'value="菜场"' in page and "data-autosave-url" not in page


def test_a_refused_submission_keeps_everything_typed_with_the_message_by_the_question(session, client, login,
                                                                                    resident, survey):
    login("wangayi")
    typed = form_data(survey, q1="0", q2=["0", "1", "2"], q3="", q4_r0="1", q4_r1="1", q5="我写了很多字")
    response = client.post(f"/surveys/{survey.id}/answer", data={**typed, "action": "submit"})
    assert response.status_code == 422
    page = html(response)
    q2, q3, q4 = (survey.questions[i].id for i in (1, 2, 3))
    assert "本题最多选 2 项（现在选了 3 项）" in page
    assert "此题为必答题，请作答" in page
    assert "每个名次只能给一个选项，每个选项只能排一次" in page
    assert f'id="q{q2}-error">本题最多选 2 项' in page
    assert f'id="q{q3}-error">此题为必答题' in page
    assert f'id="q{q4}-error">每个名次' in page
    assert 'class="error-summary"' in page and f'href="#question-{q2}">第 2 题：本题最多选 2 项' in page
    assert "我写了很多字" in page
    assert page.count('checked') >= 4  # q1 and q2's three ticks stay ticked
    assert session.execute(select(func.count(Response.id))).scalar() == 0


def test_autosave_endpoint_saves_a_draft_and_reports_errors_as_json(session, client, login, resident, survey):
    login("wangayi")
    ok = client.post(f"/surveys/{survey.id}/draft", data=form_data(survey, q5="一半"))
    assert ok.status_code == 200 and ok.get_json()["saved"] is True and ok.get_json()["submitted"] is False
    bad = client.post(f"/surveys/{survey.id}/draft", data=form_data(survey, q1="9", q5="一半多一点"))
    assert bad.status_code == 422
    body = bad.get_json()
    assert body["saved"] is False and body["fields"] == {f"q{survey.questions[0].id}": "所选的选项不在本题中"}
    response = session.execute(select(Response)).scalar_one()
    assert [a.text for a in response.answers] == ["一半"]  # the refused save changed nothing


def test_autosave_after_the_close_says_so(session, client, login, secretary, resident, survey):
    from deliberation.surveys import builder

    builder.close_survey(session, secretary, survey)
    session.commit()
    login("wangayi")
    response = client.post(f"/surveys/{survey.id}/draft", data=form_data(survey, q5="太晚了"))
    assert response.status_code == 409 and "截止" in response.get_json()["message"]
    closed = client.post(f"/surveys/{survey.id}/answer", data={**form_data(survey, q5="太晚了"), "action": "submit"})
    assert closed.status_code == 409 and "太晚了" in html(closed)


@pytest.mark.parametrize("config_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_autosave_needs_the_pages_csrf_token_in_a_header(client, login, resident, survey, config_overrides):
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html(page)).group(1)
    client.post("/login", data={"username": "wangayi", "password": "correct horse battery", "csrf_token": token})
    answer_page = html(client.get(f"/surveys/{survey.id}/answer"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', answer_page).group(1)
    refused = client.post(f"/surveys/{survey.id}/draft", data=form_data(survey, q5="无令牌"))
    assert refused.status_code == 400
    saved = client.post(f"/surveys/{survey.id}/draft", data=form_data(survey, q5="有令牌"),
                        headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and saved.get_json()["saved"]


def test_paper_entry_page_types_in_a_form_and_opens_the_next(session, client, login, secretary, resident, survey):
    unit = resident.person.household.unit
    login("shuji")
    assert client.get(f"/surveys/{survey.id}/paper").status_code == 200
    done = client.post(f"/surveys/{survey.id}/paper", data={
        "building_id": str(unit.building_id), "room": unit.room, "person_name": "",
        **form_data(survey, q1="2", q3="3")})
    assert done.status_code == 302 and f"building_id={unit.building_id}" in done.headers["Location"]
    assert "已录入 1 份纸质问卷" in html(client.get(done.headers["Location"]))
    wrong = client.post(f"/surveys/{survey.id}/paper", data={
        "building_id": str(unit.building_id), "room": "9999", **form_data(survey, q1="2", q5="保留这段话")})
    assert wrong.status_code == 422
    page = html(wrong)
    assert "该楼栋没有这个室号" in page and "保留这段话" in page


def test_survey_list_and_consultation_partial(session, client, login, secretary, community, resident, make_survey):
    from flask import render_template

    from deliberation.consultations import services as consultation_services
    from deliberation.surveys import lists

    consultation = consultation_services.create_consultation(
        session, secretary, community, consultation_services.ConsultationInput(title="服务站改造"))
    consultation_services.move_phase(session, secretary, consultation, "commenting")
    session.commit()
    make_survey("议事里的问卷", consultation_id=consultation.id)
    make_survey("议事里的草稿", consultation_id=consultation.id, publish=False)
    make_survey("独立问卷")
    login("wangayi")
    with client.application.test_request_context():
        from flask_login import login_user

        login_user(resident)
        found = lists.surveys_for_consultation(session, resident, consultation)
        assert [s.title for s in found] == ["议事里的问卷"]
        partial = render_template("surveys/_consultation_surveys.html", consultation=consultation, surveys=found)
        assert "议事里的问卷" in partial and "为本次议事新建问卷" not in partial
        login_user(secretary)
        found = lists.surveys_for_consultation(session, secretary, consultation)
        assert len(found) == 2
        partial = render_template("surveys/_consultation_surveys.html", consultation=consultation, surveys=found)
        assert "为本次议事新建问卷" in partial


def test_where_residents_choose_the_form_asks_and_the_export_shows_only_signed_names(session, client, login,
                                                                                   resident, neighbour, make_survey):
    survey = make_survey("自选问卷", anonymity="choice")
    answers = form_data(survey, q1="0", q3="3")
    login("wangayi")
    page = html(client.get(f"/surveys/{survey.id}/answer"))
    assert "这份问卷由您选择署名或匿名" in page and 'name="anonymous" value="1" checked' in page
    assert client.post(f"/surveys/{survey.id}/answer", data={**answers, "anonymous": "1",
                                                             "action": "submit"}).status_code == 302
    client.post("/logout")
    login("lishushu")
    assert client.post(f"/surveys/{survey.id}/answer", data={**answers, "anonymous": "0",
                                                             "action": "submit"}).status_code == 302
    assert 'name="anonymous" value="0" checked' in html(client.get(f"/surveys/{survey.id}/answer"))
    client.post("/logout")
    login("shuji")
    text = client.get(f"/surveys/{survey.id}/results.csv").get_data().decode("utf-8-sig")
    assert "lishushu" in text and "wangayi" not in text and "（匿名）" in text


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_ENABLED": True, "SURVEY_SAVE_RATE_LIMIT": "3 per minute"}])
def test_saving_is_rate_limited_per_user_across_page_and_api(client, login, api_token, resident, survey,
                                                            config_overrides):
    login("wangayi")
    for _n in range(2):
        assert client.post(f"/surveys/{survey.id}/draft", data=form_data(survey, q5="草稿")).status_code == 200
    headers = api_token("wangayi")
    answers = [{"question_id": survey.questions[4].id, "text": "API"}]
    assert client.put(f"/api/v1/surveys/{survey.id}/response", headers=headers,
                      json={"answers": answers, "submit": False}).status_code == 200
    assert client.post(f"/surveys/{survey.id}/draft", data=form_data(survey, q5="太快")).status_code == 429


def test_a_survey_not_yet_open_or_closed_does_not_take_answers(session, client, login, secretary, resident,
                                                               make_survey):
    from datetime import timedelta

    from deliberation.db import utcnow

    later = make_survey("下周开始", opens_at=utcnow() + timedelta(days=7))
    login("wangayi")
    page = client.get(f"/surveys/{later.id}/answer", follow_redirects=True)
    assert "问卷尚未开始填写" in html(page)
    refused = client.post(f"/surveys/{later.id}/answer", data={**form_data(later, q5="提前"), "action": "save"})
    assert refused.status_code == 409 and "问卷尚未开始填写" in html(refused)
    assert session.execute(select(func.count(Response.id))).scalar() == 0


def test_a_frozen_survey_offers_a_new_version(session, client, login, secretary, resident, survey):
    from deliberation.surveys import answering
    from tests.surveys.conftest import full_answers

    answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    session.commit()
    login("shuji")
    page = html(client.get(f"/surveys/{survey.id}/builder"))
    assert "问题不能再修改" in page and "创建新版本" in page and "上移" not in page
    refused = client.post(f"/surveys/{survey.id}/questions", data={"kind": "short_text", "text": "再加一题"})
    assert refused.status_code == 409 and "已经有人填写了这份问卷，问题不能再修改" in html(refused)
    made = client.post(f"/surveys/{survey.id}/new-version")
    assert made.status_code == 302
    copy = session.execute(select(Survey).where(Survey.previous_version_id == survey.id)).scalar_one()
    assert made.headers["Location"].endswith(f"/surveys/{copy.id}/builder")
    assert "第 2 版" in html(client.get(made.headers["Location"]))


def test_a_bad_settings_form_keeps_what_was_typed(client, login, secretary, community):
    login("shuji")
    response = client.post(f"/communities/{community.id}/surveys/new", data={
        "title": "时间填反了", "anonymity": "named", "consultation_id": "0",
        "opens_at": "2030-05-02T09:00", "closes_at": "2030-05-01T09:00"})
    assert response.status_code == 422
    page = html(response)
    assert "截止时间须晚于开始时间" in page and 'value="时间填反了"' in page


@pytest.mark.parametrize(("questions", "closes_in_past", "message"), [
    pytest.param([], False, "请先添加至少一个问题", id="no_question"),
    pytest.param(None, True, "截止时间已过，请先修改截止时间", id="closing_time_past"),
])
def test_publishing_what_cannot_be_published_re_shows_the_builder_with_what_to_do(
        session, client, login, secretary, make_survey, questions, closes_in_past, message):
    from datetime import timedelta

    from deliberation.db import utcnow

    survey = make_survey("夜间照明", **({"questions": questions} if questions is not None else {}), publish=False)
    if closes_in_past:
        survey.closes_at = utcnow() - timedelta(hours=1)
        session.commit()
    login("shuji")
    response = client.post(f"/surveys/{survey.id}/publish")
    page = html(response)
    assert response.status_code == 422
    assert "错误代码" not in page
    assert message in page and "夜间照明" in page and "发布问卷" in page
    session.expire_all()
    assert survey.state == "draft"


def test_deleting_a_question_someone_answered_re_shows_the_builder(session, client, login, secretary, resident,
                                                                  make_survey):
    from deliberation.surveys import answering
    from tests.surveys.conftest import full_answers

    survey = make_survey("夜间照明")
    answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    session.commit()
    login("shuji")
    response = client.post(f"/surveys/questions/{survey.questions[0].id}/delete")
    page = html(response)
    assert response.status_code == 409
    assert "错误代码" not in page
    assert "已经有人填写了这份问卷，问题不能再修改；如需修改，请创建新版本" in page and "创建新版本" in page
    session.expire_all()
    assert len(survey.questions) == 5
