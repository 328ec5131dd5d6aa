"""The API's 422 answers: one readable message per invalid value, nested ones by their path, in the
request's language (Chinese by default) — never marshmallow's English nor a Python repr."""

from __future__ import annotations

import pytest

from deliberation.field_errors import flatten, translate

ZH = {}
EN = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.mark.parametrize(("headers", "fields", "message"), [
    pytest.param(ZH, {"password": "必须填写"}, "提交的内容有误：password", id="chinese_by_default"),
    pytest.param({"Accept-Language": "zh-CN"}, {"password": "必须填写"}, "提交的内容有误：password", id="chinese"),
    pytest.param(EN, {"password": "required"}, "There is a problem with what you submitted: password", id="english"),
])
def test_a_missing_field(client, headers, fields, message):
    response = client.post("/api/v1/auth/token", json={"username": "x"}, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"] == {"code": "invalid", "message": message, "fields": fields}


PAPER = {"building_id": 1, "entries": [{"room": "101", "choice": "1"}, {"choice": "1"},
                                         {"room": "", "choice": 5, "name": "x" * 51}]}


@pytest.mark.parametrize(("headers", "fields"), [
    pytest.param(ZH, {"entries.1.room": "必须填写", "entries.2.room": "长度须在 1 到 20 之间",
                      "entries.2.choice": "应为文字", "entries.2.name": "长度最多为 50"}, id="chinese"),
    pytest.param(EN, {"entries.1.room": "required", "entries.2.room": "length must be between 1 and 20",
                      "entries.2.choice": "must be text", "entries.2.name": "length at most 50"}, id="english"),
])
def test_nested_errors_are_named_by_their_path(client, secretary, api_token, headers, fields):
    response = client.post("/api/v1/votes/1/paper-ballots", json=PAPER, headers=api_token("shuji") | headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["fields"] == fields
    assert all(name in error["message"] for name in fields)
    texts = [error["message"], *error["fields"].values()]
    assert not [text for text in texts if any(mark in text for mark in "{}[]'")], texts  # never a repr


@pytest.mark.parametrize(("headers", "expected"), [
    pytest.param(ZH, {"title": "必须填写", "kind": "须为以下之一：proposal, single, approval, ranked",
                      "secret": "应为 true 或 false", "opens_at": "应为日期和时间，如 2026-12-02T09:30:00+08:00",
                      "option_proposal_ids.1": "应为整数"}, id="chinese"),
    pytest.param(EN, {"title": "required", "kind": "must be one of: proposal, single, approval, ranked",
                      "secret": "must be true or false", "opens_at": "must be a date and time, e.g. "
                      "2026-12-02T09:30:00+08:00", "option_proposal_ids.1": "must be a whole number"}, id="english"),
])
def test_type_and_choice_errors(client, secretary, api_token, headers, expected):
    body = {"kind": "nonsense", "secret": "maybe", "opens_at": "tomorrow", "option_proposal_ids": [1, "two"]}
    response = client.post("/api/v1/consultations/1/votes", json=body, headers=api_token("shuji") | headers)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"] == expected


def test_a_body_that_is_not_json(client, secretary, api_token):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json",
                           headers=EN)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "the request body is not valid JSON"


@pytest.mark.parametrize(("messages", "expected"), [
    pytest.param({"a": ["Missing data for required field."]}, {"a": "必须填写"}, id="flat"),
    pytest.param({"a": {0: {"b": ["Not a valid integer."]}, 3: ["Unknown field."]}},
                 {"a.0.b": "应为整数", "a.3": "不认识的字段"}, id="nested_with_positions"),
    pytest.param({"a": {"_schema": ["Invalid input type."]}}, {"a": "应为对象（键值对）"}, id="schema_message_on_its_parent"),
    pytest.param({"a": ["Must be greater than or equal to 1 and less than or equal to 500."]},
                 {"a": "须在 1 到 500 之间"}, id="range"),
    pytest.param({"a": ["标题不能为空", "Longer than maximum length 200."]}, {"a": "标题不能为空 长度最多为 200"},
                 id="our_own_words_pass_unchanged"),
])
def test_flatten_and_translate(app, messages, expected):
    with app.test_request_context():
        assert flatten(messages) == expected


def test_an_unknown_library_message_is_kept_rather_than_lost(app):
    with app.test_request_context():
        assert translate("Something new.") == "Something new."
