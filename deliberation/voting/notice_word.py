"""A notice for the wall (voting.notices) as a Word document: python-docx, one A4 page, East Asian fonts set
on every run so that Word and WPS show the Chinese properly (as minutes/word.py does)."""

from __future__ import annotations

import io

from flask_babel import gettext as _

from deliberation.documents import DOCX_BODY_FONT, DOCX_HEADING_FONT, docx_a4, docx_run
from deliberation.formatting import format_datetime
from deliberation.voting.notice_tree import Notice, Table

WIDTH = 174  # mm between the margins of an A4 page


def render_docx(notice: Notice) -> bytes:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = docx_a4((15, 12, 18, 18), size=10.5, space_after=1, line_spacing=1.15)
    run = docx_run

    def para(text: str = "", *, bold: bool = False, size: float | None = None, align=None,
             font: str = DOCX_BODY_FONT, indent: bool = False, container=None):
        p = (container or document).add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(22)
        if text:
            run(p, text, bold=bold, size=size, font=font)
        return p

    def table(t_data: Table, widths: tuple[float, ...], header: bool = True) -> None:
        if t_data.title:
            para(t_data.title, bold=True, size=10.5, font=DOCX_HEADING_FONT).paragraph_format.keep_with_next = True
        rows = ([t_data.header] if header else []) + t_data.rows
        t = document.add_table(rows=0, cols=max(len(r) for r in rows))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for i, row in enumerate(rows):
            cells = t.add_row().cells
            for j, (cell, value) in enumerate(zip(cells, row, strict=False)):
                cell.text = ""
                run(cell.paragraphs[0], str(value), size=9.5, bold=(header and i == 0) or j == 0,
                    font=DOCX_HEADING_FONT if (header and i == 0) or j == 0 else DOCX_BODY_FONT)
        t.autofit = False
        for column, width in zip(t.columns, widths, strict=False):
            column.width = Mm(width)  # the grid LibreOffice and WPS read
        for row in t.rows:
            for cell, width in zip(row.cells, widths, strict=False):
                cell.width = Mm(width)  # the cells Word reads
        para().paragraph_format.line_spacing = 0.6

    centre = WD_ALIGN_PARAGRAPH.CENTER
    para(notice.community, size=13, align=centre)
    title = para(notice.title, bold=True, size=17, align=centre, font=DOCX_HEADING_FONT)
    _bottom_rule(title, OxmlElement, qn)
    if notice.lead:
        para(notice.lead, indent=True)
    table(Table([], [[f.label, f.value] for f in notice.facts]), widths=(26, WIDTH - 26), header=False)
    for t_data in notice.tables:
        first = 40 if len(t_data.header) > 2 else 60
        rest = (WIDTH - first) / max(len(t_data.header) - 1, 1)
        table(t_data, widths=(first, *[rest] * (len(t_data.header) - 1)))
    for block in notice.sections:
        p = para(block.heading, bold=True, size=11.5, font=DOCX_HEADING_FONT)
        p.paragraph_format.space_before = Pt(4)
        p.paragraph_format.keep_with_next = True
        for paragraph in block.paragraphs:
            para(paragraph, indent=True)

    # The foot: the QR code on the left, the committee and its seal line on the right.
    para()
    foot = document.add_table(rows=1, cols=2)
    foot.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = foot.rows[0].cells
    foot.autofit = False
    for column, cell, width in zip(foot.columns, foot.rows[0].cells, (WIDTH - 70, 70), strict=True):
        column.width = cell.width = Mm(width)
    left, right = foot.rows[0].cells
    picture = left.paragraphs[0]
    picture.add_run().add_picture(io.BytesIO(docx_qr_png(notice.link)), width=Mm(22))
    run(para(container=left), notice.qr_caption, size=8)
    right.paragraphs[0].alignment = centre
    run(right.paragraphs[0], notice.committee, size=12)
    for line in (_("（居民委员会盖章）"), _("　　年　　月　　日")):
        run(para(container=right, align=centre), line, size=12)
    record = f"{_('生成时间')}：{format_datetime(notice.issued_at)}"
    if notice.audit_head:
        record += f" · {_('审计日志链头')}：{notice.audit_head}"
    para(f"{record} · {notice.link}", size=7)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _bottom_rule(paragraph, OxmlElement, qn) -> None:  # noqa: N803 — python-docx's names
    """The red line under the title, as on an official notice (the border first among the properties,
    where Word expects it)."""
    p_pr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4"), ("w:color", "C00000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    style = p_pr.find(qn("w:pStyle"))
    if style is None:
        p_pr.insert(0, border)
    else:
        style.addnext(border)


def docx_qr_png(link: str) -> bytes:
    """The QR code as PNG, for the DOCX (Word has no inline SVG)."""
    import segno

    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=6, border=1)
    return out.getvalue()
