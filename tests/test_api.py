"""The JSON API skeleton: tokens, errors, the OpenAPI document."""

from __future__ import annotations

import pytest


def test_token_then_me(client, make_user, community, api_token):
    make_user("resident1", community)
    me = client.get("/api/v1/me", headers=api_token("resident1")).get_json()
    assert me["username"] == "resident1"
    assert me["memberships"] == [{"community_id": community.id, "community": community.name, "role": "resident"}]


@pytest.mark.parametrize("body", [{"username": "resident1", "password": "wrong"},
                                  {"username": "nobody", "password": "wrong"}])
def test_bad_credentials_answer_401_with_the_error_body(client, make_user, community, body):
    make_user("resident1", community)
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.get_json()["error"]["message"] == "用户名或密码不正确"


def test_missing_fields_answer_422_naming_them(client):
    response = client.post("/api/v1/auth/token", json={"username": "x"})
    assert response.status_code == 422
    assert "password" in response.get_json()["error"]["fields"]


def test_no_token_401_and_a_session_cookie_is_not_enough(client, make_user, community, login):
    make_user("resident1", community)
    login("resident1")
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert set(response.get_json()["error"]) == {"code", "message", "fields"}


def test_another_communitys_object_answers_404(client, make_user, make_community, community, api_token):
    other = make_community("梧桐居民区")
    make_user("resident1", community)
    headers = api_token("resident1")
    assert client.get(f"/api/v1/communities/{community.id}", headers=headers).status_code == 200
    response = client.get(f"/api/v1/communities/{other.id}", headers=headers)
    assert response.status_code == 404
    assert "梧桐" not in response.get_data(as_text=True)


def test_unknown_api_path_answers_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_error_messages_follow_the_request_language(client):
    response = client.post("/api/v1/auth/token", json={"username": "a", "password": "b"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 401  # Chinese unless the user chose English; the body is still JSON
    assert response.is_json


def test_openapi_document_describes_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/auth/token", "/api/v1/me", "/api/v1/communities/{community_id}",
                 "/api/v1/communities/{community_id}/roster"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    # A refusal may name facts beside its message (a conflict's booking, the vote holding a version): allowed.
    assert spec["components"]["schemas"]["ErrorDetail"]["additionalProperties"] is True
