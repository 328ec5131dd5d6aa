"""The written proxies' API: each stage, each refusal with a clear message, nothing written, every refusal audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deliberation.audit import AuditEvent
from deliberation.voting.models import Ballot, VoteProxy


def _count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar()


def _refusals(session, action: str) -> list[dict]:
    return list(session.execute(select(AuditEvent.data).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)).scalars())


@pytest.fixture
def owner_vote(make_vote):
    return make_vote(basis="owner")


def test_record_list_cast_revoke_and_the_result_by_channel(client, session, api_token, secretary, residents,
                                                           owner_vote):
    wang, mod, holder = api_token("wangayi"), api_token("shuji"), api_token("zuhu")
    tenant = residents["tenant"]
    url = f"/api/v1/votes/{owner_vote.id}"
    # The owner online, naming the proxy by building, room and name.
    given = client.post(f"{url}/proxies", headers=wang, json={
        "proxy": {"building_id": tenant.person.household.unit.building_id, "room": "303室", "name": "zuhu"},
        "instruction": "agree"})
    assert given.status_code == 201, given.get_json()
    body = given.get_json()
    assert (body["source"], body["instruction"], body["instruction_label"], body["state"]) == (
        "online", "agree", "同意", "standing")
    assert body["owner_units"] == "3号楼302室" and body["proxy_name"] == "zuhu"
    # The moderator from a signed paper form: 由受托人决定.
    paper = client.post(f"{url}/proxies", headers=mod, json={
        "owner": {"person_id": residents["li"].person_id}, "proxy": {"person_id": tenant.person_id},
        "instruction": None})
    assert paper.status_code == 201 and paper.get_json()["source"] == "paper"
    assert paper.get_json()["instruction_label"] == "由受托人决定"
    listed = client.get(f"{url}/proxies", headers=mod).get_json()
    assert listed["total"] == 2 and listed["limit"] == 3
    mine = client.get(f"{url}/proxies", headers=holder).get_json()
    assert {p["owner_name"] for p in mine["proxies"]} == {"wangayi", "lishushu"}
    assert client.get(f"{url}/proxies", headers=api_token("zhaoxiansheng")).get_json()["proxies"] == []

    cast = client.post(f"{url}/proxy-ballot", headers=holder, json={"proxy_id": body["id"], "choice": "agree"})
    assert cast.status_code == 201 and cast.get_json()["choice"] == "agree"
    revoked = client.post(f"{url}/proxies/revoke", headers=mod, json={"proxy_id": paper.get_json()["id"]})
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    client.post(f"{url}/ballot", headers=api_token("lishushu"), json={"choice": "disagree"})
    assert client.post(f"{url}/close", headers=mod).status_code == 200
    result = client.get(f"{url}/result", headers=wang).get_json()
    assert (result["online"], result["paper"], result["proxy"], result["participants"]) == (1, 0, 1, 2)
    receipts = client.get(f"{url}/receipts", headers=wang).get_json()
    assert sorted(r["source"] for r in receipts["receipts"]) == ["online", "proxy"]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/votes/{vote_id}/proxies", "/api/v1/votes/{vote_id}/proxies/revoke",
            "/api/v1/votes/{vote_id}/proxy-ballot"} <= set(paths)


def _setup_refusal(client, session, api_token, residents, owner_vote, case):
    """Make the world of one refusal; return (who, path, body)."""
    url = f"/api/v1/votes/{owner_vote.id}"
    mod = api_token("shuji")
    tenant, wang = residents["tenant"], residents["wang"]
    if case == "owner_outside_the_electorate":
        return mod, f"{url}/proxies", {"owner": {"person_id": tenant.person_id},
                                       "proxy": {"person_id": wang.person_id}, "instruction": "agree"}
    if case == "over_the_limit":
        for name in ("wang", "li", "zhao"):
            r = client.post(f"{url}/proxies", headers=mod, json={
                "owner": {"person_id": residents[name].person_id}, "proxy": {"person_id": tenant.person_id}})
            assert r.status_code == 201
        return mod, f"{url}/proxies", {"owner": {"person_id": residents["fourth"]},
                                       "proxy": {"person_id": tenant.person_id}}
    proxy = client.post(f"{url}/proxies", headers=api_token("wangayi"), json={
        "proxy": {"person_id": tenant.person_id}, "instruction": "agree"}).get_json()["id"]
    if case == "against_the_instruction":
        return api_token("zuhu"), f"{url}/proxy-ballot", {"proxy_id": proxy, "choice": "disagree"}
    if case == "revoked_proxy_casting":
        assert client.post(f"{url}/proxies/revoke", headers=api_token("wangayi"),
                           json={"proxy_id": proxy}).status_code == 200
        return api_token("zuhu"), f"{url}/proxy-ballot", {"proxy_id": proxy, "choice": "agree"}
    if case == "owner_voted_first":
        assert client.post(f"{url}/ballot", headers=api_token("wangayi"), json={"choice": "abstain"}).status_code == 201
        return api_token("zuhu"), f"{url}/proxy-ballot", {"proxy_id": proxy, "choice": "agree"}
    if case == "not_the_proxy":
        return api_token("lishushu"), f"{url}/proxy-ballot", {"proxy_id": proxy, "choice": "agree"}
    if case == "revoke_by_someone_else":
        return api_token("lishushu"), f"{url}/proxies/revoke", {"proxy_id": proxy}
    raise AssertionError(case)


def _extra_owner(session, residents) -> int:
    from deliberation.accounts.models import Ownership, Person, Tenure, Unit
    other = Person(community_id=residents["wang"].person.community_id, name="第四位业主", tenure=Tenure.OWNER,
                   birth_year=1970)
    unit = Unit(building_id=residents["wang"].person.household.unit.building_id, room="308", area=70)
    session.add_all([other, unit])
    session.flush()
    session.add(Ownership(person_id=other.id, unit_id=unit.id))
    session.commit()
    return other.id


@pytest.mark.parametrize(("case", "status", "action", "words"), [
    pytest.param("owner_outside_the_electorate", 422, "proxy.refused", "不在本次表决的业主名册中", id="outside"),
    pytest.param("against_the_instruction", 403, "ballot.proxy_refused", "只能按委托投票", id="against"),
    pytest.param("revoked_proxy_casting", 409, "ballot.proxy_refused", "已撤销", id="revoked"),
    pytest.param("owner_voted_first", 409, "ballot.proxy_refused", "业主本人已投票", id="owner_first"),
    pytest.param("not_the_proxy", 403, "ballot.proxy_refused", "不是给您的", id="not_the_proxy"),
    pytest.param("revoke_by_someone_else", 403, "proxy.refused", "委托人本人或主持人", id="revoke_other"),
])
def test_each_refusal_is_clear_writes_nothing_and_is_audited(client, session, api_token, secretary, residents,
                                                             owner_vote, case, status, action, words):
    who, path, body = _setup_refusal(client, session, api_token, residents, owner_vote, case)
    proxies_before, ballots_before = _count(session, VoteProxy), _count(session, Ballot)
    revoked_before = session.execute(select(func.count()).where(VoteProxy.revoked_at.is_not(None))).scalar()
    refused = client.post(path, headers=who, json=body)
    assert refused.status_code == status, refused.get_json()
    assert words in refused.get_json()["error"]["message"]
    session.expire_all()
    assert (_count(session, VoteProxy), _count(session, Ballot)) == (proxies_before, ballots_before)
    assert session.execute(select(func.count()).where(VoteProxy.revoked_at.is_not(None))).scalar() == revoked_before
    audited = _refusals(session, action)
    assert audited and audited[-1]["status"] == status and words in audited[-1]["reason"]


def test_the_limit_refusal_is_audited_with_the_limit(client, session, api_token, secretary, residents, make_vote):
    residents = {**residents, "fourth": _extra_owner(session, residents)}  # a fourth owner, on the roll
    owner_vote = make_vote(basis="owner")
    who, path, body = _setup_refusal(client, session, api_token, residents, owner_vote, "over_the_limit")
    refused = client.post(path, headers=who, json=body)
    assert refused.status_code == 409 and "最多受托 3 份" in refused.get_json()["error"]["message"]
    assert _count(session, VoteProxy) == 3
    assert "最多受托 3 份" in _refusals(session, "proxy.refused")[-1]["reason"]


def test_refusals_answer_in_the_requests_language(client, api_token, residents, owner_vote):
    refused = client.post(f"/api/v1/votes/{owner_vote.id}/proxies", json={
        "owner": {"person_id": residents["tenant"].person_id}, "proxy": {"person_id": residents["li"].person_id}},
        headers={**api_token("shuji"), "Accept-Language": "en"})
    assert refused.status_code == 422
    assert "electorate" in refused.get_json()["error"]["message"]


def test_an_unknown_person_by_room_and_name_is_a_field_error(client, api_token, residents, owner_vote):
    refused = client.post(f"/api/v1/votes/{owner_vote.id}/proxies", headers=api_token("wangayi"), json={
        "proxy": {"building_id": residents["li"].person.household.unit.building_id, "room": "999", "name": "无名"}})
    assert refused.status_code == 422 and "proxy" in refused.get_json()["error"]["fields"]
