"""Every download says what it is once: text with its charset once (utf-8), binary files with none."""

from __future__ import annotations

import pytest

from deliberation import documents
from deliberation.minutes import services

TEXT = {"md": "text/markdown", "html": "text/html", "csv": "text/csv"}
BINARY = {"pdf": "application/pdf", "docx": documents.DOCX_TYPE, "xlsx": documents.XLSX_TYPE}


def assert_one_type(content_type: str, fmt: str) -> None:
    parts = [part.strip().lower() for part in content_type.split(";")]
    charsets = [part for part in parts if part.startswith("charset=")]
    if fmt in TEXT:
        assert parts[0] == TEXT[fmt] and charsets == ["charset=utf-8"], content_type
    else:
        assert parts == [BINARY[fmt]], content_type


@pytest.mark.parametrize("mimetype", [documents.CSV_TYPE, documents.MARKDOWN_TYPE, documents.HTML_TYPE,
                                      documents.XLSX_TYPE, documents.DOCX_TYPE, documents.PDF_TYPE])
def test_a_download_keeps_the_type_it_is_given(app, mimetype):
    with app.test_request_context():
        response = documents.download("议事", "纪要.txt", mimetype)
    assert response.headers["Content-Type"] == mimetype
    assert response.headers["Content-Type"].lower().count("charset") == (1 if mimetype.startswith("text/") else 0)


@pytest.fixture
def published(session, run, secretary):
    services.save_draft(session, secretary, run.consultation, closing_notes="同意实施。", host="王书记")
    services.publish(session, secretary, run.consultation)
    session.commit()
    return run


@pytest.mark.parametrize("fmt", ["md", "html", "csv", "pdf", "docx", "xlsx"])
def test_minutes_downloads_carry_their_charset_once(client, login, api_token, published, fmt):
    consultation_id = published.consultation.id
    login("wangayi")
    page = client.get(f"/consultations/{consultation_id}/minutes/download?format={fmt}")
    assert page.status_code == 200
    assert_one_type(page.headers["Content-Type"], fmt)
    api = client.get(f"/api/v1/consultations/{consultation_id}/minutes?format={fmt}", headers=api_token("wangayi"))
    assert api.status_code == 200
    assert_one_type(api.headers["Content-Type"], fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_survey_exports_carry_their_charset_once(session, client, login, secretary, community, fmt):
    from deliberation.surveys import builder
    from deliberation.surveys.builder import QuestionInput, SurveyInput

    survey = builder.create_survey(session, secretary, community, SurveyInput(title="需求调查"))
    builder.add_question(session, secretary, survey, QuestionInput("single", "去过吗？", options=["去过", "没去过"]))
    builder.publish_survey(session, secretary, survey)
    session.commit()
    login("shuji")
    response = client.get(f"/surveys/{survey.id}/results.{fmt}")
    assert response.status_code == 200
    assert_one_type(response.headers["Content-Type"], fmt)
