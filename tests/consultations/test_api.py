"""The JSON API: same services, JSON errors, the right status codes, all in the OpenAPI document."""

from __future__ import annotations

from datetime import date

import pytest

from deliberation.consultations import comments
from deliberation.consultations.models import Phase


@pytest.fixture
def headers(api_token):
    return api_token


def test_the_api_needs_a_token(client, consultation):
    response = client.get(f"/api/v1/consultations/{consultation.id}")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_secretary_runs_a_session_through_the_api(client, headers, secretary, community, resident, session):
    auth = headers("shuji")
    created = client.post(
        f"/api/v1/communities/{community.id}/consultations",
        headers=auth,
        json={"title": "党群服务站升级改造方案征询", "background": "面积小", "eligibility": "community"},
    )
    assert created.status_code == 201, created.get_json()
    cid = created.get_json()["id"]
    assert created.get_json()["phase"] == "draft"
    assert client.get(f"/api/v1/consultations/{cid}", headers=headers("wangayi")).status_code == 404
    patched = client.patch(f"/api/v1/consultations/{cid}", headers=auth, json={"pre_moderation": True})
    assert patched.status_code == 200 and patched.get_json()["pre_moderation"] is True
    assert patched.get_json()["title"] == "党群服务站升级改造方案征询"
    assert (
        client.post(
            f"/api/v1/consultations/{cid}/phase", headers=auth, json={"phase": "commenting"}
        ).status_code
        == 200
    )
    back = client.post(f"/api/v1/consultations/{cid}/phase", headers=auth, json={"phase": "draft"})
    assert back.status_code == 409 and "只能向后推进" in back.get_json()["error"]["message"]
    proposal = client.post(
        f"/api/v1/consultations/{cid}/proposals",
        headers=auth,
        json={"title": "方案一", "body": "正文 <script>x</script>", "is_variant": True},
    )
    assert proposal.status_code == 201
    pid = proposal.get_json()["id"]
    assert "<script" not in proposal.get_json()["versions"][0]["body_html"]
    version = client.post(
        f"/api/v1/proposals/{pid}/versions",
        headers=auth,
        json={"title": "方案一", "body": "新正文", "change_note": "根据意见修改"},
    )
    assert version.status_code == 201 and version.get_json()["current_version"] == 2
    rounds = client.post(
        f"/api/v1/consultations/{cid}/rounds", headers=auth, json={"closes_at": f"{date.today().year + 2}-01-01T00:00:00+08:00"}
    )
    assert rounds.status_code == 201 and rounds.get_json()["state"] == "open"
    listing = client.get(f"/api/v1/communities/{community.id}/consultations", headers=headers("wangayi"))
    assert [c["id"] for c in listing.get_json()] == [cid]


def test_a_resident_comments_replies_supports_and_reports_through_the_api(
    client, headers, consultation, round_, resident, neighbour, secretary
):
    mine = headers("wangayi")
    theirs = headers("lishushu")
    url = f"/api/v1/consultations/{consultation.id}/comments"
    question = client.post(url, headers=mine, json={"body": "这次升级真的有必要吗？"})
    assert question.status_code == 201
    qid = question.get_json()["id"]
    reply = client.post(url, headers=theirs, json={"body": "我也想知道", "parent_id": qid})
    assert reply.status_code == 201 and reply.get_json()["thread_id"] == qid
    answer = client.post(
        url, headers=headers("shuji"), json={"body": "有必要", "parent_id": qid, "official_answer": True}
    )
    assert answer.status_code == 201
    assert (
        client.post(
            url, headers=theirs, json={"body": "冒充", "parent_id": qid, "official_answer": True}
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/comments/{qid}/support", headers=theirs).status_code == 200
    again = client.post(f"/api/v1/comments/{qid}/support", headers=theirs)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert client.delete(f"/api/v1/comments/{qid}/support", headers=theirs).get_json()["support_count"] == 0
    assert (
        client.post(f"/api/v1/comments/{qid}/reports", headers=theirs, json={"reason": "跑题"}).status_code
        == 201
    )
    listing = client.get(url + "?sort=newest", headers=mine).get_json()
    [item] = listing["items"]
    assert [r["is_official_answer"] for r in item["replies"]] == [True, False]


@pytest.mark.parametrize(
    ("body", "field"), [({"body": ""}, "body"), ({"body": "很" * 5001}, "body"), ({}, "body")]
)
def test_bad_comment_input_is_a_422_with_fields(client, headers, consultation, round_, resident, body, field):
    response = client.post(
        f"/api/v1/consultations/{consultation.id}/comments", headers=headers("wangayi"), json=body
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_a_comment_on_a_closed_round_is_a_409(
    client, headers, session, consultation, round_, resident, secretary
):
    comments.close_round(session, secretary, round_)
    session.commit()
    response = client.post(
        f"/api/v1/consultations/{consultation.id}/comments", headers=headers("wangayi"), json={"body": "晚了"}
    )
    assert response.status_code == 409


def test_residents_get_403_for_moderator_actions_and_outsiders_404(
    client, headers, session, consultation, round_, resident, outsider, community
):
    comment = comments.post_comment(session, resident, consultation, "意见")
    session.commit()
    mine = headers("wangayi")
    assert (
        client.post(
            f"/api/v1/communities/{community.id}/consultations", headers=mine, json={"title": "x"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/consultations/{consultation.id}/phase", headers=mine, json={"phase": "voting"}
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/comments/{comment.id}/hide", headers=mine, json={"reason": "x"}).status_code
        == 403
    )
    outside = headers("zhaojie")
    for method, path in (
        ("get", f"/api/v1/consultations/{consultation.id}"),
        ("get", f"/api/v1/consultations/{consultation.id}/comments"),
        ("post", f"/api/v1/comments/{comment.id}/support"),
        ("get", f"/api/v1/communities/{community.id}/consultations"),
        ("get", f"/api/v1/communities/{community.id}/ideas"),
    ):
        response = getattr(client, method)(path, headers=outside)
        assert response.status_code == 404, path
        assert "意见" not in str(response.get_json())


def test_hide_and_restore_through_the_api(
    client, headers, session, consultation, round_, resident, secretary
):
    comment = comments.post_comment(session, resident, consultation, "粗话")
    session.commit()
    auth = headers("shuji")
    hidden = client.post(f"/api/v1/comments/{comment.id}/hide", headers=auth, json={"reason": "不文明"})
    assert hidden.status_code == 200 and hidden.get_json()["body"] == "粗话"  # moderators still read it
    resident_view = client.get(
        f"/api/v1/consultations/{consultation.id}/comments", headers=headers("wangayi")
    ).get_json()["items"][0]
    assert resident_view["body"] is None and resident_view["hidden_reason"] == "不文明"
    assert (
        client.post(f"/api/v1/comments/{comment.id}/hide", headers=auth, json={"reason": ""}).status_code
        == 422
    )
    assert (
        client.post(f"/api/v1/comments/{comment.id}/restore", headers=auth).get_json()["status"]
        == "published"
    )


def test_ideas_through_the_api(client, headers, community, resident, neighbour):
    posted = client.post(
        f"/api/v1/communities/{community.id}/ideas",
        headers=headers("wangayi"),
        json={"title": "加装长椅", "body": "老人走累了没地方坐"},
    )
    assert posted.status_code == 201
    iid = posted.get_json()["id"]
    assert client.post(f"/api/v1/ideas/{iid}/support", headers=headers("lishushu")).status_code == 200
    assert client.post(f"/api/v1/ideas/{iid}/support", headers=headers("lishushu")).status_code == 409
    wall = client.get(f"/api/v1/communities/{community.id}/ideas", headers=headers("lishushu")).get_json()
    assert wall["items"][0]["support_count"] == 1 and wall["items"][0]["supported"] is True
    assert (
        client.post(
            f"/api/v1/communities/{community.id}/ideas",
            headers=headers("wangayi"),
            json={"title": "", "body": "x"},
        ).status_code
        == 422
    )


def test_a_draft_is_a_404_for_residents_in_the_api(client, headers, make_consultation, resident):
    draft = make_consultation(phase=Phase.DRAFT)
    assert client.get(f"/api/v1/consultations/{draft.id}", headers=headers("wangayi")).status_code == 404


def test_every_endpoint_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/communities/{community_id}/consultations",
        "/api/v1/consultations/{consultation_id}",
        "/api/v1/consultations/{consultation_id}/phase",
        "/api/v1/consultations/{consultation_id}/proposals",
        "/api/v1/proposals/{proposal_id}/versions",
        "/api/v1/consultations/{consultation_id}/comments",
        "/api/v1/comments/{comment_id}/support",
        "/api/v1/comments/{comment_id}/reports",
        "/api/v1/comments/{comment_id}/hide",
        "/api/v1/comments/{comment_id}/restore",
        "/api/v1/communities/{community_id}/ideas",
    ):
        assert path in paths, path
    assert {"get", "patch"} <= set(paths["/api/v1/consultations/{consultation_id}"])
