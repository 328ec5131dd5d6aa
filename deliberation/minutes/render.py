"""Every format of the minutes, each rendered from the one `MinutesContents` tree.

HTML and PDF come from the same template (templates/minutes/document.html, which includes
_body.html); the PDF is that HTML through WeasyPrint with the print rules of minutes.css. DOCX is
written with python-docx (East Asian fonts set on every run so Word and WPS show Chinese properly),
Markdown as text, CSV and XLSX hold the results tables through deliberation.documents.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from deliberation import documents
from deliberation.formatting import format_date, format_datetime
from deliberation.minutes.contents import DOCUMENT_LOCALE, MinutesContents

FORMATS = ("pdf", "docx", "md", "html", "csv", "xlsx")
MIMETYPES = {
    "pdf": documents.PDF_TYPE,
    "docx": documents.DOCX_TYPE,
    "md": documents.MARKDOWN_TYPE,
    "html": documents.HTML_TYPE,
    "csv": documents.CSV_TYPE,
    "xlsx": documents.XLSX_TYPE,
}
NUMERALS = "一二三四五六七八九十"
# Fonts a Chinese Word or WPS installation has; LibreOffice maps them to Noto CJK on Linux.
DOCX_BODY_FONT = "宋体"
DOCX_HEADING_FONT = "黑体"
DOCX_LATIN_FONT = "Times New Roman"


def filename(contents: MinutesContents, fmt: str) -> str:
    """E.g. 党群服务站升级改造方案征询-会议纪要-第1版.pdf (results tables: …-表决结果.xlsx)."""
    with force_locale(DOCUMENT_LOCALE):
        return _filename(contents, fmt)


def _filename(contents: MinutesContents, fmt: str) -> str:
    stem = re.sub(r'[\\/:*?"<>|\r\n\t]+', " ", contents.title).strip()[:80] or _("议事")
    kind = _("表决结果") if fmt in ("csv", "xlsx") else _("会议纪要")
    version = _("草稿") if contents.draft else _("第%(n)d版", n=contents.version)
    return f"{stem}-{kind}-{version}.{fmt}"


def render(contents: MinutesContents, fmt: str) -> bytes:
    """The file in one format; the document is always in Chinese, whatever the reader's language."""
    with force_locale(DOCUMENT_LOCALE):
        return _render(contents, fmt)


def _render(contents: MinutesContents, fmt: str) -> bytes:
    if fmt == "html":
        return render_html(contents).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(contents)
    if fmt == "docx":
        return render_docx(contents)
    if fmt == "md":
        return render_markdown(contents).encode("utf-8")
    if fmt == "csv":
        return render_csv(contents)
    if fmt == "xlsx":
        return render_xlsx(contents)
    raise ValueError(f"unknown format {fmt!r}")


# -- HTML and PDF: one template ----------------------------------------------------------------


def stylesheet() -> str:
    return (Path(current_app.static_folder) / "css" / "minutes.css").read_text(encoding="utf-8")


def template_context(contents: MinutesContents) -> dict:
    """What templates/minutes/_body.html needs, for the document and for the page of the site alike."""
    return {"m": contents, "heads": sections(contents), "basic_rows": basic_rows(contents), "vote_facts": vote_facts,
            "passed_text": passed_text, "check_header": check_header(), "survey_facts": survey_facts,
            "question_note": question_note}


def render_html(contents: MinutesContents, *, linked_css: bool = False) -> str:
    """The printable page. A file carries its stylesheet inside; a page of the site links it (CSP)."""
    with force_locale(DOCUMENT_LOCALE):
        context = {"inline_css": None if linked_css else stylesheet(), **template_context(contents)}
        if has_request_context():
            return render_template("minutes/document.html", **context)
        # The command line and the benchmark have no request: the site's context processors need one.
        return current_app.jinja_env.get_template("minutes/document.html").render(**context)


def render_pdf(contents: MinutesContents) -> bytes:
    return documents.render_pdf(render_html(contents))


# -- results tables: CSV and XLSX ----------------------------------------------------------------

Table = tuple[str, list[str], list[list]]


def result_tables(contents: MinutesContents) -> list[Table]:
    """The tables of numbers in the minutes: comment rounds, and per vote its tally, checks,
    channels and breakdowns; per survey question its answers."""
    tables: list[Table] = []
    if contents.rounds:
        tables.append((
            _("意见征集"),
            [_("轮次"), _("开始"), _("截止"), _("意见数"), _("发表意见人数"), _("正式答复数")],
            [[r.number, format_datetime(r.opens_at), format_datetime(r.closes_at), r.comments, r.commenters,
              r.answers] for r in contents.rounds],
        ))
    for index, vote in enumerate(contents.votes, start=1):
        name = _("表决%(n)d", n=index)
        tables.append((
            f"{name} {_('概况')}",
            [_("表决事项"), _("规则"), _("表决权人数"), _("参与人数"), _("线上"), _("纸质"), _("结果")],
            [[vote.title, vote.rule_label or vote.rule_text, vote.electorate, vote.participants, vote.online,
              vote.paper, vote.outcome]],
        ))
        tables.append((f"{name} {_('计票')}", [_("选项"), _("票数"), _("占比")],
                       [[row.label, row.count, row.share] for row in vote.tally]))
        if vote.checks:
            tables.append((
                f"{name} {_('核验')}",
                [_("项目"), _("要求"), _("实际"), _("是否通过")],
                [[c.label, c.required, c.actual, _("通过") if c.passed else _("未通过")] for c in vote.checks],
            ))
        for breakdown in vote.breakdowns:
            tables.append((
                f"{name} {_('按%(g)s', g=breakdown.name)}",
                [breakdown.name, *breakdown.choices],
                [[row.value, *row.counts] for row in breakdown.rows],
            ))
    for index, survey in enumerate(contents.surveys, start=1):
        for q_index, question in enumerate(survey.questions, start=1):
            tables.append((
                _("问卷%(n)d 第%(q)d题", n=index, q=q_index),
                [question.text, _("人数"), _("占比")],
                [[row.label, row.count, row.share] for row in question.rows],
            ))
    return tables


def render_csv(contents: MinutesContents) -> bytes:
    """All tables in one sheet: each row starts with its table's name; each table has its header row."""
    rows: list[list] = []
    for title, header, body in result_tables(contents):
        rows.append([title, *header])
        rows.extend([title, *row] for row in body)
    width = max((len(r) for r in rows), default=1)
    header = [_("表格"), *[_("列%(n)d", n=i) for i in range(1, width)]]
    return documents.csv_bytes(header, rows)


def render_xlsx(contents: MinutesContents) -> bytes:
    """One worksheet per table, numbers as numbers."""
    tables = result_tables(contents)
    if not tables:
        tables = [(_("结果"), [_("说明")], [[_("本次议事没有可导出的统计表")]])]
    return documents.xlsx_bytes([(title, header, body) for title, header, body in tables])


# -- Markdown ----------------------------------------------------------------------------------


UNSAFE_LINK = re.compile(r"\]\(\s*(?:javascript|vbscript|data):", re.IGNORECASE)


def _inert(markdown: str) -> str:
    """Markdown a viewer cannot turn into script: no raw HTML (every < escaped), no script links.

    The minutes quote what residents typed; a Markdown viewer that renders raw HTML or follows
    javascript: links must find nothing to run.
    """
    return UNSAFE_LINK.sub("](#", markdown.replace("<", "&lt;"))


def _md_escape_cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence, rows: Sequence[Sequence]) -> list[str]:
    lines = ["| " + " | ".join(_md_escape_cell(h) for h in header) + " |",
             "|" + "|".join("---" for _h in header) + "|"]
    lines += ["| " + " | ".join(_md_escape_cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _demote(markdown: str, levels: int = 3) -> str:
    """Headings inside a proposal sit below the document's own."""
    return re.sub(r"^(#{1,6})(\s)", lambda m: "#" * min(6, len(m.group(1)) + levels) + m.group(2), markdown,
                  flags=re.MULTILINE)


def _paragraphs(text: str) -> str:
    """Each line its own Markdown paragraph (a single newline would join them)."""
    return "\n\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


def _quote(text: str) -> list[str]:
    return ["> " + line if line else ">" for line in text.splitlines()] or [">"]


def sections(contents: MinutesContents) -> list[str]:
    """The numbered section titles, in order (shared by Markdown and DOCX; the template counts the same)."""
    names = [_("基本情况"), _("背景")]
    names.append(_("联席会议"))
    names.append(_("方案"))
    names.append(_("意见征集情况"))
    if contents.surveys:
        names.append(_("问卷调查"))
    names.append(_("表决情况"))
    names.append(_("结论"))
    return [f"{NUMERALS[i]}、{name}" for i, name in enumerate(names)]


def basic_rows(m: MinutesContents) -> list[tuple[str, str]]:
    p = m.participation
    rows = [(_("居民区"), m.community + (f"（{m.district}）" if m.district else "")), (_("议题"), m.title)]
    for line in m.dates:
        value = format_datetime(line.value) if line.value else ""
        if line.until:
            value = f"{value} — {format_datetime(line.until)}"
        rows.append((line.label, value))
    rows.append((_("组织方"), p.organiser + (f"（{_('发起人')}：{p.convener}）" if p.convener else "")))
    if p.bodies:
        rows.append((_("参与方"), "；".join(p.bodies)))
    rows.append((_("参与范围"), _("%(scope)s，共 %(n)d 人", scope=p.scope, n=p.eligible)))
    rows.append((_("意见征集"), _("%(c)d 条意见，%(p)d 人发表意见", c=p.comments, p=p.commenters)))
    if m.votes:
        rows.append((_("表决参与"), _("%(n)d 人参与表决", n=p.voters)))
    rows.append((_("联席会议"), _("%(n)d 次", n=p.meetings)))
    return rows


def check_header() -> list[str]:
    return [_("项目"), _("要求"), _("实际"), _("是否通过")]


def passed_text(passed: bool) -> str:
    return _("通过") if passed else _("未通过")


def vote_facts(vote) -> list[tuple[str, str]]:
    facts = []
    if vote.subject:
        facts.append((_("表决事项"), vote.subject))
    facts.append((_("表决规则"), (vote.rule_label + "：" if vote.rule_label else "") + vote.rule_text))
    if vote.basis:
        facts.append((_("计票基础"), vote.basis))
    facts.append((_("投票方式"), _("无记名") if vote.secret else _("记名")))
    if vote.opens_at or vote.closes_at:
        facts.append((_("表决时间"), f"{format_datetime(vote.opens_at)} — {format_datetime(vote.closes_at)}"))
    facts.append((_("参与情况"), _("表决权人 %(e)d 人，参与 %(p)d 人（线上 %(o)d，纸质 %(b)d）", e=vote.electorate,
                                 p=vote.participants, o=vote.online, b=vote.paper)))
    if vote.electorate_area:
        facts.append((_("专有面积"), _("总面积 %(e)s m²，参与表决 %(p)s m²", e=vote.electorate_area,
                                     p=vote.participant_area or "0")))
    return facts


def survey_facts(survey) -> str:
    return _("共 %(n)d 份答卷（线上 %(o)d，纸质 %(p)d），应答 %(e)d 人，回收率 %(r)s。", n=survey.responses,
             o=survey.online, p=survey.paper, e=survey.eligible, r=survey.response_rate or "—")


def question_note(question) -> str:
    parts = [_("%(n)d 人作答", n=question.answers)]
    if question.average:
        parts.append(_("平均 %(a)s 分", a=question.average))
    if question.texts:
        parts.append(_("文字回答 %(n)d 条（未收录原文）", n=question.texts))
    return "，".join(parts)


def render_markdown(m: MinutesContents) -> str:
    heads = iter(sections(m))
    out = [f"# {m.title}会议纪要", "", f"**{m.community}** · {m.doc_number} · "
           + (_("草稿（未公布）") if m.draft else _("第%(n)d版", n=m.version)), ""]
    if m.change_note:
        out += [f"> {_('本版更正')}：{m.change_note}", ""]
    out += [f"## {next(heads)}", ""] + _md_table([_("项目"), _("内容")], basic_rows(m))
    out += [f"## {next(heads)}", "", _paragraphs(m.background) or _("（无）"), ""]
    out += [f"## {next(heads)}", ""]
    if not m.meetings:
        out += [_("（未召开联席会议）"), ""]
    for meeting in m.meetings:
        out += [f"### {format_datetime(meeting.held_at)} · {meeting.place}", "",
                f"**{_('参会')}**：{meeting.attendees}", ""]
        if meeting.notes:
            out += [_paragraphs(meeting.notes), ""]
    out += [f"## {next(heads)}", ""]
    if not m.proposals:
        out += [_("（无方案）"), ""]
    for proposal in m.proposals:
        tag = f"（{_('备选方案')}）" if proposal.is_variant else ""
        out += [f"### {proposal.title}{tag}", "",
                f"*{_('最终版本')}：{_('第%(n)d版', n=proposal.number)}，{format_date(proposal.created_at)}*", ""]
        if proposal.earlier:
            out.append(f"{_('此前版本')}：")
            out += [f"- {_('第%(n)d版', n=v.number)}《{v.title}》（{format_date(v.created_at)}）"
                    + (f"：{v.change_note}" if v.change_note else "") for v in proposal.earlier]
            out.append("")
        out += [_demote(proposal.body_markdown).strip(), ""]
    out += [f"## {next(heads)}", ""]
    out += [_("共 %(c)d 条意见，%(p)d 人发表意见。", c=m.total_comments, p=m.total_commenters), ""]
    for r in m.rounds:
        out += [f"### {_('第%(n)d轮', n=r.number)}（{format_datetime(r.opens_at)} — {format_datetime(r.closes_at)}）",
                "", _("意见 %(c)d 条，发表意见 %(p)d 人，正式答复 %(a)d 条。", c=r.comments, p=r.commenters,
                      a=r.answers), ""]
        for i, concern in enumerate(r.concerns, start=1):
            about = f"（{_('关于')}《{concern.proposal}》）" if concern.proposal else ""
            out += [f"{i}. {_('居民意见')}{about}，{_('%(n)d 人支持', n=concern.supports)}：", ""]
            out += ["   " + line for line in _quote(concern.body)] + [""]
            answer = concern.answer or _("（尚无正式答复）")
            out += [f"   **{_('正式答复')}**：{answer}", ""]
    if m.surveys:
        out += [f"## {next(heads)}", ""]
        for survey in m.surveys:
            out += [f"### {survey.title}", "", survey_facts(survey), ""]
            for q in survey.questions:
                out += [f"**{q.text}**（{question_note(q)}）", ""]
                if q.rows:
                    out += _md_table([_("选项"), _("人数"), _("占比")], [[r.label, r.count, r.share] for r in q.rows])
    out += [f"## {next(heads)}", ""]
    if not m.votes:
        out += [_("（本次议事未进行表决。）"), ""]
    for vote in m.votes:
        out += [f"### {vote.title}", ""] + _md_table([_("项目"), _("内容")], vote_facts(vote))
        if vote.tally:
            out += _md_table([_("选项"), _("票数"), _("占比")], [[r.label, r.count, r.share] for r in vote.tally])
        if vote.checks:
            out += _md_table(check_header(), [[c.label, c.required, c.actual, passed_text(c.passed)]
                                              for c in vote.checks])
        for b in vote.breakdowns:
            out += [f"{_('按%(g)s统计', g=b.name)}：", ""] + _md_table([b.name, *b.choices],
                                                                   [[row.value, *row.counts] for row in b.rows])
        if vote.summary:
            out += [vote.summary, ""]
        out += [f"**{_('表决结果')}：{vote.outcome}**" + (f"（{_('参考性表决，不计入结论')}）" if vote.advisory else ""), ""]
    out += [f"## {next(heads)}", ""]
    if m.outcome:
        out += [f"**{_('结论')}：{m.outcome}**", ""]
    out += [_paragraphs(m.closing_notes) or _("（主持人尚未填写结语）"), ""]
    out += [f"{_('主持人')}：{m.host or '__________'}　　{_('记录人')}：{m.recorder or '__________'}　　"
            f"{_('日期')}：__________", ""]
    out += ["---", "", f"{_('生成时间')}：{format_datetime(m.generated_at, 'yyyy-MM-dd HH:mm:ss')}", ""]
    out += [f"{_('表决记录摘要（SHA-256）')}：`{m.ballot_digest or _('无')}`", ""]
    return _inert("\n".join(out))


# -- DOCX --------------------------------------------------------------------------------------


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
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(30), Mm(28)
    section.left_margin, section.right_margin = Mm(26), Mm(24)

    def east_asian(element, font: str) -> None:
        r_pr = element.get_or_add_rPr()
        fonts = r_pr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            r_pr.insert(0, fonts)
        fonts.set(qn("w:ascii"), DOCX_LATIN_FONT)
        fonts.set(qn("w:hAnsi"), DOCX_LATIN_FONT)
        fonts.set(qn("w:eastAsia"), font)

    normal = document.styles["Normal"]
    normal.font.name = DOCX_LATIN_FONT
    normal.font.size = Pt(12)
    east_asian(normal.element, DOCX_BODY_FONT)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.35

    def run(paragraph, text: str, *, bold: bool = False, size: float | None = None, font: str = DOCX_BODY_FONT,
            colour: RGBColor | None = None):
        r = paragraph.add_run(text)
        r.bold = bold
        r.font.name = DOCX_LATIN_FONT
        if size:
            r.font.size = Pt(size)
        if colour is not None:
            r.font.color.rgb = colour
        east_asian(r._element, font)
        return r

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
            table([_("选项"), _("票数"), _("占比")], [[r.label, r.count, r.share] for r in vote.tally])
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
    _page_number_footer(section, OxmlElement, qn, run)
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
