"""The API: JSON or a file, drafts for moderators, publish, and the OpenAPI document."""

from __future__ import annotations

from urllib.parse import quote

from tests.minutes.conftest import TITLE


def test_the_api_drafts_publishes_and_exports(client, api_token, run):
    moderator = api_token("shuji")
    url = f"/api/v1/consultations/{run.consultation.id}/minutes"
    draft = client.put(f"{url}/draft", json={"closing_notes": "同意实施。", "host": "王书记"}, headers=moderator)
    assert draft.status_code == 200 and draft.get_json()["status"] == "draft"
    published = client.post(f"{url}/publish", headers=moderator)
    assert published.status_code == 201
    body = published.get_json()
    assert body["number"] == 1 and body["status"] == "published" and len(body["content_digest"]) == 64
    resident = api_token("wangayi")
    data = client.get(url, headers=resident).get_json()
    assert [v["number"] for v in data["versions"]] == [1]
    assert data["contents"]["title"] == TITLE and data["contents"]["closing_notes"] == "同意实施。"
    docx = client.get(f"{url}?format=docx", headers=resident)
    assert docx.status_code == 200
    assert docx.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert f"filename*=UTF-8''{quote(TITLE + '-会议纪要-第1版.docx')}" in docx.headers["Content-Disposition"]
    csv = client.get(f"{url}?format=csv&version=1", headers=resident)
    assert csv.mimetype == "text/csv" and csv.data.startswith("\ufeff".encode())


def test_the_api_keeps_drafts_from_residents(client, api_token, run):
    resident = api_token("wangayi")
    url = f"/api/v1/consultations/{run.consultation.id}/minutes"
    assert client.get(url, headers=resident).status_code == 404
    assert client.get(f"{url}?draft=true&format=pdf", headers=resident).status_code == 404
    refused = client.put(f"{url}/draft", json={"closing_notes": "我来"}, headers=resident)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    preview = client.get(f"{url}?draft=true", headers=api_token("shuji")).get_json()
    assert preview["contents"]["draft"] is True and preview["versions"] == []


def test_the_api_answers_401_and_404(client, api_token, run, outsider):
    url = f"/api/v1/consultations/{run.consultation.id}/minutes"
    assert client.get(url).status_code == 401
    assert client.get(f"{url}?format=pdf", headers=api_token("zhaojie")).status_code == 404
    bad = client.get(f"{url}?format=exe", headers=api_token("shuji"))
    assert bad.status_code == 422 and "format" in bad.get_json()["error"]["fields"]


def test_every_endpoint_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    base = "/api/v1/consultations/{consultation_id}/minutes"
    assert "get" in paths[base]
    assert "put" in paths[f"{base}/draft"] and "post" in paths[f"{base}/publish"]
    assert "application/pdf" in paths[base]["get"]["responses"]["200"]["content"]
