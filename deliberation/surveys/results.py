"""A survey's results: counts per question, response rate, breakdowns by building, age band and tenure, free text."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from deliberation import disclosure
from deliberation.accounts.demographics import AGE_BAND_ORDER, TENURE_ORDER, age_band_label, tenure_label
from deliberation.accounts.models import Building, Household, Ownership, Person, Unit, User
from deliberation.errors import require
from deliberation.surveys.models import Anonymity, Answer, QuestionKind, Response, ResponseSource, Survey
from deliberation.surveys.respondents import eligible_ids, this_year

MIN_ANONYMOUS_GROUP = disclosure.MIN_GROUP_SIZE  # where answers are anonymous, smaller groups are not shown alone
TEXTS_SHOWN = 100  # free-text answers listed per question on the results page (all of them in exports)


def submitted(survey: Survey):
    """The clause for the survey's submitted responses (drafts left out)."""
    return (Response.survey_id == survey.id) & Response.submitted_at.is_not(None)


@dataclass(frozen=True)
class OptionRow:
    label: str
    count: int
    percent: str
    average_rank: str = ""  # ranking questions


@dataclass(frozen=True)
class QuestionSummary:
    id: int
    position: int
    label: str
    kind: str
    answered: int
    rows: list[OptionRow]
    average: str = ""  # scale questions
    text_count: int = 0  # text answers and "其他" texts


@dataclass(frozen=True)
class SurveySummary:
    survey_id: int
    title: str
    response_count: int
    online_count: int
    paper_count: int
    eligible_count: int
    response_rate: str
    questions: list[QuestionSummary]


def survey_summary(session: Session, survey: Survey) -> SurveySummary:
    """Counts and percentages per question, and the response rate, in four aggregate queries."""
    from deliberation.charts import percent

    by_source = dict(session.execute(
        select(Response.source, func.count(Response.id)).where(submitted(survey)).group_by(Response.source)
    ).all())
    online, paper = by_source.get(ResponseSource.ONLINE, 0), by_source.get(ResponseSource.PAPER, 0)
    total = online + paper
    eligible = session.execute(select(func.count()).select_from(eligible_ids(session, survey).subquery())).scalar() or 0
    answered = dict(session.execute(
        select(Answer.question_id, func.count(func.distinct(Answer.response_id)))
        .join(Response, Response.id == Answer.response_id)
        .where(submitted(survey))
        .group_by(Answer.question_id)
    ).all())
    counts: dict[int, list] = {}
    for row in session.execute(
        select(Answer.question_id, Answer.option_index, Answer.value, Answer.is_other,
               func.count(Answer.id).label("n"), func.sum(Answer.rank).label("rank_sum"),
               func.sum(case((Answer.rank == 1, 1), else_=0)).label("firsts"))
        .join(Response, Response.id == Answer.response_id)
        .where(submitted(survey))
        .group_by(Answer.question_id, Answer.option_index, Answer.value, Answer.is_other)
    ):
        counts.setdefault(row.question_id, []).append(row)
    questions = []
    for question in survey.questions:
        n = answered.get(question.id, 0)
        found = counts.get(question.id, [])
        rows: list[OptionRow] = []
        average = ""
        text_count = 0
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            per_option = {r.option_index: r.n for r in found if not r.is_other and r.option_index is not None}
            for index, label in enumerate(question.options or []):
                rows.append(OptionRow(label, per_option.get(index, 0), percent(per_option.get(index, 0), n)))
            if question.allow_other:
                others = sum(r.n for r in found if r.is_other)
                text_count = others
                rows.append(OptionRow(_("其他"), others, percent(others, n)))
        elif question.kind == QuestionKind.SCALE:
            per_value = {r.value: r.n for r in found if r.value is not None}
            for value in range(1, 6):
                rows.append(OptionRow(_("%(n)d 分", n=value), per_value.get(value, 0), percent(per_value.get(value, 0), n)))
            scored = sum(per_value.values())
            if scored:
                average = f"{sum(v * c for v, c in per_value.items()) / scored:.2f}"
        elif question.kind == QuestionKind.RANKING:
            per_option = {r.option_index: r for r in found if r.option_index is not None}
            for index, label in enumerate(question.options or []):
                r = per_option.get(index)
                firsts = int(r.firsts or 0) if r else 0
                mean = f"{(r.rank_sum or 0) / r.n:.2f}" if r and r.n else "—"
                rows.append(OptionRow(label, firsts, percent(firsts, n), mean))
        else:
            text_count = sum(r.n for r in found)
        questions.append(QuestionSummary(question.id, question.position, question.text, question.kind.value, n,
                                         rows, average, text_count))
    return SurveySummary(survey.id, survey.title, total, online, paper, eligible, percent(total, eligible), questions)


@dataclass(frozen=True)
class GroupRow:
    key: str
    label: str
    responses: int
    eligible: int
    rate: str


def _age_case(birth_year, year: int):
    return case(
        (birth_year.is_(None), ""),
        (year - birth_year < 18, "<18"),
        (year - birth_year < 35, "18-34"),
        (year - birth_year < 60, "35-59"),
        else_="60+",
    )


def breakdowns(session: Session, survey: Survey) -> dict[str, list[GroupRow]]:
    """Responses and eligible persons per building, age band and tenure (aggregate SQL, six queries)."""
    from deliberation.charts import percent

    year = this_year()
    eligible = eligible_ids(session, survey).subquery()
    person = Person.__table__.alias("p")
    base = select(person).where(person.c.id.in_(select(eligible.c.id))).subquery()
    building_of = func.coalesce(
        select(Unit.building_id).join(Household, Household.unit_id == Unit.id)
        .where(Household.id == base.c.household_id).scalar_subquery(),
        select(func.min(Unit.building_id)).join(Ownership, Ownership.unit_id == Unit.id)
        .where(Ownership.person_id == base.c.id).scalar_subquery(),
    )
    eligible_by = {
        "building": dict(session.execute(
            select(building_of.label("g"), func.count()).select_from(base).group_by("g")).all()),
        "age": dict(session.execute(
            select(_age_case(base.c.birth_year, year).label("g"), func.count()).select_from(base).group_by("g")).all()),
        "tenure": dict(session.execute(
            select(base.c.tenure.label("g"), func.count()).select_from(base).group_by("g")).all()),
    }
    responses_by = {
        "building": dict(session.execute(select(Response.building_id, func.count(Response.id))
                                         .where(submitted(survey)).group_by(Response.building_id)).all()),
        "age": dict(session.execute(select(Response.age_band, func.count(Response.id))
                                    .where(submitted(survey)).group_by(Response.age_band)).all()),
        "tenure": dict(session.execute(select(Response.tenure, func.count(Response.id))
                                       .where(submitted(survey)).group_by(Response.tenure)).all()),
    }
    eligible_by["tenure"] = {str(getattr(k, "value", k)): v for k, v in eligible_by["tenure"].items()}
    buildings = session.execute(
        select(Building.id, Building.name).where(Building.community_id == survey.community_id)
        .order_by(Building.sort_key, Building.id)
    ).all()
    result: dict[str, list[GroupRow]] = {}
    rows = []
    for building_id, name in buildings:
        e, r = eligible_by["building"].get(building_id, 0), responses_by["building"].get(building_id, 0)
        if e or r:
            rows.append(GroupRow(str(building_id), name, r, e, percent(r, e)))
    unknown_e, unknown_r = eligible_by["building"].get(None, 0), responses_by["building"].get(None, 0)
    if unknown_e or unknown_r:
        rows.append(GroupRow("", _("未知"), unknown_r, unknown_e, percent(unknown_r, unknown_e)))
    result["building"] = rows
    for dimension, keys, label in (("age", AGE_BAND_ORDER, age_band_label),
                                   ("tenure", TENURE_ORDER, tenure_label)):
        rows = []
        for key in keys:
            e, r = eligible_by[dimension].get(key, 0), responses_by[dimension].get(key, 0)
            if e or r:
                rows.append(GroupRow(key, label(key), r, e, percent(r, e)))
        result[dimension] = rows
    return result


@dataclass(frozen=True)
class CrossRow:
    label: str
    answered: int
    counts: list[int]
    percents: list[str]


@dataclass(frozen=True)
class CrossTable:
    columns: list[str]
    rows: list[CrossRow]
    withheld: int = 0  # responses in groups too small to show even merged (anonymous answers): 少于5人


DIMENSIONS = ("building", "age", "tenure")


def answer_breakdown(session: Session, survey: Survey, dimension: str) -> dict[int, CrossTable]:
    """Per choice or scale question, the answers of each building, age band or tenure (two GROUP BY queries).

    Where answers may be anonymous, a group of fewer than disclosure.MIN_GROUP_SIZE responses is not shown on
    its own (one answer from a small building would say who gave it): the rule of deliberation.disclosure
    merges such groups into 其他, or, when even together they are too few, counts them as withheld.
    """
    from deliberation.charts import percent

    group = {"building": Response.building_id, "age": Response.age_band, "tenure": Response.tenure}[dimension]
    counted: dict[tuple[int, object], dict[tuple, int]] = {}
    for row in session.execute(
        select(Answer.question_id, group.label("g"), Answer.option_index, Answer.value, Answer.is_other,
               func.count(Answer.id).label("n"))
        .join(Response, Response.id == Answer.response_id)
        .where(submitted(survey), Answer.rank.is_(None))
        .group_by(Answer.question_id, group, Answer.option_index, Answer.value, Answer.is_other)
    ):
        key = ("other",) if row.is_other else ("option", row.option_index) if row.option_index is not None \
            else ("value", row.value)
        counted.setdefault((row.question_id, row.g), {})[key] = row.n
    answered = {
        (qid, g): n for qid, g, n in session.execute(
            select(Answer.question_id, group, func.count(func.distinct(Answer.response_id)))
            .join(Response, Response.id == Answer.response_id)
            .where(submitted(survey))
            .group_by(Answer.question_id, group)
        ).all()
    }
    if dimension == "building":
        names = dict(session.execute(select(Building.id, Building.name).where(
            Building.community_id == survey.community_id).order_by(Building.sort_key, Building.id)).all())
        order = [*names, None]
        label = lambda g: names.get(g, _("未知"))  # noqa: E731
    elif dimension == "age":
        order, label = list(AGE_BAND_ORDER), age_band_label
    else:
        order, label = list(TENURE_ORDER), tenure_label
    tables: dict[int, CrossTable] = {}
    for question in survey.questions:
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            keys = [("option", i) for i in range(len(question.options or []))]
            columns = list(question.options or [])
            if question.allow_other:
                keys.append(("other",))
                columns.append(_("其他"))
        elif question.kind == QuestionKind.SCALE:
            keys = [("value", v) for v in range(1, 6)]
            columns = [_("%(n)d 分", n=v) for v in range(1, 6)]
        else:
            continue
        groups = []
        for g in order:
            n = answered.get((question.id, g), 0)
            if n:
                found = counted.get((question.id, g), {})
                groups.append(disclosure.Group(g, n, [found.get(k, 0) for k in keys]))
        if survey.anonymity != Anonymity.NAMED:
            shown = disclosure.suppress(groups)
            withheld = sum(g.size for g in groups) - sum(g.size for g in shown)
            shown = [g for g in shown if g.key != disclosure.FEWER]
        else:
            shown, withheld = groups, 0
        rows = [CrossRow(disclosure.label(g.key) if g.key in disclosure.CODES else label(g.key), g.size, g.counts,
                         [percent(c, g.size) for c in g.counts]) for g in shown]
        tables[question.id] = CrossTable(columns, rows, withheld)
    return tables


def dimension_label(dimension: str) -> str:
    """The name of a breakdown: building, age band or tenure."""
    return {"building": _("楼栋"), "age": _("年龄段"), "tenure": _("业主/租户")}[dimension]


@dataclass(frozen=True)
class TextAnswer:
    text: str
    hidden: bool  # contains a blocked word: residents see a placeholder, moderators the text, marked
    other: bool


def _blocked(session: Session, community_id: int) -> list[str]:
    from deliberation.consultations.moderation import blocked_words

    return [w.casefold() for w in blocked_words(session, community_id)]


def contains_blocked(text: str, words: list[str]) -> bool:
    """Whether a text holds one of the (casefolded) blocked words."""
    lowered = text.casefold()
    return any(word in lowered for word in words)


def free_texts(session: Session, survey: Survey, *, limit: int = TEXTS_SHOWN) -> dict[int, list[TextAnswer]]:
    """The first `limit` text answers of each question (and "其他" texts), newest last, blocked words marked."""
    words = _blocked(session, survey.community_id)
    numbered = (
        select(Answer.question_id, Answer.text, Answer.is_other,
               func.row_number().over(partition_by=Answer.question_id, order_by=Answer.id).label("n"))
        .join(Response, Response.id == Answer.response_id)
        .where(submitted(survey), Answer.text.is_not(None))
        .subquery()
    )
    found: dict[int, list[TextAnswer]] = {}
    for row in session.execute(select(numbered).where(numbered.c.n <= limit).order_by(numbered.c.question_id,
                                                                                        numbered.c.n)):
        found.setdefault(row.question_id, []).append(TextAnswer(row.text, contains_blocked(row.text, words),
                                                                row.is_other))
    return found


def require_results(survey: Survey, user: User) -> None:
    """Refuse (403) to show results the user may not see yet."""
    require(survey.can_see_results(user), _("问卷截止后才公布结果"))
