"""The voting API: exact paths and statuses of the issue."""

from __future__ import annotations

from sqlalchemy import func, select

from deliberation.audit import AuditEvent
from deliberation.voting.models import Ballot, Vote
from tests.announced import close_and_announce
from tests.voting.rolls import post_roll_and_let_it_run


def _create(client, headers, consultation, **body):
    body = {"title": "是否同意方案一", **body}
    response = client.post(f"/api/v1/consultations/{consultation.id}/votes", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_open_cast_change_close_result_receipts(client, session, api_token, secretary, residents,
                                                       consultation, proposals):
    mod = api_token("shuji")
    created = _create(client, mod, consultation, proposal_id=proposals[0].id, rule="civil_code_ordinary")
    assert created["state"] == "draft" and created["basis"] == "owner"
    assert "三分之二以上" in created["rule_text"]
    vote_id = created["id"]
    unposted = client.post(f"/api/v1/votes/{vote_id}/open", headers=mod)
    assert unposted.status_code == 409 and "公示" in unposted.get_json()["error"]["message"]
    post_roll_and_let_it_run(session, secretary, session.get(Vote, vote_id))
    session.commit()
    opened = client.post(f"/api/v1/votes/{vote_id}/open", headers=mod).get_json()
    assert opened["state"] == "open" and opened["electorate"] == 3

    wang = api_token("wangayi")
    first = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "disagree"}, headers=wang)
    assert first.status_code == 201 and first.get_json()["receipt"]
    changed = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=wang)
    assert changed.status_code == 200 and changed.get_json()["changed"] is True
    for name in ("lishushu", "zhaoxiansheng"):
        r = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=api_token(name))
        assert r.status_code == 201
    tenant = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=api_token("zuhu"))
    assert tenant.status_code == 403
    bad = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "yes"}, headers=wang)
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid"

    early = client.get(f"/api/v1/votes/{vote_id}/receipts", headers=wang)
    assert early.status_code == 409
    running = client.get(f"/api/v1/votes/{vote_id}/result", headers=wang)
    assert running.status_code == 403  # show_running is off

    closed = client.post(f"/api/v1/votes/{vote_id}/close", headers=mod)
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    late = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=wang)
    assert late.status_code == 409

    result = client.get(f"/api/v1/votes/{vote_id}/result", headers=wang).get_json()
    assert result["agreed"] is True and result["final"] is False and result["preliminary"] is True
    close_and_announce(session, secretary, session.get(Vote, vote_id))
    result = client.get(f"/api/v1/votes/{vote_id}/result", headers=wang).get_json()
    assert result["agreed"] is True and result["final"] is True and result["preliminary"] is False
    assert result["rule"]["name"] == "civil_code_ordinary"
    assert [c["name"] for c in result["checks"]] == [
        "participation_area", "participation_headcount", "approval_area", "approval_headcount"]
    assert result["tally"]["agree"]["headcount"] == 3
    assert result["summary"].startswith("通过")

    receipts = client.get(f"/api/v1/votes/{vote_id}/receipts", headers=wang).get_json()
    assert receipts["total"] == 3
    assert changed.get_json()["receipt_hash"] in {r["receipt_hash"] for r in receipts["receipts"]}
    assert first.get_json()["receipt_hash"] not in {r["receipt_hash"] for r in receipts["receipts"]}

    refusals = session.execute(select(AuditEvent.data).where(AuditEvent.action == "ballot.refused")).scalars().all()
    assert {d["status"] for d in refusals} == {403, 409, 422}


def test_residents_cannot_create_or_open(client, api_token, residents, consultation, proposals):
    wang = api_token("wangayi")
    r = client.post(f"/api/v1/consultations/{consultation.id}/votes",
                    json={"title": "x", "proposal_id": proposals[0].id}, headers=wang)
    assert r.status_code == 403


def test_other_community_gets_404(client, api_token, make_vote, outsider):
    vote = make_vote()
    r = client.post(f"/api/v1/votes/{vote.id}/ballot", json={"choice": "agree"}, headers=api_token("zhaojie"))
    assert r.status_code == 404


def test_paper_ballots_in_bulk_and_conflict(client, session, api_token, make_vote, residents, secretary):
    vote = make_vote(rule_name="civil_code_ordinary")
    client.post(f"/api/v1/votes/{vote.id}/ballot", json={"choice": "agree"}, headers=api_token("lishushu"))
    building = residents["li"].person.household.unit.building
    r = client.post(f"/api/v1/votes/{vote.id}/paper-ballots", headers=api_token("shuji"), json={
        "building_id": building.id,
        "entries": [{"room": "101", "choice": "2"}, {"room": "102", "choice": "同意"}, {"room": "999", "choice": "1"},
                    {"room": "103", "choice": "1"}]})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [o["status"] for o in body["outcomes"]] == ["conflict", "recorded", "error", "error"]
    ballots = dict(session.execute(select(Ballot.voter_key, Ballot.choice).where(Ballot.vote_id == vote.id)).all())
    assert ballots[f"o:{residents['li'].person_id}"] == "agree"  # never silently overwritten
    assert ballots[f"o:{residents['zhao'].person_id}"] == "agree"
    assert session.execute(select(func.count()).select_from(Ballot)).scalar() == 2


def test_openapi_lists_every_endpoint(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/consultations/{consultation_id}/votes", "/api/v1/votes/{vote_id}/open",
                 "/api/v1/votes/{vote_id}/close", "/api/v1/votes/{vote_id}/ballot",
                 "/api/v1/votes/{vote_id}/paper-ballots", "/api/v1/votes/{vote_id}/result",
                 "/api/v1/votes/{vote_id}/receipts"):
        assert path in paths, path
