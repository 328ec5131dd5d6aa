"""The surveys JSON API: create and publish (moderators), read, submit and update a response, results."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deliberation.db import utcnow

QUESTIONS = [
    {"kind": "single", "text": "去不去？", "options": ["去", "不去"], "required": True},
    {"kind": "multiple", "text": "哪些？", "options": ["甲", "乙", "丙"], "max_choices": 2, "allow_other": True},
    {"kind": "scale_1_5", "text": "打分"},
    {"kind": "ranking", "text": "排序", "options": ["早", "中", "晚"]},
    {"kind": "short_text", "text": "一句话"},
]


@pytest.fixture
def api_survey(client, api_token, secretary, community):
    headers = api_token("shuji")
    created = client.post(f"/api/v1/communities/{community.id}/surveys", headers=headers,
                          json={"title": "API 问卷", "anonymity": "anonymous", "questions": QUESTIONS})
    assert created.status_code == 201, created.get_json()
    survey = created.get_json()
    assert survey["state"] == "draft" and [q["kind"] for q in survey["questions"]] == [q["kind"] for q in QUESTIONS]
    published = client.post(f"/api/v1/surveys/{survey['id']}/publish", headers=headers)
    assert published.status_code == 200 and published.get_json()["state"] == "open"
    return published.get_json()


def answers(survey, **changes):
    q = [question["id"] for question in survey["questions"]]
    given = {
        1: {"question_id": q[0], "choices": [0]},
        2: {"question_id": q[1], "choices": [1], "other": "菜场"},
        3: {"question_id": q[2], "value": 5},
        4: {"question_id": q[3], "ranking": [2, 1, 0]},
        5: {"question_id": q[4], "text": "好"},
    }
    for key, value in changes.items():
        given[int(key[1:])] = {"question_id": q[int(key[1:]) - 1], **value}
    return list(given.values())


def test_residents_cannot_create_or_publish(client, api_token, resident, community, api_survey):
    headers = api_token("wangayi")
    refused = client.post(f"/api/v1/communities/{community.id}/surveys", headers=headers, json={"title": "x"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert client.post(f"/api/v1/surveys/{api_survey['id']}/publish", headers=headers).status_code == 403


def test_a_bad_question_is_named_in_the_error(client, api_token, secretary, community):
    response = client.post(f"/api/v1/communities/{community.id}/surveys", headers=api_token("shuji"), json={
        "title": "坏题", "questions": [QUESTIONS[0], {"kind": "single", "text": "一项", "options": ["唯一"]}]})
    assert response.status_code == 422
    assert "questions.2.options" in response.get_json()["error"]["fields"]


def test_submit_read_update_and_results(client, api_token, secretary, resident, api_survey):
    headers = api_token("wangayi")
    survey_id = api_survey["id"]
    read = client.get(f"/api/v1/surveys/{survey_id}", headers=headers)
    assert read.status_code == 200 and read.get_json()["anonymity"] == "anonymous"
    assert client.get(f"/api/v1/surveys/{survey_id}/response", headers=headers).status_code == 404
    created = client.post(f"/api/v1/surveys/{survey_id}/responses", headers=headers, json={"answers": answers(api_survey)})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["submitted"] is True
    again = client.post(f"/api/v1/surveys/{survey_id}/responses", headers=headers, json={"answers": answers(api_survey)})
    assert again.status_code == 409 and "每人只能填一份" in again.get_json()["error"]["message"]
    updated = client.put(f"/api/v1/surveys/{survey_id}/response", headers=headers,
                         json={"answers": answers(api_survey, q1={"choices": [1]})})
    assert updated.status_code == 200
    mine = client.get(f"/api/v1/surveys/{survey_id}/response", headers=headers).get_json()
    by_question = {a["question_id"]: a for a in mine["answers"]}
    q = [question["id"] for question in api_survey["questions"]]
    assert by_question[q[0]]["choices"] == [1]
    assert by_question[q[1]]["other"] == "菜场" and by_question[q[3]]["ranking"] == [2, 1, 0]
    # results: residents wait for the close, moderators do not
    assert client.get(f"/api/v1/surveys/{survey_id}/results", headers=headers).status_code == 403
    results = client.get(f"/api/v1/surveys/{survey_id}/results", headers=api_token("shuji"))
    assert results.status_code == 200
    body = results.get_json()
    assert body["response_count"] == 1 and body["eligible_count"] == 1 and body["response_rate"] == "100%"
    first = body["questions"][0]
    assert [(r["label"], r["count"], r["percent"]) for r in first["rows"]] == [("去", 0, "0%"), ("不去", 1, "100%")]
    assert body["questions"][4]["texts"] == ["好"]
    assert {g["key"] for g in body["breakdown"]["tenure"]} == {"owner"}


@pytest.mark.parametrize(("change", "field_position", "message"), [
    ({"q1": {"choices": [5]}}, 1, "所选的选项不在本题中"),
    ({"q2": {"choices": [0, 1, 2]}}, 2, "本题最多选 2 项（现在选了 3 项）"),
    ({"q1": {"choices": []}}, 1, "此题为必答题，请作答"),
    ({"q5": {"text": "长" * 201}}, 5, "不能超过 200 个字（现在 201 个字）"),
    ({"q3": {"value": 0}}, 3, "请选择 1 到 5 之间的分数"),
])
def test_bad_answers_answer_422_naming_the_question(client, api_token, resident, api_survey, change,
                                                    field_position, message):
    headers = api_token("wangayi")
    response = client.put(f"/api/v1/surveys/{api_survey['id']}/response", headers=headers,
                          json={"answers": answers(api_survey, **change)})
    assert response.status_code == 422
    question_id = api_survey["questions"][field_position - 1]["id"]
    assert response.get_json()["error"]["fields"] == {f"q{question_id}": message}
    assert client.get(f"/api/v1/surveys/{api_survey['id']}/response", headers=headers).status_code == 404


def test_answers_to_a_closed_survey_answer_409(session, client, api_token, resident, api_survey):
    from deliberation.surveys.models import Survey

    survey = session.get(Survey, api_survey["id"])
    survey.closes_at = utcnow() - timedelta(minutes=1)
    session.commit()
    response = client.put(f"/api/v1/surveys/{api_survey['id']}/response", headers=api_token("wangayi"),
                          json={"answers": answers(api_survey)})
    assert response.status_code == 409 and "截止" in response.get_json()["error"]["message"]


def test_other_communities_get_404(client, api_token, outsider, api_survey):
    headers = api_token("zhaojie")
    assert client.get(f"/api/v1/surveys/{api_survey['id']}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/surveys/{api_survey['id']}/results", headers=headers).status_code == 404


def test_every_survey_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    expected = {
        "/api/v1/communities/{community_id}/surveys": {"get", "post"},
        "/api/v1/surveys/{survey_id}": {"get"},
        "/api/v1/surveys/{survey_id}/publish": {"post"},
        "/api/v1/surveys/{survey_id}/responses": {"post"},
        "/api/v1/surveys/{survey_id}/response": {"get", "put"},
        "/api/v1/surveys/{survey_id}/results": {"get"},
    }
    for path, methods in expected.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), (path, spec["paths"][path].keys())
        for method in methods:
            assert spec["paths"][path][method]["security"] == [{"bearerAuth": []}]


def test_the_list_shows_residents_published_surveys_only(client, api_token, secretary, resident, community,
                                                        api_survey):
    client.post(f"/api/v1/communities/{community.id}/surveys", headers=api_token("shuji"), json={"title": "草稿"})
    mine = client.get(f"/api/v1/communities/{community.id}/surveys", headers=api_token("wangayi")).get_json()
    assert [s["title"] for s in mine] == ["API 问卷"]
    theirs = client.get(f"/api/v1/communities/{community.id}/surveys", headers=api_token("shuji")).get_json()
    assert [s["title"] for s in theirs] == ["草稿", "API 问卷"]


def test_residents_read_results_after_the_close_without_blocked_text(session, client, api_token, secretary,
                                                                     resident, community, api_survey):
    from deliberation.consultations.models import BlockedWord
    from deliberation.surveys import builder
    from deliberation.surveys.models import Survey

    session.add(BlockedWord(community_id=community.id, word="骗子"))
    session.commit()
    headers = api_token("wangayi")
    client.put(f"/api/v1/surveys/{api_survey['id']}/response", headers=headers,
               json={"answers": answers(api_survey, q5={"text": "都是骗子"})})
    builder.close_survey(session, secretary, session.get(Survey, api_survey["id"]))
    session.commit()
    body = client.get(f"/api/v1/surveys/{api_survey['id']}/results", headers=headers).get_json()
    assert body["questions"][4]["texts"] == [] and body["questions"][4]["text_count"] == 1
    moderator = client.get(f"/api/v1/surveys/{api_survey['id']}/results", headers=api_token("shuji")).get_json()
    assert moderator["questions"][4]["texts"] == ["都是骗子"]
