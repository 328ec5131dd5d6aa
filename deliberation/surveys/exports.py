"""The responses and per-question counts of a survey as tables for CSV and XLSX downloads."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from deliberation.accounts.demographics import age_band_label, tenure_label
from deliberation.accounts.models import Building, Household, Ownership, Person, Unit, User
from deliberation.documents import Percent
from deliberation.errors import require
from deliberation.surveys.labels import source_label
from deliberation.surveys.models import (
    Anonymity,
    Answer,
    Question,
    QuestionKind,
    Response,
    Survey,
)
from deliberation.surveys.respondents import SHANGHAI
from deliberation.surveys.results import submitted, survey_summary


def _answer_cell(question: Question, parts: list[Answer]) -> str:
    options = question.options or []
    if question.kind == QuestionKind.RANKING:
        ranked = sorted((a for a in parts if a.rank is not None), key=lambda a: a.rank)
        return " > ".join(options[a.option_index] for a in ranked if a.option_index < len(options))
    if question.kind == QuestionKind.SCALE:
        return "；".join(str(a.value) for a in parts if a.value is not None)
    if question.kind.is_text:
        return "；".join(a.text or "" for a in parts)
    labels = [options[a.option_index] for a in sorted(parts, key=lambda a: a.option_index or 0)
              if not a.is_other and a.option_index is not None and a.option_index < len(options)]
    labels += [_("其他：%(text)s", text=a.text or "") for a in parts if a.is_other]
    return "；".join(labels)


def _number(text: str) -> float | None:
    """An average as the summary prints it ("3.67", "—" when there is none) as a number a spreadsheet sums."""
    try:
        return float(text)
    except ValueError:
        return None


def _local(moment):
    return moment.astimezone(SHANGHAI).replace(tzinfo=None) if moment else None


def _day(moment) -> str:
    return moment.astimezone(SHANGHAI).date().isoformat() if moment else ""


def _anonymous_rows(survey: Survey, responses, answers: dict) -> tuple[list[str], list[list]]:
    """An anonymous survey's responses: the answers with the source and the day, nothing that points at
    anyone — no room, no building, age band or tenure (each row would be a group of one: the breakdowns
    show them, small groups merged, see deliberation.disclosure), no time of day, and in an order drawn from
    the answers, not from when they came."""
    header = [_("序号"), _("来源"), _("录入人"), _("提交日期")]
    header += [f"{q.position}. {q.text}" for q in survey.questions]
    body = []
    for response, _building, _room, _name, entered_by in responses:
        mine = answers.get(response.id, {})
        body.append([source_label(response.source), entered_by or "", _day(response.submitted_at),
                     *[_answer_cell(q, mine.get(q.id, [])) for q in survey.questions]])
    body.sort(key=lambda row: (row[2], [str(cell) for cell in row[3:]], row[0], row[1]))
    return header, [[number, *row] for number, row in enumerate(body, start=1)]


def _room():
    """The response's room: a paper form's, as entered; an online answer's, the signed respondent's home in
    the building the response recorded (where they live, else the first room they own there)."""
    home, owned = aliased(Unit), aliased(Unit)
    lives = (select(home.room).join(Household, Household.unit_id == home.id)
             .where(Household.id == Person.household_id, home.building_id == Response.building_id)
             .correlate(Person, Response).scalar_subquery())
    owns = (select(func.min(owned.room)).join(Ownership, Ownership.unit_id == owned.id)
            .where(Ownership.person_id == Person.id, owned.building_id == Response.building_id)
            .correlate(Person, Response).scalar_subquery())
    return func.coalesce(Unit.room, lives, owns)


def export_tables(session: Session, actor: User, survey: Survey) -> tuple[list[str], list[list], list[str], list[list]]:
    """The responses (one row each, one column per question) and the per-question counts, for CSV/XLSX."""
    require(survey.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    responses = session.execute(
        select(Response, Building.name, _room(), Person.name, User.display_name)
        .outerjoin(Building, Building.id == Response.building_id)
        .outerjoin(Unit, Unit.id == Response.unit_id)
        .outerjoin(Person, Person.id == Response.person_id)
        .outerjoin(User, User.id == Response.entered_by_id)
        .where(submitted(survey))
        .order_by(Response.submitted_at, Response.id)
    ).all()
    answers: dict[int, dict[int, list[Answer]]] = {}
    for answer in session.execute(
        select(Answer).join(Response, Response.id == Answer.response_id).where(submitted(survey))
        .order_by(Answer.id)
    ).scalars():
        answers.setdefault(answer.response_id, {}).setdefault(answer.question_id, []).append(answer)
    if survey.anonymity == Anonymity.ANONYMOUS:
        header, rows = _anonymous_rows(survey, responses, answers)
    else:
        header = [_("序号"), _("来源"), _("录入人"), _("楼栋"), _("室号"), _("姓名"), _("年龄段"), _("身份"),
                  _("提交时间")]
        header += [f"{q.position}. {q.text}" for q in survey.questions]
        rows = []
        for number, (response, building, room, name, entered_by) in enumerate(responses, start=1):
            signed = response.person_id is not None or survey.anonymity == Anonymity.NAMED
            row = [number, source_label(response.source), entered_by or ""]
            if signed:
                row += [building or "", room or "", name or "",
                        age_band_label(response.age_band) if response.age_band else "",
                        tenure_label(response.tenure) if response.tenure else "", _local(response.submitted_at)]
            else:  # unsigned where residents choose: as an anonymous survey's rows (no groups, the day only)
                row += ["", "", _("（匿名）"), "", "", _day(response.submitted_at)]
            mine = answers.get(response.id, {})
            row += [_answer_cell(q, mine.get(q.id, [])) for q in survey.questions]
            rows.append(row)
    summary = survey_summary(session, survey)
    count_header = [_("题号"), _("题目"), _("选项"), _("人数"), _("百分比"), _("平均名次")]
    count_rows: list[list] = []
    for q in summary.questions:
        for option in q.rows:
            count_rows.append([q.position, q.label, option.label, option.count, Percent.of(option.count, q.answered),
                               _number(option.average_rank)])
        if q.average:
            count_rows.append([q.position, q.label, _("平均分"), _number(q.average), None, None])
        if q.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
            count_rows.append([q.position, q.label, _("文字回答"), q.text_count, None, None])
    count_rows.append([None, _("回收份数"), None, summary.response_count,
                       Percent.of(summary.response_count, summary.eligible_count), None])
    count_rows.append([None, _("应答人数"), None, summary.eligible_count, None, None])
    return header, rows, count_header, count_rows
