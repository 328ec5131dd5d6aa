"""The minutes' DOCX and XLSX opened as the neighbourhood's office suites will (LibreOffice, headless):
the Chinese title, the tables' cells and the numbers survive the round trip; and the tables carry what the
printed minutes carry beside the numbers."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from deliberation.minutes import services
from tests.minutes.conftest import TITLE
from tests.office import docx_as_pdf_text, flat, without_page_numbers, xlsx_sheets


@pytest.fixture
def published(session, voted_run, secretary):
    services.save_draft(session, secretary, voted_run.consultation, closing_notes="按修改稿实施，物业负责施工协调。",
                        host="王书记", recorder="李干事")
    services.publish(session, secretary, voted_run.consultation)
    session.commit()
    return voted_run


def printed_cell(cell: str, printed: str) -> bool:
    """The cell is in the text, whole, or (wrapped at its spaces, the next cell read between) word by word."""
    return flat(cell) in printed or all(word in printed for word in cell.split())


def cell_text(value) -> str:
    """A cell as a spreadsheet shows it in CSV: whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@pytest.mark.slow
def test_the_minutes_docx_prints_its_chinese_tables_and_numbers(session, published, secretary, tmp_path):
    data = services.export(session, secretary, published.consultation, "docx")[0]
    text, pages = without_page_numbers(docx_as_pdf_text(data, tmp_path))
    assert len(pages) >= 2 and pages == list(range(1, len(pages) + 1)), "each page numbered by its PAGE field"
    printed = flat(text)
    assert f"{TITLE}会议纪要" in printed
    assert "结论：达成共识" in printed and "表决结果：达成共识" in printed
    assert "卫生间一定要能进轮椅" in printed and "设计单位已把坡道坡度调整为1:12" in printed
    assert "按修改稿实施" in printed and "王书记" in printed
    document = Document(io.BytesIO(data))
    assert document.tables, "the minutes have tables"
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    missing = sorted(cell for cell in cells if cell.strip() and not printed_cell(cell, printed))
    assert not missing, f"table cells lost in LibreOffice: {missing}"
    assert "□" not in printed and "???" not in printed


@pytest.mark.slow
def test_the_minutes_xlsx_reads_back_cell_for_cell(session, published, secretary, tmp_path):
    data = services.export(session, secretary, published.consultation, "xlsx")[0]
    book = load_workbook(io.BytesIO(data))
    read = xlsx_sheets(data, tmp_path)
    assert list(read) == book.sheetnames and "表决1 计票" in read
    for name in book.sheetnames:
        expected = [[cell_text(v) for v in row] for row in book[name].iter_rows(values_only=True)]
        got = [row + [""] * (len(expected[0]) - len(row)) for row in read[name]]
        assert got == expected, name
    overview = read["表决1 概况"]
    assert overview[0][2:6] == ["表决权人数", "参与人数", "线上", "纸质"]
    assert overview[1][2:6] == ["4", "3", "2", "1"]
    assert book["表决1 概况"].cell(2, 3).data_type == "n"


def test_the_tables_carry_the_comments_digest_with_answers_and_the_ballot_digest(session, published, secretary):
    """CSV and XLSX say what the PDF says beside the numbers: each concern with its official answer, and the
    digest of the ballot record."""
    from deliberation.voting.services import ballot_record_digest

    digest = ballot_record_digest(session, published.consultation)
    assert len(digest) == 64
    text = services.export(session, secretary, published.consultation, "csv")[0].decode("utf-8-sig")
    assert "意见摘要,1,1,方案一：原址内部改造（修改稿）,卫生间一定要能进轮椅，坡道要缓。,2,设计单位已把坡道坡度调整为1:12" in text
    assert "意见摘要,1,2,,施工期间活动去哪里？,1,（尚无正式答复）" in text
    assert f"表决记录摘要,表决记录摘要（SHA-256）,{digest}" in text
    book = load_workbook(io.BytesIO(services.export(session, secretary, published.consultation, "xlsx")[0]))
    concerns = list(book["意见摘要"].iter_rows(values_only=True))
    assert concerns[0] == ("轮次", "序号", "方案", "居民意见", "支持人数", "正式答复")
    assert concerns[1][:5] == (1, 1, "方案一：原址内部改造（修改稿）", "卫生间一定要能进轮椅，坡道要缓。", 2)
    assert concerns[1][5].startswith("设计单位已把坡道坡度调整为1:12")
    assert dict(book["表决记录摘要"].iter_rows(min_row=2, values_only=True))["表决记录摘要（SHA-256）"] == digest
