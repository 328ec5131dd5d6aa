"""Files people download: CSV and XLSX tables, PDF from HTML, with safe names and cells.

Every export goes through here, so the same guards hold everywhere: spreadsheet cells that a
spreadsheet would run as a formula are neutralised, CSV carries a BOM so Excel and WPS read
UTF-8 Chinese correctly, and downloads get an RFC 6266 file name that survives Chinese.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from flask import Response, send_file

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
MARKDOWN_TYPE = "text/markdown; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"

# The fonts of the Word documents (a Chinese Word or WPS has them; LibreOffice maps them to Noto CJK).
DOCX_BODY_FONT = "宋体"
DOCX_HEADING_FONT = "黑体"
DOCX_LATIN_FONT = "Times New Roman"

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")



class Percent(float):
    """A share (0.5 is 50 %): a number in XLSX, shown as a percentage; "50%" in CSV.

    As on the pages (deliberation.charts.percent): no decimals, one under 10 %.
    """

    @classmethod
    def of(cls, part: int | float, whole: int | float) -> Percent | None:
        """part / whole, or None (an empty cell) when there is nothing to divide."""
        return cls(part / whole) if whole else None

    @property
    def number_format(self) -> str:
        return "0.0%" if 0 < self < 0.1 else "0%"

    def __str__(self) -> str:
        return format(self * 100, ".1f" if 0 < self < 0.1 else ".0f") + "%"


Cell = str | int | float | Decimal | date | datetime | None


def safe_cell(value: Cell) -> Cell:
    """Text a spreadsheet would evaluate (=, +, -, @ …) gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([_csv_value(safe_cell(value)) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Cell]]]]) -> bytes:
    """One worksheet per (title, header, rows); numbers are written as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(title))
        bold = []
        for name in header:
            cell = _header_cell(sheet, safe_cell(name), Font)
            bold.append(cell)
        sheet.append(bold)
        for row in rows:
            sheet.append([_xlsx_value(sheet, safe_cell(value)) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    """A PDF from HTML and its print stylesheet (WeasyPrint); CJK text needs Noto CJK installed."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


def download(data: bytes | str, filename: str, mimetype: str, *, inline: bool = False) -> Response:
    """A file response; Flask writes filename*=UTF-8''… for Chinese names (RFC 6266).

    The type is sent as given, its charset once: Werkzeug appends "; charset=utf-8" to any text/ type,
    even one that names its charset already.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=not inline,
                         download_name=safe_filename(filename), max_age=0)
    response.headers["Content-Type"] = mimetype
    response.headers["Cache-Control"] = "private, no-store"
    return response


def safe_filename(name: str) -> str:
    """A file name with no path and no control characters: titles typed by users become file names."""
    cleaned = "".join("_" if ch in '/\\' or unicodedata.category(ch).startswith("C") else ch for ch in name)
    cleaned = cleaned.strip(" .") or "download"
    return cleaned[:150]


def _csv_value(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, Percent):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _xlsx_value(sheet, value: Cell):
    if isinstance(value, Percent):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=float(value))
        cell.number_format = value.number_format
        return cell
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _header_cell(sheet, value, font_cls):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font_cls(bold=True)
    return cell


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip() or "Sheet"
    return cleaned[:31]


def docx_a4(margins_mm: tuple[float, float, float, float], *, size: float, space_after: float,
            line_spacing: float):
    """A new A4 Word document (margins top, bottom, left, right in mm) whose Normal style writes Chinese in the
    body font: python-docx sets only the Latin font, and Word or WPS would show the Chinese in a fallback."""
    from docx import Document
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    top, bottom, left, right = margins_mm
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = (
        Mm(top), Mm(bottom), Mm(left), Mm(right))
    normal = document.styles["Normal"]
    normal.font.name = DOCX_LATIN_FONT
    normal.font.size = Pt(size)
    east_asian(normal.element, DOCX_BODY_FONT)
    normal.paragraph_format.space_after = Pt(space_after)
    normal.paragraph_format.line_spacing = line_spacing
    return document


def east_asian(element, font: str) -> None:
    """Set a run's or style's East Asian font (w:eastAsia), beside the Latin one."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    r_pr = element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    fonts.set(qn("w:ascii"), DOCX_LATIN_FONT)
    fonts.set(qn("w:hAnsi"), DOCX_LATIN_FONT)
    fonts.set(qn("w:eastAsia"), font)


def docx_run(paragraph, text: str, *, bold: bool = False, size: float | None = None, font: str = DOCX_BODY_FONT,
             colour=None):
    """Text added to a paragraph of a Word document with its East Asian font set (every run needs it)."""
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.bold = bold
    run.font.name = DOCX_LATIN_FONT
    if size:
        run.font.size = Pt(size)
    if colour is not None:
        run.font.color.rgb = colour
    east_asian(run._element, font)
    return run
