"""The result posted, then announced, through the API and the pages: every stage, every refusal (a clear
message, nothing written, an audit event), and 404 across communities."""

from __future__ import annotations

import pytest

from deliberation.audit import AuditEvent
from deliberation.voting import announcement
from deliberation.voting.casting import cast_ballot
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.models import Vote, VoteObjection
from tests.announced import run_window


def _refusals(session, action: str) -> list[AuditEvent]:
    return session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id).all()


@pytest.fixture
def closed_vote(session, secretary, residents, make_vote):
    """An owners' vote (Civil Code): wang and li agree, zhao disagrees; closed, its result preliminary."""
    vote = make_vote(rule_name="civil_code_ordinary")
    for name, choice in (("wang", "agree"), ("li", "agree"), ("zhao", "disagree")):
        cast_ballot(session, residents[name], vote, choice)
    close_vote(session, secretary, vote)
    session.commit()
    return vote


@pytest.fixture
def moderator_b(make_user, other_community):
    return make_user("shuji_b", other_community, role="moderator")


# -- the API ------------------------------------------------------------------------------------


def test_the_vote_carries_its_window_and_finality(client, api_token, consultation, proposals):
    mod = api_token("shuji")
    created = client.post(f"/api/v1/consultations/{consultation.id}/votes", headers=mod, json={
        "title": "居民意见征询", "proposal_id": proposals[0].id, "objection_days": 0}).get_json()
    assert created["objection_days"] == 0 and created["final"] is False and created["objections_until"] is None
    refused = client.post(f"/api/v1/consultations/{consultation.id}/votes", headers=mod, json={
        "title": "业主表决", "proposal_id": proposals[0].id, "rule": "civil_code_ordinary", "objection_days": 0})
    assert refused.status_code == 422 and "objection_days" in refused.get_json()["error"]["fields"]
    too_long = client.post(f"/api/v1/consultations/{consultation.id}/votes", headers=mod, json={
        "title": "表决", "proposal_id": proposals[0].id, "objection_days": 31})
    assert too_long.status_code == 422
    vote_id = created["id"]
    client.post(f"/api/v1/votes/{vote_id}/open", headers=mod)
    closed = client.post(f"/api/v1/votes/{vote_id}/close", headers=mod).get_json()
    assert closed["final"] is True and closed["announced_at"] == closed["closed_at"] == closed["objections_until"]
    assert closed["result_label"] == "已公告"


def test_every_stage_through_the_api(client, session, api_token, secretary, residents, closed_vote):
    vote_id = closed_vote.id
    mod, li = api_token("shuji"), api_token("lishushu")
    shown = client.get(f"/api/v1/votes/{vote_id}", headers=li).get_json()
    assert shown["final"] is False and shown["result_label"] == "结果公示中" and shown["objections_until"]
    result = client.get(f"/api/v1/votes/{vote_id}/result", headers=li).get_json()
    assert result["preliminary"] is True and result["final"] is False
    assert result["preliminary_label"].startswith("初步结果（公示中，至 ")

    lodged = client.post(f"/api/v1/votes/{vote_id}/result-objections", headers=li,
                         json={"kind": "ballot", "reason": "回执清单中没有我的票"})
    assert lodged.status_code == 201, lodged.get_json()
    objection = lodged.get_json()
    assert objection["kind_label"] == "我的表决票不在名单中" and objection["accepted"] is None

    early = client.post(f"/api/v1/votes/{vote_id}/announce", headers=mod)
    assert early.status_code == 409 and "期满后才能公告" in early.get_json()["error"]["message"]
    run_window(session, closed_vote)
    waiting = client.post(f"/api/v1/votes/{vote_id}/announce", headers=mod)
    assert waiting.status_code == 409 and "尚未答复" in waiting.get_json()["error"]["message"]

    listed = client.get(f"/api/v1/votes/{vote_id}/result-objections", headers=mod).get_json()
    assert listed["total"] == 1 and listed["unanswered"] == 1
    assert client.get(f"/api/v1/votes/{vote_id}/result-objections", headers=api_token("wangayi")).get_json()[
        "total"] == 0  # another's objection stays theirs
    answered = client.post(f"/api/v1/votes/{vote_id}/result-objections/{objection['id']}/answer", headers=mod,
                           json={"accepted": True, "answer": "已核对并重新计票", "recount": True})
    assert answered.status_code == 200, answered.get_json()
    correction = answered.get_json()["correction"]
    assert correction["recount"] is True and correction["changed"] is False
    mine = client.get(f"/api/v1/votes/{vote_id}/result-objections", headers=li).get_json()
    assert mine["objections"][0]["answer"] == "已核对并重新计票" and mine["unanswered"] == 0

    announced = client.post(f"/api/v1/votes/{vote_id}/announce", headers=mod)
    assert announced.status_code == 200 and announced.get_json()["final"] is True
    assert client.get(f"/api/v1/votes/{vote_id}/result", headers=li).get_json()["final"] is True
    again = client.post(f"/api/v1/votes/{vote_id}/announce", headers=mod)
    assert again.status_code == 409
    assert [e.data["status"] for e in _refusals(session, "vote.announce_refused")] == [409, 409, 409]
    assert _refusals(session, "vote.announce")  # the announcement itself


@pytest.mark.parametrize(("who", "body", "status"), [
    pytest.param("zuhu", {"kind": "ballot", "reason": "我的票"}, 403, id="a_tenant_is_not_of_the_owners"),
    pytest.param("shuji", {"kind": "ballot", "reason": "我的票"}, 403, id="a_moderator_is_no_voter"),
    pytest.param("lishushu", {"kind": "area", "reason": "面积"}, 422, id="a_rolls_kind"),
    pytest.param("lishushu", {"kind": "ballot", "reason": "长" * 1001}, 422, id="too_long"),
])
def test_refused_objections_write_nothing(client, session, api_token, closed_vote, who, body, status):
    response = client.post(f"/api/v1/votes/{closed_vote.id}/result-objections", headers=api_token(who), json=body)
    assert response.status_code == status and response.get_json()["error"]["message"]
    assert session.query(VoteObjection).count() == 0


def test_an_objection_after_the_window_is_refused_and_audited(client, session, api_token, closed_vote):
    run_window(session, closed_vote)
    response = client.post(f"/api/v1/votes/{closed_vote.id}/result-objections", headers=api_token("lishushu"),
                           json={"kind": "ballot", "reason": "我的票不在名单中"})
    assert response.status_code == 409 and response.get_json()["error"]["message"] == "结果公示期不在进行中，不能提出异议"
    assert session.query(VoteObjection).count() == 0
    (refusal,) = _refusals(session, "vote.objection.refused")
    assert refusal.data["status"] == 409


def test_answers_refused_are_audited(client, session, api_token, residents, closed_vote):
    objection = announcement.lodge(session, residents["li"], closed_vote, "count", "票数不对")
    session.commit()
    url = f"/api/v1/votes/{closed_vote.id}/result-objections/{objection.id}/answer"
    mod = api_token("shuji")
    silent = client.post(url, headers=mod, json={"accepted": False, "answer": ""})
    assert silent.status_code == 422
    recount_rejected = client.post(url, headers=mod, json={"accepted": False, "answer": "无误", "recount": True})
    assert recount_rejected.status_code == 422
    resident = client.post(url, headers=api_token("wangayi"), json={"accepted": True})
    assert resident.status_code == 403
    session.refresh(objection)
    assert objection.answered_at is None
    assert [e.data["status"] for e in _refusals(session, "vote.objection.answer_refused")] == [422, 422]
    assert session.query(AuditEvent).filter_by(action="access.refused").count() >= 1


def test_another_communitys_vote_and_objection_answer_404(client, session, api_token, residents, closed_vote,
                                                          outsider, moderator_b, make_vote, secretary):
    objection = announcement.lodge(session, residents["li"], closed_vote, "count", "票数不对")
    session.commit()
    vote_id = closed_vote.id
    for headers in (api_token("zhaojie"), api_token("shuji_b")):
        assert client.get(f"/api/v1/votes/{vote_id}/result-objections", headers=headers).status_code == 404
        assert client.post(f"/api/v1/votes/{vote_id}/result-objections", headers=headers,
                           json={"kind": "ballot", "reason": "x"}).status_code == 404
        assert client.post(f"/api/v1/votes/{vote_id}/result-objections/{objection.id}/answer", headers=headers,
                           json={"accepted": True}).status_code == 404
        assert client.post(f"/api/v1/votes/{vote_id}/announce", headers=headers).status_code == 404
    # An objection of one vote answered through another vote of the same community: not found either.
    other = make_vote(title="另一个表决")
    close_vote(session, secretary, other)
    session.commit()
    crossed = client.post(f"/api/v1/votes/{other.id}/result-objections/{objection.id}/answer",
                          headers=api_token("shuji"), json={"accepted": True})
    assert crossed.status_code == 404 and crossed.get_json()["error"]["code"] == "not_found"
    session.refresh(objection)
    assert objection.answered_at is None
    assert session.query(AuditEvent).filter_by(action="access.refused").count() >= 8


def test_the_openapi_document_describes_every_stage(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/votes/{vote_id}/result-objections"])
    assert "post" in paths["/api/v1/votes/{vote_id}/result-objections/{objection_id}/answer"]
    assert "post" in paths["/api/v1/votes/{vote_id}/announce"]


# -- the pages ----------------------------------------------------------------------------------


def test_the_vote_page_posts_the_result_and_takes_an_objection(client, session, login, closed_vote):
    login("lishushu")
    page = client.get(f"/votes/{closed_vote.id}").get_data(as_text=True)
    assert "初步结果（公示中，至 " in page and "结果公示中" in page
    assert f'href="/votes/{closed_vote.id}/receipts"' in page and 'id="lodge-objection"' in page
    empty = client.post(f"/votes/{closed_vote.id}/result-objections", data={"kind": "ballot", "reason": "  "})
    assert empty.status_code == 422 and "请填写异议的理由" in empty.get_data(as_text=True)
    assert session.query(VoteObjection).count() == 0
    typed = client.post(f"/votes/{closed_vote.id}/result-objections", data={"kind": "", "reason": "我的票不见了"})
    assert typed.status_code == 422 and "我的票不见了" in typed.get_data(as_text=True)  # kept as typed
    sent = client.post(f"/votes/{closed_vote.id}/result-objections", data={"kind": "ballot", "reason": "我的票不见了"})
    assert sent.status_code == 302
    page = client.get(f"/votes/{closed_vote.id}").get_data(as_text=True)
    assert "我提出的异议" in page and "等待主持人答复" in page
    assert len(_refusals(session, "vote.objection.refused")) == 2


def test_a_resident_outside_the_electorate_sees_no_form(client, login, closed_vote):
    login("zuhu")  # a tenant: not of the owners' electorate
    page = client.get(f"/votes/{closed_vote.id}").get_data(as_text=True)
    assert "初步结果（公示中，至 " in page and 'id="lodge-objection"' not in page


def test_the_moderator_answers_and_announces_by_the_pages(client, session, login, residents, closed_vote):
    objection = announcement.lodge(session, residents["li"], closed_vote, "ballot", "我的票不在名单中")
    session.commit()
    vote_id = closed_vote.id
    login("shuji")
    page = client.get(f"/votes/{vote_id}").get_data(as_text=True)
    assert "1 条待答复" in page and "期满后可公告结果" in page and 'id="announce-vote"' not in page
    listing = client.get(f"/votes/{vote_id}/result-objections").get_data(as_text=True)
    assert "我的票不在名单中" in listing
    url = f"/votes/{vote_id}/result-objections/{objection.id}"
    assert client.get(url).status_code == 200
    silent = client.post(url, data={"accepted": "no", "answer": ""})
    assert silent.status_code == 422 and "答复" in silent.get_data(as_text=True)
    session.refresh(objection)
    assert objection.answered_at is None
    done = client.post(url, data={"accepted": "yes", "answer": "已重新计票", "recount": "y"})
    assert done.status_code == 302
    session.refresh(objection)
    assert objection.accepted is True and objection.correction["recount"] is True

    early = client.post(f"/votes/{vote_id}/announce", data={"confirmed": "yes"})
    assert early.status_code == 303
    assert session.get(Vote, vote_id).announced_at is None
    assert len(_refusals(session, "vote.announce_refused")) == 1
    run_window(session, closed_vote)
    page = client.get(f"/votes/{vote_id}").get_data(as_text=True)
    assert 'id="announce-vote"' in page
    confirm = client.get(f"/votes/{vote_id}/announce").get_data(as_text=True)
    assert "确认公告表决" in confirm
    assert client.post(f"/votes/{vote_id}/announce").status_code == 303  # not confirmed: back to the page
    assert client.post(f"/votes/{vote_id}/announce", data={"confirmed": "yes"}).status_code == 302
    session.expire_all()
    assert session.get(Vote, vote_id).announced_at is not None
    result = client.get(f"/votes/{vote_id}/result").get_data(as_text=True)
    assert "已公告" in result and "初步结果" not in result
    hall = client.get(f"/votes/{vote_id}/hall").get_data(as_text=True)
    assert "已公告" in hall


def test_the_result_page_and_the_hall_say_preliminary(client, login, closed_vote):
    login("wangayi")
    result = client.get(f"/votes/{closed_vote.id}/result").get_data(as_text=True)
    assert "初步结果（公示中，至 " in result and "（初步结果，公示中）" in result
    hall = client.get(f"/votes/{closed_vote.id}/hall").get_data(as_text=True)
    assert "初步结果（公示中，至 " in hall and "结果公示中" in hall


def test_the_vote_form_takes_the_window(client, session, login, consultation, proposals):
    login("shuji")
    form = {"title": "业主表决", "kind": "proposal", "proposal_id": proposals[0].id,
            "rule_name": "civil_code_ordinary", "basis": "owner", "group": "age", "objection_days": "0"}
    refused = client.post(f"/consultations/{consultation.id}/votes/new", data=form)
    assert refused.status_code == 422 and "业主表决至少公示 1 天" in refused.get_data(as_text=True)
    assert session.query(Vote).count() == 0
    made = client.post(f"/consultations/{consultation.id}/votes/new", data={**form, "objection_days": "5"})
    assert made.status_code == 302
    assert session.query(Vote).one().objection_days == 5
