"""Exports: every payload through CSV and XLSX (deliberation/documents.py); no cell a spreadsheet
would evaluate (ASVS V1.2.10); download names safe; sort and search parameters allow-listed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from deliberation import documents

PAYLOADS = [line for line in (Path(__file__).parent / "payloads.txt").read_text().splitlines()
            if line and not line.startswith("#")]
FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(1,1)", "\t=1+1", "\r=1+1", "＝1+1", "=HYPERLINK(\"http://evil\")",
            "=cmd|' /C calc'!A0"]
DANGEROUS = documents.FORMULA_STARTS


def test_there_are_enough_payloads():
    assert len(PAYLOADS) >= 200
    assert any(p.startswith("=") for p in PAYLOADS) and any("javascript:" in p for p in PAYLOADS)


def test_csv_cells_never_start_a_formula():
    rows = [[p, i, p] for i, p in enumerate(PAYLOADS + FORMULAS)]
    data = documents.csv_bytes(["=header", "序号", "内容"], rows)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 Chinese correctly
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(parsed) == len(rows) + 1
    for row in parsed:
        for cell in row:
            assert not cell.startswith(DANGEROUS), cell
    # Text is kept, only marked: the apostrophe is the one change.
    assert parsed[1 + len(PAYLOADS)][0] == "'=1+1"
    assert parsed[1 + len(PAYLOADS)][1] == str(len(PAYLOADS))  # numbers stay numbers


def test_xlsx_cells_are_never_formulas():
    rows = [[p, i] for i, p in enumerate(PAYLOADS + FORMULAS)]
    data = documents.xlsx_bytes([("=sheet", ["=header", "序号"], rows)])
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    count = 0
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str):
                assert not cell.value.startswith(DANGEROUS), cell.value
            count += 1
    assert count == 2 * (len(rows) + 1)


@pytest.mark.parametrize("name", [
    'a"b.csv', "测试.xlsx", "名单; filename=evil.exe",
    "../../etc/passwd.csv", "名单\r\nSet-Cookie: x=1.csv", "a\\b\x00c.pdf",
])
def test_download_names_cannot_break_the_header(app, name):
    with app.test_request_context():
        response = documents.download(b"x", name, documents.CSV_TYPE)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "\r" not in disposition and "\n" not in disposition
    assert "../" not in disposition
    assert "filename" in disposition
    if 'filename="' in disposition:  # the ASCII fallback is one quoted string
        assert disposition.replace('\\"', "").count('"') == 2, disposition  # inner quotes escaped


@pytest.fixture
def world_client(world, clients):
    return clients["mod_a"], world


@pytest.mark.parametrize("query", ["sort=id;DROP TABLE users", "sort=1 desc", "sort=(select 1)",
                                   "sort=newest'--", "q=%' OR 1=1 --", "q=" + "长" * 500, "page=-1",
                                   "page=abc", "page=99999999999999999999", "week=2026-13-45",
                                   "week=1;DROP", "sort[]=x"])
def test_sort_search_and_page_parameters_are_allow_listed(world_client, query):
    (client, bearer), world = world_client
    pages = [
        f"/consultations/{world.obj('A', 'consultation')}",
        f"/communities/{world.obj('A', 'community')}/ideas",
        f"/communities/{world.obj('A', 'community')}/roster",
        f"/communities/{world.obj('A', 'community')}/members",
        f"/rooms/{world.obj('A', 'room')}",
        f"/communities/{world.obj('A', 'community')}/rooms/week",
        f"/api/v1/consultations/{world.obj('A', 'consultation')}/comments",
        f"/api/v1/communities/{world.obj('A', 'community')}/ideas",
    ]
    for path in pages:
        response = client.get(f"{path}?{query}", headers=bearer if path.startswith("/api/") else {})
        assert response.status_code in (200, 400, 422), (path, query, response.status_code)
