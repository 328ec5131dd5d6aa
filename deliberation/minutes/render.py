"""Every format of the minutes, each rendered from the one `MinutesContents` tree.

HTML and PDF come from the same template (templates/minutes/document.html, which includes
_body.html); the PDF is that HTML through WeasyPrint with the print rules of minutes.css. DOCX is
written with python-docx (East Asian fonts set on every run so Word and WPS show Chinese properly),
Markdown as text, CSV and XLSX hold the results tables through deliberation.documents.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from deliberation import documents
from deliberation.formatting import format_date, format_datetime
from deliberation.minutes.contents import DOCUMENT_LOCALE
from deliberation.minutes.tree import MinutesContents
from deliberation.minutes.word import render_docx
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

FORMATS = ("pdf", "docx", "md", "html", "csv", "xlsx")
MIMETYPES = {
    "pdf": documents.PDF_TYPE,
    "docx": documents.DOCX_TYPE,
    "md": documents.MARKDOWN_TYPE,
    "html": documents.HTML_TYPE,
    "csv": documents.CSV_TYPE,
    "xlsx": documents.XLSX_TYPE,
}
# Fonts a Chinese Word or WPS installation has; LibreOffice maps them to Noto CJK on Linux.


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
            "question_note": question_note, "tally_header": tally_header, "pairwise_title": pairwise_title,
            "pairwise_header": pairwise_header, "pairwise_rows": pairwise_rows, "attendance_text": attendance_text}


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
            [_("表决事项"), _("规则"), _("表决权人数"), _("参与人数"), _("线上"), _("纸质"),
             *([_("委托")] if vote.proxy else []), _("结果")],
            [[vote.title, vote.rule_label or vote.rule_text, vote.electorate, vote.participants, vote.online,
              vote.paper, *([vote.proxy] if vote.proxy else []), vote.outcome]],
        ))
        tables.append((f"{name} {_('第一选择') if vote.ranked else _('计票')}", tally_header(vote),
                       [[row.label, row.count, row.share] for row in vote.tally]))
        if vote.pairwise:
            tables.append((f"{name} {_('两两比较')}", pairwise_header(vote.pairwise), pairwise_rows(vote.pairwise)))
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
    attended = [m for m in contents.meetings if m.attendance]
    if attended:
        tables.append((
            _("联席会议签到"),
            [_("会议时间"), _("地点"), _("出席人数"), _("业主"), _("其他居民"), _("单位代表"), _("出席单位")],
            [[format_datetime(m.held_at), m.place, m.attendance.total, m.attendance.owners, m.attendance.residents,
              len(m.attendance.departments), "、".join(m.attendance.departments)] for m in attended],
        ))
    if contents.questions is not None:
        q = contents.questions
        tables.append((
            _("居民提问与答复"),
            [_("提问数"), _("其中意见"), _("其中心愿"), _("获正式答复"), _("答复用时中位数（天）")],
            [[q.asked, q.comments, q.wishes, q.answered, _median_cell(q.median_days)]],
        ))
    return tables + record_tables(contents)


def _median_cell(days: str):
    """The median as a number in the spreadsheet ("—" when nothing was answered)."""
    if not days:
        return "—"
    return float(days) if "." in days else int(days)


def record_tables(contents: MinutesContents) -> list[Table]:
    """What the printed minutes carry beside the numbers, so that a table says what the PDF says: each
    round's comments digest with the official answers, and the digest of the ballot record."""
    concerns = [[r.number, i, c.proposal, c.body, c.supports, c.answer or _("（尚无正式答复）")]
                for r in contents.rounds for i, c in enumerate(r.concerns, start=1)]
    tables: list[Table] = []
    if concerns:
        tables.append((_("意见摘要"), [_("轮次"), _("序号"), _("方案"), _("居民意见"), _("支持人数"), _("正式答复")],
                       concerns))
    tables.append((_("表决记录摘要"), [_("项目"), _("内容")], [
        [_("表决记录摘要（SHA-256）"), contents.ballot_digest or _("无")],
        [_("生成时间"), format_datetime(contents.generated_at, "yyyy-MM-dd HH:mm:ss")],
    ]))
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


# Where a Markdown link's destination starts: after "](" (inline links, images) or "]:" (a reference
# definition, in a quote or a list too), across one line break. Broader than Markdown's own rule on purpose:
# a destination is only rewritten when it would run something.
LINK_DESTINATION = re.compile(r"(\]\(|\]:)(\s*)((?:[^\s()]|\([^\s()]*\))*)")
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")
MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
URL_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f]")


def _runs_script(destination: str) -> bool:
    """A destination as a viewer and then a browser read it: Markdown's backslash escapes and HTML entities
    decoded (&#106; &#x6A; &colon; &Tab;, twice-encoded too), control characters and white space dropped
    (browsers drop them inside a scheme), an angle bracket allowed before it."""
    url = destination
    for _round in range(5):
        decoded = html.unescape(MARKDOWN_ESCAPE.sub(r"\1", url))
        if decoded == url:
            break
        url = decoded
    url = URL_IGNORED.sub("", url).lstrip("<").lower()
    return url.startswith(UNSAFE_SCHEMES)


def _inert(markdown: str) -> str:
    """Markdown a viewer cannot turn into script: no raw HTML (every < escaped, so no autolink either), and no
    link, image or reference definition whose destination is javascript:, vbscript: or data: in any spelling.

    The minutes quote what residents typed; a Markdown viewer that renders raw HTML or follows such links
    must find nothing to run.
    """
    escaped = markdown.replace("<", "&lt;")
    return LINK_DESTINATION.sub(
        lambda m: m.group(1) + m.group(2) + ("#" if _runs_script(m.group(3)) else m.group(3)), escaped)


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
        if meeting.attendance:
            out += [f"**{_('签到')}**：{attendance_text(meeting.attendance)}", ""]
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
            out += _md_table(tally_header(vote), [[r.label, r.count, r.share] for r in vote.tally])
        if vote.pairwise:
            out += [f"{pairwise_title()}：", ""] + _md_table(pairwise_header(vote.pairwise),
                                                             pairwise_rows(vote.pairwise))
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
    if m.audit_head:
        out += [f"{_('审计日志链头')}：`{m.audit_head}`", ""]
    return _inert("\n".join(out))


