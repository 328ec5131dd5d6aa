"""The posted roll's API: every stage (post, read, object, list, answer) and every refusal, in the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from deliberation.audit import AuditEvent
from deliberation.db import utcnow
from deliberation.voting.models import Vote, VoteObjection


@pytest.fixture
def draft(make_vote):
    return make_vote(open_now=False, rule_name="civil_code_ordinary")


def _last_action(session) -> str:
    return session.execute(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)).scalar()


def _objections(session) -> int:
    return session.scalar(select(func.count()).select_from(VoteObjection))


def test_every_stage_from_posting_to_the_opening(client, session, api_token, draft, residents):
    mod, wang = api_token("shuji"), api_token("wangayi")
    assert client.get(f"/api/v1/votes/{draft.id}/roll", headers=wang).status_code == 404  # not posted yet
    posted = client.post(f"/api/v1/votes/{draft.id}/roll", json={}, headers=mod)
    assert posted.status_code == 200, posted.get_json()
    body = posted.get_json()
    assert body["needed"] and body["objections_open"] and body["opening_blockers"]
    read = client.get(f"/api/v1/votes/{draft.id}/roll?per_page=2", headers=wang).get_json()
    assert read["voters"] == 3 and read["area"] == "265.50" and read["total"] == 3 and read["pages"] == 2
    assert read["counted"].startswith("本居民区业主共 3 户") and not read["frozen"]
    first = read["entries"][0]
    assert first["units"][0]["label"] == "3号楼302室" and first["owners"] == ["w*****i"]  # wangayi, masked
    unit_id = first["units"][0]["unit_id"]

    lodged = client.post(f"/api/v1/votes/{draft.id}/roll/objections", headers=wang,
                         json={"kind": "area", "reason": "产证面积为 90.20 ㎡", "unit_id": unit_id})
    assert lodged.status_code == 201 and lodged.get_json()["unit"] == "3号楼302室"
    objection_id = lodged.get_json()["id"]
    mine = client.get(f"/api/v1/votes/{draft.id}/roll/objections", headers=wang).get_json()
    assert [o["id"] for o in mine] == [objection_id]
    assert client.get(f"/api/v1/votes/{draft.id}/roll/objections", headers=api_token("lishushu")).get_json() == []

    refused = client.post(f"/api/v1/votes/{draft.id}/open", headers=mod)
    assert refused.status_code == 409 and "公示期内" in refused.get_json()["error"]["message"]
    assert _last_action(session) == "vote.open_refused"

    answered = client.post(f"/api/v1/votes/{draft.id}/roll/objections/{objection_id}/answer", headers=mod,
                           json={"accepted": True, "answer": "已按产证更正", "area": "90.20"})
    assert answered.status_code == 200, answered.get_json()
    correction = answered.get_json()["correction"]
    assert correction["old"] == "88.50" and correction["new"] == "90.20"
    assert correction["recount"]["after"]["area_cents"] == 26720
    assert client.get(f"/api/v1/votes/{draft.id}/roll", headers=wang).get_json()["area"] == "267.20"

    session.expire_all()
    vote = session.get(Vote, draft.id)
    vote.roll_until = utcnow() - timedelta(minutes=1)  # the period has run
    session.commit()
    opened = client.post(f"/api/v1/votes/{draft.id}/open", headers=mod)
    assert opened.status_code == 200 and opened.get_json()["electorate"] == 3
    frozen = client.get(f"/api/v1/votes/{draft.id}/roll", headers=wang).get_json()
    assert frozen["frozen"] and frozen["area"] == "267.20" and frozen["opening_blockers"] == []


@pytest.mark.parametrize(("body", "status"), [
    pytest.param({"days": 0}, 422, id="zero_days"),
    pytest.param({"days": 61}, 422, id="over_sixty"),
    pytest.param({"days": "seven"}, 422, id="not_a_number"),
])
def test_a_bad_period_is_refused_and_nothing_is_posted(client, session, api_token, draft, body, status):
    response = client.post(f"/api/v1/votes/{draft.id}/roll", json=body, headers=api_token("shuji"))
    assert response.status_code == status and response.get_json()["error"]["message"]
    session.expire_all()
    assert session.get(Vote, draft.id).roll_posted_at is None


def test_posting_refusals_are_audited(client, session, api_token, draft, make_vote, residents):
    mod = api_token("shuji")
    response = client.post(f"/api/v1/votes/{draft.id}/roll", json={"days": 61}, headers=mod)
    assert response.status_code == 422 and "days" in response.get_json()["error"]["fields"]
    assert _last_action(session) == "vote.roll.post_refused"
    residents_vote = make_vote(open_now=False, basis="person")
    response = client.post(f"/api/v1/votes/{residents_vote.id}/roll", json={}, headers=mod)
    assert response.status_code == 409 and _last_action(session) == "vote.roll.post_refused"
    assert client.post(f"/api/v1/votes/{draft.id}/roll", json={}, headers=api_token("wangayi")).status_code == 404


def test_an_objection_after_the_period_is_refused_nothing_written_audited(client, session, api_token, draft, residents,
                                                                         secretary):
    client.post(f"/api/v1/votes/{draft.id}/roll", json={"days": 3}, headers=api_token("shuji"))
    session.expire_all()
    vote = session.get(Vote, draft.id)
    vote.roll_until = utcnow() - timedelta(seconds=1)
    session.commit()
    late = client.post(f"/api/v1/votes/{draft.id}/roll/objections", headers=api_token("wangayi"),
                       json={"kind": "owner", "reason": "已过户"})
    assert late.status_code == 409 and "公示期" in late.get_json()["error"]["message"]
    assert _objections(session) == 0 and _last_action(session) == "vote.objection.refused"
    english = client.post(f"/api/v1/votes/{draft.id}/roll/objections",
                          headers={**api_token("wangayi"), "Accept-Language": "en"},
                          json={"kind": "owner", "reason": "已过户"})
    assert english.status_code == 409 and "objections are not taken" in english.get_json()["error"]["message"]


def test_answers_refused_are_audited_and_write_nothing(client, session, api_token, draft, residents):
    mod = api_token("shuji")
    client.post(f"/api/v1/votes/{draft.id}/roll", json={}, headers=mod)
    unit_id = residents["wang"].person.household.unit_id
    objection_id = client.post(f"/api/v1/votes/{draft.id}/roll/objections", headers=api_token("wangayi"),
                               json={"kind": "area", "reason": "面积有误", "unit_id": unit_id}).get_json()["id"]
    url = f"/api/v1/votes/{draft.id}/roll/objections/{objection_id}/answer"
    for body, field in (({"accepted": False}, "answer"), ({"accepted": True, "area": "-5"}, "area")):
        response = client.post(url, json=body, headers=mod)
        assert response.status_code == 422 and field in response.get_json()["error"]["fields"], response.get_json()
        assert _last_action(session) == "vote.objection.answer_refused"
    session.expire_all()
    assert session.get(VoteObjection, objection_id).answered_at is None
    assert client.post(url, json={"accepted": False, "answer": "x"}, headers=api_token("wangayi")).status_code == 403
    assert client.post(url, json={"accepted": False, "answer": "产证为准"}, headers=mod).status_code == 200
    again = client.post(url, json={"accepted": False, "answer": "再答"}, headers=mod)
    assert again.status_code == 409 and _last_action(session) == "vote.objection.answer_refused"


def test_another_communitys_vote_and_objection_answer_404(client, session, api_token, draft, residents, make_user,
                                                          other_community, outsider):
    client.post(f"/api/v1/votes/{draft.id}/roll", json={}, headers=api_token("shuji"))
    objection_id = client.post(f"/api/v1/votes/{draft.id}/roll/objections", headers=api_token("wangayi"),
                               json={"kind": "other", "reason": "名册有误"}).get_json()["id"]
    make_user("mod_b", other_community, role="moderator")
    mod_b, res_b = api_token("mod_b"), api_token("zhaojie")
    for headers in (mod_b, res_b):
        assert client.get(f"/api/v1/votes/{draft.id}/roll", headers=headers).status_code == 404
        assert client.get(f"/api/v1/votes/{draft.id}/roll/objections", headers=headers).status_code == 404
        assert client.post(f"/api/v1/votes/{draft.id}/roll/objections", headers=headers,
                           json={"kind": "other", "reason": "x"}).status_code == 404
    answer = client.post(f"/api/v1/votes/{draft.id}/roll/objections/{objection_id}/answer", headers=mod_b,
                         json={"accepted": False, "answer": "不采纳"})
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"
    assert client.post(f"/api/v1/votes/{draft.id}/roll", json={}, headers=mod_b).status_code == 404
    session.expire_all()
    assert session.get(VoteObjection, objection_id).answered_at is None


def test_the_roll_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/votes/{vote_id}/roll"])
    assert {"post", "get"} <= set(paths["/api/v1/votes/{vote_id}/roll/objections"])
    assert "post" in paths["/api/v1/votes/{vote_id}/roll/objections/{objection_id}/answer"]


def test_opening_with_an_unanswered_objection_is_refused_then_allowed(client, session, api_token, draft, residents):
    mod = api_token("shuji")
    client.post(f"/api/v1/votes/{draft.id}/roll", json={}, headers=mod)
    objection_id = client.post(f"/api/v1/votes/{draft.id}/roll/objections", headers=api_token("lishushu"),
                               json={"kind": "owner", "reason": "已过户"}).get_json()["id"]
    session.expire_all()
    session.get(Vote, draft.id).roll_until = utcnow() - timedelta(minutes=1)  # the period has run
    session.commit()
    refused = client.post(f"/api/v1/votes/{draft.id}/open", headers=mod)
    assert refused.status_code == 409 and "1 条对名册的异议尚未答复" in refused.get_json()["error"]["message"]
    assert _last_action(session) == "vote.open_refused"
    session.expire_all()
    assert session.get(Vote, draft.id).opened_at is None
    client.post(f"/api/v1/votes/{draft.id}/roll/objections/{objection_id}/answer", headers=mod,
                json={"accepted": False, "answer": "产权登记仍为本人"})
    assert client.post(f"/api/v1/votes/{draft.id}/open", headers=mod).status_code == 200
