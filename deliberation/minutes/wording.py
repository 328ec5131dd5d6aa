"""The words every text format of the minutes shares: section titles, facts of a vote or survey, checks."""

from __future__ import annotations

from flask_babel import gettext as _

from deliberation.consultations.meetings import attendance_words
from deliberation.formatting import format_datetime
from deliberation.minutes.tree import MeetingAttendance, MinutesContents, QuestionFigures

NUMERALS = "一二三四五六七八九十"


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
    if m.questions is not None:
        rows.append((_("居民提问与答复"), questions_text(m.questions)))
    return rows


def questions_text(q: QuestionFigures) -> str:
    """居民提问 N 条（意见 a 条、心愿 b 条），获正式答复 M 条，答复用时中位数 X 天."""
    text = _("居民提问 %(n)d 条（意见 %(c)d 条、心愿 %(w)d 条），获正式答复 %(a)d 条", n=q.asked, c=q.comments,
             w=q.wishes, a=q.answered)
    if q.median_days:
        text += _("，答复用时中位数 %(d)s 天", d=q.median_days)
    return text


def attendance_text(attendance: MeetingAttendance) -> str:
    """A meeting's sign-in by role, the departments named: the same sentence as the meeting page."""
    text = attendance_words(attendance)
    if attendance.departments:
        text += _("；出席单位：%(names)s", names="、".join(attendance.departments))
    return text


def check_header() -> list[str]:
    return [_("项目"), _("要求"), _("实际"), _("是否通过")]


def passed_text(passed: bool) -> str:
    return _("通过") if passed else _("未通过")


def tally_header(vote) -> list[str]:
    """A ranked vote counts first choices (each ballot once, 并列第一 apart); other votes count votes."""
    return [_("选项"), _("第一选择") if vote.ranked else _("票数"), _("占比")]


def pairwise_title() -> str:
    return _("两两比较（行中方案胜过列中方案的选票数）")


def pairwise_header(pairwise) -> list[str]:
    return [_("方案"), *pairwise.options]


def pairwise_rows(pairwise) -> list[list]:
    """One row per option: the ballots preferring it to each other option ("—" against itself)."""
    return [[option, *("—" if n is None else n for n in row)] for option, row in zip(pairwise.options, pairwise.rows,
                                                                                       strict=True)]


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
    if vote.electorate_text:
        facts.append((_("表决权人"), vote.electorate_text))
    if vote.proxy:  # ballots cast by proxy (书面委托) side by side with the others; older minutes had none
        facts.append((_("参与情况"), _("表决权人 %(e)d 人，参与 %(p)d 人（线上 %(o)d，纸质 %(b)d，书面委托 %(x)d）",
                                     e=vote.electorate, p=vote.participants, o=vote.online, b=vote.paper,
                                     x=vote.proxy)))
    else:
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
