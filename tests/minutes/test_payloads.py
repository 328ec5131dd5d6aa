"""The XSS corpus through the minutes: no export carries anything a viewer would run (issue 8, item 3)."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from pathlib import Path

from openpyxl import load_workbook

from deliberation import documents
from deliberation.consultations.models import Comment
from deliberation.minutes import services
from tests.minutes.conftest import run_consultation

PAYLOADS = [line for line in (Path(__file__).parents[1] / "security" / "payloads.txt").read_text().splitlines()
            if line and not line.startswith("#")]
RUNNABLE_TAGS = {"script", "iframe", "object", "embed", "frame", "frameset", "applet", "base", "form", "meta"}


class Elements(HTMLParser):
    """Every element and attribute of a document, as a browser's parser would see them."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in RUNNABLE_TAGS and tag != "meta":
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value and \
                    value.strip().lower().startswith(("javascript:", "vbscript:", "data:")):
                self.problems.append(f"<{tag} {name}={value[:30]}>")


def test_payloads_through_every_minutes_export(session, secretary, residents, community):
    run = run_consultation(session, secretary, residents, community, close=False)
    consultation = run.consultation
    everything = "\n\n".join(PAYLOADS)
    consultation.background = everything[:20000]
    # The most-supported concern and its official answer are quoted in the minutes.
    concern = session.query(Comment).filter_by(consultation_id=consultation.id, body=run.concern_text).one()
    concern.body = everything[:5000]
    answer = session.query(Comment).filter_by(consultation_id=consultation.id, body=run.answer_text).one()
    answer.body = everything[5000:10000] or everything[:5000]
    services.save_draft(session, secretary, consultation, closing_notes=everything[:10000],
                        host=PAYLOADS[0][:50], recorder=PAYLOADS[1][:50])
    session.commit()

    html = services.export(session, secretary, consultation, "html", draft=True)[0].decode()
    parser = Elements()
    parser.feed(html)
    assert parser.problems == [], parser.problems[:10]
    assert concern.body[:20].replace("<", "&lt;")[:10] in html or concern.body[:10] in html  # quoted, as text

    markdown = services.export(session, secretary, consultation, "md", draft=True)[0].decode()
    assert "<" not in markdown.replace("&lt;", "")
    assert "](javascript:" not in markdown.lower() and "](data:" not in markdown.lower()

    table = services.export(session, secretary, consultation, "csv", draft=True)[0].decode("utf-8-sig")
    for row in csv.reader(io.StringIO(table)):
        for cell in row:
            assert not cell.startswith(documents.FORMULA_STARTS), cell
    book = load_workbook(io.BytesIO(services.export(session, secretary, consultation, "xlsx", draft=True)[0]))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(documents.FORMULA_STARTS), cell.value
