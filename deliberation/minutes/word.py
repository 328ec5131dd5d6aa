"""The minutes as a Word document (DOCX), written with python-docx.

East Asian fonts are set on every run so that Word and WPS show the Chinese properly.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from html.parser import HTMLParser

from flask_babel import gettext as _

from deliberation.documents import DOCX_BODY_FONT, DOCX_HEADING_FONT, docx_a4, docx_run
from deliberation.formatting import format_date, format_datetime
from deliberation.minutes.tree import MinutesContents
from deliberation.minutes.wording import (
    attendance_text,
    basic_rows,
    check_header,
    pairwise_header,
    pairwise_rows,
    pairwise_title,
    passed_text,
    question_note,
    sections,
    survey_facts,
    tally_header,
    vote_facts,
)


class _BlockText(HTMLParser):
    """Sanitised proposal HTML → blocks: ("p"|"h"|"li", text) and ("table", rows)."""

    BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre"}

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[tuple[str, object]] = []
        self.text: list[str] = []
        self.kind = "p"
        self.table: list[list[str]] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._flush()
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.cell = []
        elif tag in self.BLOCKS:
            self._flush()
            self.kind = "h" if tag.startswith("h") and len(tag) == 2 else ("li" if tag == "li" else "p")
        elif tag == "br":
            (self.cell if self.cell is not None else self.text).append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.table is not None and self.cell is not None:
            if not self.table:
                self.table.append([])
            self.table[-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table" and self.table is not None:
            self.blocks.append(("table", [row for row in self.table if row]))
            self.table = None
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        elif self.table is None:
            self.text.append(data)

    def _flush(self):
        text = "".join(self.text).strip()
        if text:
            self.blocks.append((self.kind, text))
        self.text = []
        self.kind = "p"

    def close(self):
        super().close()
        self._flush()


def html_blocks(html: str) -> list[tuple[str, object]]:
    parser = _BlockText()
    parser.feed(html)
    parser.close()
    return parser.blocks


def render_docx(m: MinutesContents) -> bytes:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    document = docx_a4((30, 28, 26, 24), size=12, space_after=4, line_spacing=1.35)
    run = docx_run

    def para(text: str = "", *, bold: bool = False, size: float | None = None, align=None, font=DOCX_BODY_FONT,
             colour=None, indent: bool = False):
        p = document.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(24)
        if text:
            run(p, text, bold=bold, size=size, font=font, colour=colour)
        return p

    def heading(text: str, level: int = 1):
        p = para(text, bold=True, size=14 if level == 1 else 12.5, font=DOCX_HEADING_FONT)
        p.paragraph_format.space_before = Pt(10 if level == 1 else 6)
        p.paragraph_format.keep_with_next = True
        return p

    def table(header: Sequence[str] | None, rows: Sequence[Sequence], widths: Sequence[float] | None = None):
        columns = len(header) if header else max((len(r) for r in rows), default=1)
        t = document.add_table(rows=0, cols=columns)
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        if header:
            cells = t.add_row().cells
            for cell, value in zip(cells, header, strict=False):
                cell.text = ""
                run(cell.paragraphs[0], str(value), bold=True, size=10.5, font=DOCX_HEADING_FONT)
        for row in rows:
            cells = t.add_row().cells
            for cell, value in zip(cells, row, strict=False):
                cell.text = ""
                lines = str(value).split("\n")
                run(cell.paragraphs[0], lines[0], size=10.5)
                for line in lines[1:]:
                    run(cell.add_paragraph(), line, size=10.5)
        if widths:
            for row in t.rows:
                for cell, width in zip(row.cells, widths, strict=False):
                    cell.width = Mm(width)
        document.add_paragraph()
        return t

    red = RGBColor(0xC0, 0x00, 0x00)
    para(_("%(community)s议事协商", community=m.community), bold=True, size=22, align=WD_ALIGN_PARAGRAPH.CENTER,
         font=DOCX_BODY_FONT, colour=red)
    number = para(m.doc_number, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    _bottom_rule(number, OxmlElement, qn)
    para(f"{m.title}", bold=True, size=18, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(_("会议纪要"), bold=True, size=18, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(_("草稿（未公布）") if m.draft else _("第%(n)d版", n=m.version), size=11, align=WD_ALIGN_PARAGRAPH.CENTER)
    if m.change_note:
        para(f"{_('本版更正')}：{m.change_note}", size=11)

    heads = iter(sections(m))
    heading(next(heads))
    table(None, basic_rows(m), widths=(35, 125))
    heading(next(heads))
    for line in (m.background or _("（无）")).splitlines():
        if line.strip():
            para(line.strip(), indent=True)
    heading(next(heads))
    if not m.meetings:
        para(_("（未召开联席会议）"))
    for meeting in m.meetings:
        heading(f"{format_datetime(meeting.held_at)} · {meeting.place}", 2)
        p = para()
        run(p, f"{_('参会')}：", bold=True)
        run(p, meeting.attendees.replace("\n", "；"))
        if meeting.attendance:
            p = para()
            run(p, f"{_('签到')}：", bold=True)
            run(p, attendance_text(meeting.attendance))
        for line in meeting.notes.splitlines():
            if line.strip():
                para(line.strip(), indent=True)
    heading(next(heads))
    if not m.proposals:
        para(_("（无方案）"))
    for proposal in m.proposals:
        tag = f"（{_('备选方案')}）" if proposal.is_variant else ""
        heading(f"{proposal.title}{tag}", 2)
        para(f"{_('最终版本')}：{_('第%(n)d版', n=proposal.number)}，{format_date(proposal.created_at)}", size=10.5)
        for v in proposal.earlier:
            para(f"{_('此前版本')}：{_('第%(n)d版', n=v.number)}《{v.title}》（{format_date(v.created_at)}）"
                 + (f"：{v.change_note}" if v.change_note else ""), size=10.5)
        for kind, value in html_blocks(proposal.body_html):
            if kind == "table":
                rows = list(value)
                if rows:
                    table(rows[0], rows[1:])
            elif kind == "h":
                para(str(value), bold=True, font=DOCX_HEADING_FONT)
            elif kind == "li":
                para("• " + str(value))
            else:
                para(str(value), indent=True)
    heading(next(heads))
    para(_("共 %(c)d 条意见，%(p)d 人发表意见。", c=m.total_comments, p=m.total_commenters), indent=True)
    for r in m.rounds:
        heading(f"{_('第%(n)d轮', n=r.number)}（{format_datetime(r.opens_at)} — {format_datetime(r.closes_at)}）", 2)
        para(_("意见 %(c)d 条，发表意见 %(p)d 人，正式答复 %(a)d 条。", c=r.comments, p=r.commenters, a=r.answers),
             indent=True)
        for i, concern in enumerate(r.concerns, start=1):
            about = f"（{_('关于')}《{concern.proposal}》）" if concern.proposal else ""
            p = para()
            run(p, f"{i}. {_('居民意见')}{about}，{_('%(n)d 人支持', n=concern.supports)}：", bold=True)
            quote = para(concern.body)
            quote.paragraph_format.left_indent = Pt(24)
            answer = para()
            answer.paragraph_format.left_indent = Pt(24)
            run(answer, f"{_('正式答复')}：", bold=True)
            run(answer, concern.answer or _("（尚无正式答复）"))
    if m.surveys:
        heading(next(heads))
        for survey in m.surveys:
            heading(survey.title, 2)
            para(survey_facts(survey))
            for q in survey.questions:
                p = para()
                run(p, q.text, bold=True)
                run(p, f"（{question_note(q)}）", size=10.5)
                if q.rows:
                    table([_("选项"), _("人数"), _("占比")], [[r.label, r.count, r.share] for r in q.rows])
    heading(next(heads))
    if not m.votes:
        para(_("（本次议事未进行表决。）"))
    for vote in m.votes:
        heading(vote.title, 2)
        table(None, vote_facts(vote), widths=(35, 125))
        if vote.tally:
            table(tally_header(vote), [[r.label, r.count, r.share] for r in vote.tally])
        if vote.pairwise:
            para(pairwise_title(), bold=True)
            table(pairwise_header(vote.pairwise), pairwise_rows(vote.pairwise))
        if vote.checks:
            table(check_header(), [[c.label, c.required, c.actual, passed_text(c.passed)] for c in vote.checks],
                  widths=(50, 40, 50, 20))
        for b in vote.breakdowns:
            para(_("按%(g)s统计", g=b.name), bold=True)
            table([b.name, *b.choices], [[row.value, *row.counts] for row in b.rows])
        if vote.summary:
            para(vote.summary, indent=True)
        p = para()
        run(p, f"{_('表决结果')}：{vote.outcome}", bold=True)
        if vote.advisory:
            run(p, f"（{_('参考性表决，不计入结论')}）")
    heading(next(heads))
    if m.outcome:
        para(f"{_('结论')}：{m.outcome}", bold=True, size=14)
    for line in (m.closing_notes or _("（主持人尚未填写结语）")).splitlines():
        if line.strip():
            para(line.strip(), indent=True)
    document.add_paragraph()
    for label, value in ((_("主持人"), m.host), (_("记录人"), m.recorder), (_("日期"), "")):
        p = para(align=WD_ALIGN_PARAGRAPH.RIGHT)
        run(p, f"{label}：")
        run(p, value or "　" * 8).underline = True
    document.add_paragraph()
    para(f"{_('生成时间')}：{format_datetime(m.generated_at, 'yyyy-MM-dd HH:mm:ss')}", size=9)
    para(f"{_('表决记录摘要（SHA-256）')}：{m.ballot_digest or _('无')}", size=9)
    if m.audit_head:
        para(f"{_('审计日志链头')}：{m.audit_head}", size=9)
    _page_number_footer(document.sections[0], OxmlElement, qn, run)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


PPR_AFTER_BORDER = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)


def _bottom_rule(paragraph, OxmlElement, qn) -> None:  # noqa: N803 — python-docx's names
    """The red line under the 文号, as on an official document."""
    p_pr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "6"), ("w:color", "C00000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    # Word checks the order of a paragraph's properties: the border goes before spacing and alignment.
    p_pr.insert_element_before(border, *PPR_AFTER_BORDER)


def _page_number_footer(section, OxmlElement, qn, run) -> None:  # noqa: N803
    """— 1 — centred at the foot of every page (a PAGE field Word and WPS update themselves)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(footer, "— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    inner = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    inner.append(text)
    field.append(inner)
    footer._p.append(field)
    run(footer, " —")
