"""Pages and downloads: who sees what, and the file a browser gets."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.minutes import services
from tests.minutes.conftest import TITLE


@pytest.fixture
def published(session, run, secretary):
    services.save_draft(session, secretary, run.consultation, closing_notes="同意实施。", host="王书记")
    services.publish(session, secretary, run.consultation)
    session.commit()
    return run.consultation


def test_a_resident_reads_and_downloads_the_published_minutes(client, login, published, session):
    login("wangayi")
    page = client.get(f"/consultations/{published.id}/minutes")
    assert page.status_code == 200
    assert TITLE in page.text and "第1版" in page.text and "同意实施。" in page.text
    assert "保存草稿" not in page.text
    response = client.get(f"/consultations/{published.id}/minutes/download?format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(TITLE + '-会议纪要-第1版.pdf')}" in disposition
    assert response.headers["Cache-Control"] == "private, no-store"
    session.rollback()
    exported = session.execute(select(AuditEvent).where(AuditEvent.action == "minutes.export")).scalars().all()
    assert [(e.data["format"], e.data["version"]) for e in exported] == [("pdf", 1)]


def test_every_format_downloads_with_its_content_type(client, login, published):
    login("wangayi")
    expected = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument."
                "wordprocessingml.document", "md": "text/markdown", "html": "text/html", "csv": "text/csv",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    for fmt, mimetype in expected.items():
        response = client.get(f"/consultations/{published.id}/minutes/download?format={fmt}&version=1")
        assert response.status_code == 200, fmt
        assert response.mimetype == mimetype
        assert f".{fmt}" in response.headers["Content-Disposition"]


def test_the_printable_page_links_its_stylesheet(client, login, published):
    login("wangayi")
    response = client.get(f"/consultations/{published.id}/minutes/document")
    assert response.status_code == 200
    assert 'href="/static/css/minutes.css"' in response.text and "<style>" not in response.text
    assert "minutes-doc" in response.text


def test_a_resident_never_sees_a_draft(client, login, run):
    login("wangayi")
    page = client.get(f"/consultations/{run.consultation.id}/minutes")
    assert page.status_code == 200 and "尚未公布" in page.text and "minutes-doc" not in page.text
    assert client.get(f"/consultations/{run.consultation.id}/minutes/download?format=md").status_code == 404
    assert client.get(f"/consultations/{run.consultation.id}/minutes/download?format=md&draft=1").status_code == 404
    assert client.get(f"/consultations/{run.consultation.id}/minutes/document?draft=1").status_code == 404


def test_a_resident_of_another_community_gets_404(client, login, published, outsider):
    login("zhaojie")
    for url in ("", "/document", "/download?format=pdf", "/download?format=md&version=1"):
        assert client.get(f"/consultations/{published.id}/minutes{url}").status_code == 404, url


def test_without_login_the_pages_send_to_the_login(client, published):
    response = client.get(f"/consultations/{published.id}/minutes/download?format=pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_missing_version_is_404(client, login, published):
    login("wangayi")
    assert client.get(f"/consultations/{published.id}/minutes?version=7").status_code == 404
    assert client.get(f"/consultations/{published.id}/minutes/download?format=md&version=7").status_code == 404


def test_the_moderator_drafts_and_publishes_through_the_page(client, login, run, session):
    consultation_id = run.consultation.id
    login("shuji")
    page = client.get(f"/consultations/{consultation_id}/minutes")
    assert page.status_code == 200 and "起草纪要" in page.text and "草稿（未公布）" in page.text
    saved = client.post(f"/consultations/{consultation_id}/minutes/draft",
                        data={"closing_notes": "同意按修改稿实施。", "host": "王书记", "recorder": "李干事"})
    assert saved.status_code == 302
    page = client.get(f"/consultations/{consultation_id}/minutes?draft=1")
    assert "同意按修改稿实施。" in page.text and "公布第1版纪要" in page.text
    published = client.post(f"/consultations/{consultation_id}/minutes/publish", data={"confirmed": "yes"})
    assert published.status_code == 302 and "version=1" in published.headers["Location"]
    page = client.get(published.headers["Location"])
    assert "已公布的版本" in page.text and "更正说明" in page.text
    bad = client.post(f"/consultations/{consultation_id}/minutes/draft", data={"closing_notes": "x" * 20001})
    assert bad.status_code == 422 and "最多 20000 个字" in bad.text


def test_a_correction_without_its_note_is_refused_on_the_page(client, login, published):
    login("shuji")
    client.post(f"/consultations/{published.id}/minutes/draft", data={"closing_notes": "改"})
    response = client.post(f"/consultations/{published.id}/minutes/publish", data={"confirmed": "yes"},
                           follow_redirects=True)
    assert "更正版须说明改了什么" in response.text


def test_a_resident_cannot_post_a_draft(client, login, run):
    login("wangayi")
    assert client.post(f"/consultations/{run.consultation.id}/minutes/draft",
                       data={"closing_notes": "我来"}).status_code == 403
    assert client.post(f"/consultations/{run.consultation.id}/minutes/publish",
                       data={"confirmed": "yes"}).status_code == 403


def test_the_consultation_partial_links_to_the_minutes(app, published, session):
    from flask import render_template_string
    from flask_login import login_user

    from deliberation.accounts.models import User

    resident = session.execute(select(User).where(User.username == "wangayi")).scalar_one()
    with app.test_request_context():
        login_user(resident)
        html = render_template_string('{% include "minutes/_consultation_minutes.html" %}', consultation=published)
    assert f"/consultations/{published.id}/minutes" in html and "起草" not in html


def test_the_document_stays_chinese_for_a_reader_who_chose_english(client, login, published, session, resident):
    resident.locale = "en"
    session.commit()
    login("wangayi")
    response = client.get(f"/consultations/{published.id}/minutes/download?format=md")
    assert response.status_code == 200
    assert "## 一、基本情况" in response.text and "主持人：王书记" in response.text
    assert client.get(f"/consultations/{published.id}/minutes").status_code == 200
