"""Operations on surveys: building the questionnaire, answering (online and paper), results.

Every function takes the database session and the acting user first, checks permission, validates,
writes, records an audit event and flushes; the caller commits once. Answers are checked as a
whole before anything is written, so a refused answer leaves nothing half-saved.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Building, Community, Household, Ownership, Person, Unit, User
from deliberation.consultations.eligibility import eligible_clause, eligible_person_ids, resident_facts
from deliberation.consultations.models import Consultation
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid
from deliberation.surveys.models import (
    Anonymity,
    Answer,
    Participation,
    Question,
    QuestionKind,
    Response,
    ResponseSource,
    Survey,
    SurveyState,
)
from deliberation.validation import clean_text

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_QUESTIONS = 50
MAX_OPTIONS = 20
MAX_OPTION_LENGTH = 100
MAX_SHORT_TEXT = 200
MAX_LONG_TEXT = 2000
MAX_OTHER_TEXT = 200
MAX_INTRO = 5000
MIN_ANONYMOUS_GROUP = 3  # where answers are anonymous, smaller groups are not shown on their own
TEXTS_SHOWN = 100  # free-text answers listed per question on the results page (all of them in exports)
AGE_BANDS = ("<35", "35-59", "60+")
OTHER = "other"


def kind_label(kind: QuestionKind | str) -> str:
    return {
        QuestionKind.SINGLE: _("单选题"),
        QuestionKind.MULTIPLE: _("多选题"),
        QuestionKind.SHORT_TEXT: _("简答题"),
        QuestionKind.LONG_TEXT: _("问答题"),
        QuestionKind.SCALE: _("1–5 分打分题"),
        QuestionKind.RANKING: _("排序题"),
    }[QuestionKind(kind)]


def state_label(state: SurveyState) -> str:
    return {
        SurveyState.DRAFT: _("草稿"),
        SurveyState.SCHEDULED: _("未开始"),
        SurveyState.OPEN: _("填写中"),
        SurveyState.CLOSED: _("已截止"),
    }[state]


def anonymity_label(anonymity: Anonymity | str) -> str:
    return {Anonymity.NAMED: _("实名"), Anonymity.ANONYMOUS: _("匿名"), Anonymity.CHOICE: _("居民自选是否匿名")}[
        Anonymity(anonymity)]


def age_band_label(band: str) -> str:
    return {"<35": _("35岁以下"), "35-59": _("35–59岁"), "60+": _("60岁以上")}.get(band, _("未知"))


def tenure_label(tenure: str) -> str:
    return {"owner": _("业主"), "tenant": _("租户"), "family": _("家属")}.get(tenure, _("未知"))


def source_label(source: ResponseSource | str) -> str:
    return _("纸质") if str(source) == ResponseSource.PAPER else _("网上")


def text_limit(question: Question) -> int:
    default = MAX_LONG_TEXT if question.kind == QuestionKind.LONG_TEXT else MAX_SHORT_TEXT
    return question.max_length or default




# -- helpers -----------------------------------------------------------------------------------


def _require_moderator(community: Community, actor: User) -> None:
    if not community.can_moderate(actor):
        raise Forbidden(_("只有本居民区的主持人可以进行此操作"))


def has_responses(session: Session, survey: Survey) -> bool:
    """Any response at all, drafts included: their answers point at the questions as they are."""
    return session.execute(select(Response.id).where(Response.survey_id == survey.id).limit(1)).first() is not None


def _require_questions_editable(session: Session, survey: Survey) -> None:
    if has_responses(session, survey):
        raise Conflict(_("已经有人填写了这份问卷，问题不能再修改；如需修改，请创建新版本"))


def this_year() -> int:
    return utcnow().astimezone(SHANGHAI).year


def age_band(birth_year: int | None, year: int | None = None) -> str:
    if birth_year is None:
        return ""
    age = (year or this_year()) - birth_year
    return "<35" if age < 35 else "35-59" if age < 60 else "60+"


def respondent_key(survey: Survey, person_id: int) -> str:
    """Finds a person's own response without storing who they are on it (anonymous surveys)."""
    secret = str(current_app.secret_key or "").encode()
    return hmac.new(secret, f"survey:{survey.id}:person:{person_id}".encode(), hashlib.sha256).hexdigest()


# -- surveys -----------------------------------------------------------------------------------


@dataclass
class SurveyInput:
    title: str
    intro: str = ""
    anonymous: bool = False  # shorthand for anonymity="anonymous"
    anonymity: str | None = None  # named | anonymous | choice (each resident chooses)
    consultation_id: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def _apply(session: Session, survey: Survey, community: Community, data: SurveyInput) -> None:
    title = clean_text(data.title, "title", _("标题"), max_length=200)
    intro = clean_text(data.intro, "intro", _("说明"), max_length=MAX_INTRO, required=False)
    consultation_id = data.consultation_id or None
    if consultation_id is not None:
        found = session.execute(
            select(Consultation.id).where(Consultation.id == consultation_id,
                                          Consultation.community_id == community.id)
        ).first()
        if found is None:
            raise Invalid(_("请选择本居民区的议事"), fields={"consultation_id": _("请选择本居民区的议事")})
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        raise Invalid(_("截止时间须晚于开始时间"), fields={"closes_at": _("截止时间须晚于开始时间")})
    try:
        anonymity = Anonymity(data.anonymity or (Anonymity.ANONYMOUS if data.anonymous else Anonymity.NAMED))
    except ValueError as error:
        raise Invalid(_("请选择实名、匿名或由居民自选"), fields={"anonymity": _("请选择填写方式")}) from error
    if anonymity != survey.anonymity and survey.id is not None and has_responses(session, survey):
        raise Conflict(_("已经有人填写，不能再改变是否匿名"))
    survey.title = title
    survey.intro = intro
    survey.anonymity = anonymity
    survey.consultation_id = consultation_id
    survey.opens_at = data.opens_at
    survey.closes_at = data.closes_at


def create_survey(session: Session, actor: User, community: Community, data: SurveyInput) -> Survey:
    """A new survey, as a draft that residents do not see until it is published."""
    _require_moderator(community, actor)
    survey = Survey(community_id=community.id, community=community, created_by=actor, state=SurveyState.DRAFT)
    _apply(session, survey, community, data)
    session.add(survey)
    session.flush()
    audit.record(session, actor, "survey.create", survey, community_id=community.id, title=survey.title,
                 anonymity=survey.anonymity.value, consultation_id=survey.consultation_id)
    return survey


def update_survey(session: Session, actor: User, survey: Survey, data: SurveyInput) -> Survey:
    """Change a survey's title, introduction, anonymity (before any answer), session and times."""
    _require_moderator(survey.community, actor)
    if survey.effective_state == SurveyState.CLOSED:
        raise Conflict(_("问卷已截止，不能再修改"))
    _apply(session, survey, survey.community, data)
    session.flush()
    audit.record(session, actor, "survey.update", survey, community_id=survey.community_id, title=survey.title,
                 anonymity=survey.anonymity.value)
    return survey


def publish_survey(session: Session, actor: User, survey: Survey) -> Survey:
    """Open a draft to the eligible residents (from opens_at, if set); an earlier version closes."""
    _require_moderator(survey.community, actor)
    if survey.state != SurveyState.DRAFT:
        raise Conflict(_("问卷已经发布过了"))
    if not survey.questions:
        raise Invalid(_("请先添加至少一个问题"), fields={"questions": _("请先添加至少一个问题")})
    now = utcnow()
    if survey.closes_at is not None and survey.closes_at <= now:
        raise Invalid(_("截止时间已过，请先修改截止时间"), fields={"closes_at": _("截止时间已过")})
    survey.state = SurveyState.OPEN
    survey.published_at = now
    previous = survey.previous_version
    if previous is not None and previous.state != SurveyState.CLOSED:
        previous.state = SurveyState.CLOSED
        audit.record(session, actor, "survey.close", previous, community_id=previous.community_id,
                     reason="new_version", new_version_id=survey.id)
    session.flush()
    audit.record(session, actor, "survey.publish", survey, community_id=survey.community_id, version=survey.version)
    logger.info("survey %s published by user %s", survey.id, actor.id)
    return survey


def close_survey(session: Session, actor: User, survey: Survey) -> Survey:
    """Stop taking answers now."""
    _require_moderator(survey.community, actor)
    if survey.state == SurveyState.DRAFT:
        raise Conflict(_("草稿不能截止，请先发布"))
    if survey.effective_state == SurveyState.CLOSED:
        raise Conflict(_("问卷已经截止了"))
    survey.state = SurveyState.CLOSED
    session.flush()
    audit.record(session, actor, "survey.close", survey, community_id=survey.community_id)
    return survey


def new_version(session: Session, actor: User, survey: Survey) -> Survey:
    """A draft copy of the survey and its questions, to change what can no longer change in place."""
    _require_moderator(survey.community, actor)
    newer = session.execute(select(Survey.id).where(Survey.previous_version_id == survey.id)).first()
    if newer is not None:
        raise Conflict(_("这份问卷已经有新版本了"), detail={"survey_id": newer[0]})
    copy = Survey(
        community_id=survey.community_id, consultation_id=survey.consultation_id, title=survey.title,
        intro=survey.intro, anonymity=survey.anonymity, state=SurveyState.DRAFT, opens_at=None,
        closes_at=survey.closes_at if survey.closes_at and survey.closes_at > utcnow() else None,
        version=survey.version + 1, previous_version_id=survey.id, created_by=actor,
    )
    copy.questions = [
        Question(position=q.position, kind=q.kind, text=q.text, help_text=q.help_text, required=q.required,
                 options=list(q.options or []), max_choices=q.max_choices, allow_other=q.allow_other,
                 max_length=q.max_length)
        for q in survey.questions
    ]
    session.add(copy)
    session.flush()
    audit.record(session, actor, "survey.new_version", copy, community_id=copy.community_id,
                 previous_version_id=survey.id, version=copy.version)
    return copy


# -- questions ---------------------------------------------------------------------------------


@dataclass
class QuestionInput:
    kind: str
    text: str
    help_text: str = ""
    required: bool = False
    options: list[str] = field(default_factory=list)
    max_choices: int | None = None
    allow_other: bool = False


def _apply_question(question: Question, data: QuestionInput) -> None:
    try:
        kind = QuestionKind(data.kind)
    except ValueError as error:
        raise Invalid(_("题型无效"), fields={"kind": _("请选择题型")}) from error
    text = clean_text(data.text, "text", _("题目"), max_length=500)
    help_text = clean_text(data.help_text, "help_text", _("补充说明"), max_length=500, required=False)
    options: list[str] = []
    if kind.has_options:
        seen: set[str] = set()
        for raw in data.options:
            label = (raw or "").strip()
            if not label or label in seen:
                continue
            if len(label) > MAX_OPTION_LENGTH:
                raise Invalid(_("选项不能超过 %(n)d 个字", n=MAX_OPTION_LENGTH),
                              fields={"options": _("选项不能超过 %(n)d 个字", n=MAX_OPTION_LENGTH)})
            seen.add(label)
            options.append(label)
        least = 1 if data.allow_other and kind != QuestionKind.RANKING else 2
        if len(options) < least:
            raise Invalid(_("请至少填写两个选项"), fields={"options": _("请至少填写两个选项（每行一个）")})
        if len(options) > MAX_OPTIONS:
            raise Invalid(_("选项不能超过 %(n)d 个", n=MAX_OPTIONS),
                          fields={"options": _("选项不能超过 %(n)d 个", n=MAX_OPTIONS)})
    max_choices = None
    if kind == QuestionKind.MULTIPLE and data.max_choices:
        max_choices = int(data.max_choices)
        total = len(options) + (1 if data.allow_other else 0)
        if not 1 <= max_choices <= total:
            raise Invalid(_("最多可选项数须在 1 到 %(n)d 之间", n=total),
                          fields={"max_choices": _("须在 1 到 %(n)d 之间", n=total)})
    question.kind = kind
    question.text = text
    question.help_text = help_text
    question.required = bool(data.required)
    question.options = options
    question.max_choices = max_choices
    question.allow_other = bool(data.allow_other) and kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)


def add_question(session: Session, actor: User, survey: Survey, data: QuestionInput) -> Question:
    """A question at the end of the survey."""
    _require_moderator(survey.community, actor)
    _require_questions_editable(session, survey)
    if len(survey.questions) >= MAX_QUESTIONS:
        raise Conflict(_("一份问卷最多 %(n)d 个问题", n=MAX_QUESTIONS))
    question = Question(survey_id=survey.id)
    _apply_question(question, data)
    question.position = max((q.position for q in survey.questions), default=0) + 1
    survey.questions.append(question)
    session.flush()
    audit.record(session, actor, "survey.question_add", question, community_id=survey.community_id,
                 survey_id=survey.id, kind=question.kind.value)
    return question


def update_question(session: Session, actor: User, question: Question, data: QuestionInput) -> Question:
    survey = question.survey
    _require_moderator(survey.community, actor)
    _require_questions_editable(session, survey)
    _apply_question(question, data)
    session.flush()
    audit.record(session, actor, "survey.question_update", question, community_id=survey.community_id,
                 survey_id=survey.id)
    return question


def delete_question(session: Session, actor: User, question: Question) -> None:
    survey = question.survey
    _require_moderator(survey.community, actor)
    _require_questions_editable(session, survey)
    audit.record(session, actor, "survey.question_delete", question, community_id=survey.community_id,
                 survey_id=survey.id, text=question.text)
    survey.questions.remove(question)
    session.flush()
    _renumber(survey)
    session.flush()


def _renumber(survey: Survey) -> None:
    for number, question in enumerate(sorted(survey.questions, key=lambda q: (q.position, q.id)), start=1):
        question.position = number


def move_question(session: Session, actor: User, question: Question, direction: str) -> Question:
    """Swap a question with the one above ("up") or below ("down")."""
    survey = question.survey
    _require_moderator(survey.community, actor)
    _require_questions_editable(session, survey)
    if direction not in ("up", "down"):
        raise Invalid(_("移动方向无效"), fields={"direction": _("移动方向无效")})
    _renumber(survey)
    ordered = sorted(survey.questions, key=lambda q: q.position)
    index = ordered.index(question)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index].position, ordered[other].position = ordered[other].position, ordered[index].position
    session.flush()
    session.expire(survey, ["questions"])
    audit.record(session, actor, "survey.question_move", question, community_id=survey.community_id,
                 survey_id=survey.id, direction=direction)
    return question


# -- answering ---------------------------------------------------------------------------------


@dataclass
class AnswerInput:
    """What was given for one question, as typed (kept whole so a refused form shows it again)."""

    choices: list[int] = field(default_factory=list)  # option indexes; single choice: at most one
    other: bool = False  # "其他" ticked
    other_text: str = ""
    text: str = ""
    value: int | None = None  # scale 1–5
    ranking: list[int] = field(default_factory=list)  # option indexes, most preferred first
    ranks: dict[int, int] = field(default_factory=dict)  # the page's form: option index -> rank typed

    @property
    def is_empty(self) -> bool:
        return not (self.choices or self.other or self.other_text.strip() or self.text.strip()
                    or self.value is not None or self.ranking or self.ranks)

    def rank_of(self, index: int) -> int | None:
        if self.ranks:
            return self.ranks.get(index)
        return self.ranking.index(index) + 1 if index in self.ranking else None


def answer_field(question: Question | int) -> str:
    return f"q{question if isinstance(question, int) else question.id}"


def check_answers(survey: Survey, answers: dict[int, AnswerInput], *, complete: bool) -> list[Answer]:
    """Answer rows for these answers, or Invalid naming every question that needs a change.

    complete: required questions must be answered (a submission); a draft may leave them empty.
    """
    errors: dict[str, str] = {}
    rows: list[Answer] = []
    by_id = {q.id: q for q in survey.questions}
    for question_id in answers:
        if question_id not in by_id:
            errors["answers"] = _("问卷中没有编号为 %(id)s 的问题", id=question_id)
    for question in survey.questions:
        given = answers.get(question.id) or AnswerInput()
        try:
            rows.extend(_answer_rows(question, given, complete=complete))
        except Invalid as error:
            errors[answer_field(question)] = error.message
    if errors:
        raise Invalid(_("有 %(n)d 处需要修改，请看各题下方的红字说明", n=len(errors)), fields=errors)
    return rows


def _answer_rows(question: Question, given: AnswerInput, *, complete: bool) -> list[Answer]:
    kind = question.kind
    if kind.has_options:
        count = len(question.options or [])
        choices = given.choices if kind != QuestionKind.RANKING else given.ranking
        for index in choices:
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
                raise Invalid(_("所选的选项不在本题中"))
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        choices = list(dict.fromkeys(given.choices))
        other_text = (given.other_text or "").replace("\r\n", "\n").strip()
        other = given.other or bool(other_text)
        if other and not question.allow_other:
            raise Invalid(_("本题没有“其他”选项"))
        if other and not other_text:
            raise Invalid(_("选了“其他”，请注明具体内容"))
        if len(other_text) > MAX_OTHER_TEXT:
            raise Invalid(_("“其他”的内容不能超过 %(n)d 个字（现在 %(m)d 个字）", n=MAX_OTHER_TEXT, m=len(other_text)))
        picked = len(choices) + (1 if other else 0)
        if kind == QuestionKind.SINGLE and picked > 1:
            raise Invalid(_("本题只能选一项"))
        if kind == QuestionKind.MULTIPLE and question.max_choices and picked > question.max_choices:
            raise Invalid(_("本题最多选 %(n)d 项（现在选了 %(m)d 项）", n=question.max_choices, m=picked))
        if complete and question.required and not picked:
            raise Invalid(_("此题为必答题，请作答"))
        rows = [Answer(question_id=question.id, option_index=i) for i in choices]
        if other:
            rows.append(Answer(question_id=question.id, is_other=True, text=other_text))
        return rows
    if kind.is_text:
        text = (given.text or "").replace("\r\n", "\n").strip()
        limit = text_limit(question)
        if len(text) > limit:
            raise Invalid(_("不能超过 %(n)d 个字（现在 %(m)d 个字）", n=limit, m=len(text)))
        if complete and question.required and not text:
            raise Invalid(_("此题为必答题，请作答"))
        return [Answer(question_id=question.id, text=text)] if text else []
    if kind == QuestionKind.SCALE:
        value = given.value
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5):
            raise Invalid(_("请选择 1 到 5 之间的分数"))
        if complete and question.required and value is None:
            raise Invalid(_("此题为必答题，请作答"))
        return [Answer(question_id=question.id, value=value)] if value is not None else []
    # ranking
    ranking = given.ranking
    if given.ranks:
        count = len(question.options or [])
        if any(not 1 <= rank <= count for rank in given.ranks.values()):
            raise Invalid(_("名次须在 1 到 %(n)d 之间", n=count))
        if len(set(given.ranks.values())) != len(given.ranks):
            raise Invalid(_("每个名次只能给一个选项，每个选项只能排一次"))
        ranking = [index for index, _rank in sorted(given.ranks.items(), key=lambda item: item[1])]
    if len(set(ranking)) != len(ranking):
        raise Invalid(_("每个名次只能给一个选项，每个选项只能排一次"))
    if complete and question.required and len(ranking) != len(question.options or []):
        raise Invalid(_("此题为必答题，请给每个选项排出名次"))
    return [Answer(question_id=question.id, option_index=index, rank=number)
            for number, index in enumerate(ranking, start=1)]


def answers_of(response: Response | None) -> dict[int, AnswerInput]:
    """A stored response as the input it came from (to show in the form again)."""
    found: dict[int, AnswerInput] = {}
    if response is None:
        return found
    for row in sorted(response.answers, key=lambda a: (a.rank or 0, a.id or 0)):
        given = found.setdefault(row.question_id, AnswerInput())
        if row.is_other:
            given.other, given.other_text = True, row.text or ""
        elif row.rank is not None:
            given.ranking.append(row.option_index)
        elif row.option_index is not None:
            given.choices.append(row.option_index)
        elif row.value is not None:
            given.value = row.value
        elif row.text is not None:
            given.text = row.text
    return found


def may_answer(session: Session, survey: Survey, user: User) -> bool:
    """Residents of the roster inside the survey's eligibility (its session's, or the community)."""
    if not user.is_authenticated or user.person_id is None:
        return False
    person = session.get(Person, user.person_id)
    if person is None or person.community_id != survey.community_id:
        return False
    if survey.consultation_id is None:
        return True
    clause = eligible_clause(resident_facts(session, user))
    return session.execute(
        select(Consultation.id).where(Consultation.id == survey.consultation_id, clause)
    ).first() is not None


def _refuse_unless_open(survey: Survey) -> None:
    state = survey.effective_state
    if state == SurveyState.CLOSED:
        raise Conflict(_("问卷已截止，不能再填写或修改"))
    if state != SurveyState.OPEN:
        raise Conflict(_("问卷尚未开始填写"))


def my_response(session: Session, user: User, survey: Survey) -> Response | None:
    if not user.is_authenticated or user.person_id is None:
        return None
    return session.execute(
        select(Response).where(Response.survey_id == survey.id,
                               Response.respondent_key == respondent_key(survey, user.person_id))
    ).scalar()


@dataclass(frozen=True)
class PersonFacts:
    building_id: int | None
    age_band: str
    tenure: str


def person_facts(session: Session, person_id: int) -> PersonFacts:
    """Building (where they live, else where they own), age band and tenure, for the breakdowns."""
    row = session.execute(
        select(Person.birth_year, Person.tenure, _person_building().label("building_id")).where(Person.id == person_id)
    ).one()
    return PersonFacts(row.building_id, age_band(row.birth_year), str(row.tenure.value if row.tenure else ""))


def _person_building():
    lives = (
        select(Unit.building_id)
        .join(Household, Household.unit_id == Unit.id)
        .where(Household.id == Person.household_id)
        .correlate(Person)
        .scalar_subquery()
    )
    owns = (
        select(func.min(Unit.building_id))
        .join(Ownership, Ownership.unit_id == Unit.id)
        .where(Ownership.person_id == Person.id)
        .correlate(Person)
        .scalar_subquery()
    )
    return func.coalesce(lives, owns)


def is_anonymous(survey: Survey, chosen: bool | None) -> bool:
    """Whether a response is kept without its person: the survey's rule, or the resident's choice."""
    if survey.anonymity == Anonymity.CHOICE:
        return chosen is not False
    return survey.anonymity == Anonymity.ANONYMOUS


def _write_answers(session: Session, response: Response, rows: list[Answer]) -> None:
    if response.id is not None:
        session.execute(delete(Answer).where(Answer.response_id == response.id))
        session.expire(response, ["answers"])
    response.answers = rows


def save_response(session: Session, actor: User, survey: Survey, answers: dict[int, AnswerInput], *,
                  submit: bool, new: bool = False, anonymous: bool | None = None) -> Response:
    """Save the resident's own response: a draft (submit=False) or the submission; editable until the close.

    A submitted response stays submitted: later saves are checked as submissions. new=True refuses
    when the resident already has a response (the API's "create"), instead of updating it.
    anonymous: the resident's choice where the survey lets them choose (default: anonymous).
    """
    _refuse_unless_open(survey)
    if not may_answer(session, survey, actor):
        raise Forbidden(_("您不在这份问卷的填写范围内"))
    response = my_response(session, actor, survey)
    if response is not None and response.source == ResponseSource.PAPER:
        raise Conflict(_("您的纸质问卷已由居委会录入；如需修改，请联系居委会"))
    if response is not None and new:
        raise Conflict(_("您已经填写过这份问卷，每人只能填一份；可以修改已有的答卷"),
                       detail={"response_id": response.id})
    complete = submit or (response is not None and response.is_submitted)
    rows = check_answers(survey, answers, complete=complete)
    facts = person_facts(session, actor.person_id)
    now = utcnow()
    created = response is None
    hidden = is_anonymous(survey, anonymous)
    try:
        with session.begin_nested():
            if created:
                session.add(Participation(survey_id=survey.id, person_id=actor.person_id,
                                          source=ResponseSource.ONLINE))
                response = Response(survey_id=survey.id, respondent_key=respondent_key(survey, actor.person_id),
                                    source=ResponseSource.ONLINE)
                session.add(response)
                session.flush()
            response.person_id, response.user_id = (None, None) if hidden else (actor.person_id, actor.id)
            response.building_id, response.age_band, response.tenure = facts.building_id, facts.age_band, facts.tenure
            response.updated_at = now
            if complete and response.submitted_at is None:
                response.submitted_at = now
            _write_answers(session, response, rows)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("您已经填写过这份问卷，每人只能填一份")) from error
    action = "survey.submit" if complete else "survey.save_draft"
    # Anonymous: the event says that this person took part, never which response is theirs.
    audit.record(session, actor, action, None if hidden else response,
                 community_id=survey.community_id, survey_id=survey.id, created=created)
    return response


# -- paper -------------------------------------------------------------------------------------


def find_unit(session: Session, survey: Survey, building_id: int | None, room: str) -> Unit:
    room = (room or "").strip().removesuffix("室")
    fields_: dict[str, str] = {}
    if not building_id:
        fields_["building_id"] = _("请选择楼栋")
    if not room:
        fields_["room"] = _("请填写室号")
    if fields_:
        raise Invalid(_("请填写纸质问卷上的楼栋和室号"), fields=fields_)
    unit = session.execute(
        select(Unit).join(Building, Building.id == Unit.building_id)
        .where(Building.id == building_id, Building.community_id == survey.community_id, Unit.room == room)
    ).scalar()
    if unit is None:
        raise Invalid(_("本居民区没有这个室号"), fields={"room": _("该楼栋没有这个室号")})
    return unit


def enter_paper_response(session: Session, actor: User, survey: Survey, answers: dict[int, AnswerInput], *,
                         building_id: int | None, room: str, person_name: str = "") -> Response:
    """A paper form typed in by a moderator: marked paper, with who entered it and the unit written on it.

    Required questions may be blank (the form is what it is); every other rule holds. With a name that
    matches a person of that unit, the one-response-each rule holds for that person too.
    """
    _require_moderator(survey.community, actor)
    _refuse_unless_open(survey)
    unit = find_unit(session, survey, building_id, room)
    person = None
    name = (person_name or "").strip()
    if name:
        lives = select(Person.id).join(Household, Household.id == Person.household_id).where(Household.unit_id == unit.id)
        owns = select(Ownership.person_id).where(Ownership.unit_id == unit.id)
        person = session.execute(
            select(Person).where(Person.community_id == survey.community_id, Person.name == name,
                                 Person.id.in_(lives.union(owns)))
        ).scalars().first()
        if person is None:
            raise Invalid(_("该户没有叫这个名字的居民"), fields={"person_name": _("该户名册中没有这个名字")})
        if person.id not in set(session.execute(
            eligible_ids(session, survey).where(Person.id == person.id)
        ).scalars()):
            raise Invalid(_("该居民不在本问卷的填写范围内"), fields={"person_name": _("不在本问卷的填写范围内")})
    rows = check_answers(survey, answers, complete=False)
    now = utcnow()
    facts = person_facts(session, person.id) if person is not None else None
    response = Response(survey_id=survey.id, source=ResponseSource.PAPER, entered_by_id=actor.id, unit_id=unit.id,
                        building_id=unit.building_id, age_band=facts.age_band if facts else "",
                        tenure=facts.tenure if facts else "", submitted_at=now, updated_at=now)
    try:
        with session.begin_nested():
            if person is not None:
                session.add(Participation(survey_id=survey.id, person_id=person.id, source=ResponseSource.PAPER))
                response.respondent_key = respondent_key(survey, person.id)
                if survey.anonymity != Anonymity.ANONYMOUS:  # a name written on paper signs it
                    response.person_id = person.id
            session.add(response)
            session.flush()
            _write_answers(session, response, rows)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("该居民已经填写过这份问卷（网上或纸质），每人只能一份"),
                       fields={"person_name": _("已经填写过")}) from error
    audit.record(session, actor, "survey.paper_entry", response, community_id=survey.community_id,
                 survey_id=survey.id, unit_id=unit.id)
    return response


def paper_count(session: Session, survey: Survey) -> int:
    return session.execute(
        select(func.count(Response.id)).where(Response.survey_id == survey.id,
                                              Response.source == ResponseSource.PAPER)
    ).scalar() or 0


# -- results -----------------------------------------------------------------------------------


def eligible_ids(session: Session, survey: Survey) -> Select:
    """SELECT of the ids of the persons who may answer: the session's eligibility, else the community."""
    if survey.consultation_id is not None:
        consultation = session.get(Consultation, survey.consultation_id)
        if consultation is not None:
            return eligible_person_ids(consultation)
    return select(Person.id).where(Person.community_id == survey.community_id)


def _submitted(survey: Survey):
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
        select(Response.source, func.count(Response.id)).where(_submitted(survey)).group_by(Response.source)
    ).all())
    online, paper = by_source.get(ResponseSource.ONLINE, 0), by_source.get(ResponseSource.PAPER, 0)
    total = online + paper
    eligible = session.execute(select(func.count()).select_from(eligible_ids(session, survey).subquery())).scalar() or 0
    answered = dict(session.execute(
        select(Answer.question_id, func.count(func.distinct(Answer.response_id)))
        .join(Response, Response.id == Answer.response_id)
        .where(_submitted(survey))
        .group_by(Answer.question_id)
    ).all())
    counts: dict[int, list] = {}
    for row in session.execute(
        select(Answer.question_id, Answer.option_index, Answer.value, Answer.is_other,
               func.count(Answer.id).label("n"), func.sum(Answer.rank).label("rank_sum"),
               func.sum(case((Answer.rank == 1, 1), else_=0)).label("firsts"))
        .join(Response, Response.id == Answer.response_id)
        .where(_submitted(survey))
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
        (year - birth_year < 35, "<35"),
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
                                         .where(_submitted(survey)).group_by(Response.building_id)).all()),
        "age": dict(session.execute(select(Response.age_band, func.count(Response.id))
                                    .where(_submitted(survey)).group_by(Response.age_band)).all()),
        "tenure": dict(session.execute(select(Response.tenure, func.count(Response.id))
                                       .where(_submitted(survey)).group_by(Response.tenure)).all()),
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
    for dimension, keys, label in (("age", (*AGE_BANDS, ""), age_band_label),
                                   ("tenure", ("owner", "tenant", "family", ""), tenure_label)):
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
    withheld: int = 0  # responses in groups too small to show without naming someone (anonymous answers)


DIMENSIONS = ("building", "age", "tenure")


def answer_breakdown(session: Session, survey: Survey, dimension: str) -> dict[int, CrossTable]:
    """Per choice or scale question, the answers of each building, age band or tenure (two GROUP BY queries).

    Where answers may be anonymous, a group of fewer than MIN_ANONYMOUS_GROUP responses is left out:
    one answer from a small building would otherwise say who gave it.
    """
    from deliberation.charts import percent

    group = {"building": Response.building_id, "age": Response.age_band, "tenure": Response.tenure}[dimension]
    counted: dict[tuple[int, object], dict[tuple, int]] = {}
    for row in session.execute(
        select(Answer.question_id, group.label("g"), Answer.option_index, Answer.value, Answer.is_other,
               func.count(Answer.id).label("n"))
        .join(Response, Response.id == Answer.response_id)
        .where(_submitted(survey), Answer.rank.is_(None))
        .group_by(Answer.question_id, group, Answer.option_index, Answer.value, Answer.is_other)
    ):
        key = ("other",) if row.is_other else ("option", row.option_index) if row.option_index is not None \
            else ("value", row.value)
        counted.setdefault((row.question_id, row.g), {})[key] = row.n
    answered = {
        (qid, g): n for qid, g, n in session.execute(
            select(Answer.question_id, group, func.count(func.distinct(Answer.response_id)))
            .join(Response, Response.id == Answer.response_id)
            .where(_submitted(survey))
            .group_by(Answer.question_id, group)
        ).all()
    }
    if dimension == "building":
        names = dict(session.execute(select(Building.id, Building.name).where(
            Building.community_id == survey.community_id).order_by(Building.sort_key, Building.id)).all())
        order = [*names, None]
        label = lambda g: names.get(g, _("未知"))  # noqa: E731
    elif dimension == "age":
        order, label = [*AGE_BANDS, ""], age_band_label
    else:
        order, label = ["owner", "tenant", "family", ""], tenure_label
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
        rows = []
        withheld = 0
        for g in order:
            n = answered.get((question.id, g), 0)
            if not n:
                continue
            if survey.anonymity != Anonymity.NAMED and n < MIN_ANONYMOUS_GROUP:
                withheld += n
                continue
            found = counted.get((question.id, g), {})
            counts = [found.get(k, 0) for k in keys]
            rows.append(CrossRow(label(g), n, counts, [percent(c, n) for c in counts]))
        tables[question.id] = CrossTable(columns, rows, withheld)
    return tables


def dimension_label(dimension: str) -> str:
    return {"building": _("楼栋"), "age": _("年龄段"), "tenure": _("业主/租户")}[dimension]


@dataclass(frozen=True)
class TextAnswer:
    text: str
    hidden: bool  # contains a blocked word: residents see a placeholder, moderators the text, marked
    other: bool


def _blocked(session: Session, community_id: int) -> list[str]:
    from deliberation.consultations.services import blocked_words

    return [w.casefold() for w in blocked_words(session, community_id)]


def contains_blocked(text: str, words: list[str]) -> bool:
    lowered = text.casefold()
    return any(word in lowered for word in words)


def free_texts(session: Session, survey: Survey, *, limit: int = TEXTS_SHOWN) -> dict[int, list[TextAnswer]]:
    """The first `limit` text answers of each question (and "其他" texts), newest last, blocked words marked."""
    words = _blocked(session, survey.community_id)
    numbered = (
        select(Answer.question_id, Answer.text, Answer.is_other,
               func.row_number().over(partition_by=Answer.question_id, order_by=Answer.id).label("n"))
        .join(Response, Response.id == Answer.response_id)
        .where(_submitted(survey), Answer.text.is_not(None))
        .subquery()
    )
    found: dict[int, list[TextAnswer]] = {}
    for row in session.execute(select(numbered).where(numbered.c.n <= limit).order_by(numbered.c.question_id,
                                                                                        numbered.c.n)):
        found.setdefault(row.question_id, []).append(TextAnswer(row.text, contains_blocked(row.text, words),
                                                                row.is_other))
    return found


def can_see_results(survey: Survey, user: User) -> bool:
    """Moderators at any time; residents once the survey has closed."""
    return survey.can_moderate(user) or survey.effective_state == SurveyState.CLOSED


def require_results(survey: Survey, user: User) -> None:
    if not can_see_results(survey, user):
        raise Forbidden(_("问卷截止后才公布结果"))


# -- exports -----------------------------------------------------------------------------------


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


def export_tables(session: Session, actor: User, survey: Survey) -> tuple[list[str], list[list], list[str], list[list]]:
    """The responses (one row each, one column per question) and the per-question counts, for CSV/XLSX."""
    _require_moderator(survey.community, actor)
    responses = session.execute(
        select(Response, Building.name, Unit.room, Person.name, User.display_name)
        .outerjoin(Building, Building.id == Response.building_id)
        .outerjoin(Unit, Unit.id == Response.unit_id)
        .outerjoin(Person, Person.id == Response.person_id)
        .outerjoin(User, User.id == Response.entered_by_id)
        .where(_submitted(survey))
        .order_by(Response.submitted_at, Response.id)
    ).all()
    answers: dict[int, dict[int, list[Answer]]] = {}
    for answer in session.execute(
        select(Answer).join(Response, Response.id == Answer.response_id).where(_submitted(survey))
        .order_by(Answer.id)
    ).scalars():
        answers.setdefault(answer.response_id, {}).setdefault(answer.question_id, []).append(answer)
    header = [_("序号"), _("来源"), _("录入人"), _("楼栋"), _("室号")]
    if survey.anonymity != Anonymity.ANONYMOUS:
        header.append(_("姓名"))
    header += [_("年龄段"), _("身份"), _("提交时间")]
    header += [f"{q.position}. {q.text}" for q in survey.questions]
    rows = []
    for number, (response, building, room, name, entered_by) in enumerate(responses, start=1):
        row = [number, source_label(response.source), entered_by or "", building or "", room or ""]
        if survey.anonymity != Anonymity.ANONYMOUS:
            row.append(name or (_("（匿名）") if response.source == ResponseSource.ONLINE else ""))
        row += [age_band_label(response.age_band) if response.age_band else "",
                tenure_label(response.tenure) if response.tenure else "",
                response.submitted_at.astimezone(SHANGHAI).replace(tzinfo=None) if response.submitted_at else None]
        mine = answers.get(response.id, {})
        row += [_answer_cell(q, mine.get(q.id, [])) for q in survey.questions]
        rows.append(row)
    summary = survey_summary(session, survey)
    count_header = [_("题号"), _("题目"), _("选项"), _("人数"), _("百分比"), _("平均名次")]
    count_rows: list[list] = []
    for q in summary.questions:
        for option in q.rows:
            count_rows.append([q.position, q.label, option.label, option.count, option.percent, option.average_rank])
        if q.average:
            count_rows.append([q.position, q.label, _("平均分"), q.average, "", ""])
        if q.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
            count_rows.append([q.position, q.label, _("文字回答"), q.text_count, "", ""])
    count_rows.append(["", _("回收份数"), "", summary.response_count, summary.response_rate, ""])
    count_rows.append(["", _("应答人数"), "", summary.eligible_count, "", ""])
    return header, rows, count_header, count_rows


# -- lists -------------------------------------------------------------------------------------


def visible_surveys_clause(session: Session, user: User, community_id: int):
    """The surveys of a community this user may see: all for moderators, else published and eligible."""
    role = user.role_in(community_id)
    if user.is_admin or role in ("moderator", "admin"):
        return Survey.community_id == community_id
    if role is None:
        return Survey.id.is_(None)
    eligible_sessions = select(Consultation.id).where(
        Consultation.community_id == community_id, eligible_clause(resident_facts(session, user))
    )
    return (
        (Survey.community_id == community_id)
        & (Survey.state != SurveyState.DRAFT)
        & (Survey.consultation_id.is_(None) | Survey.consultation_id.in_(eligible_sessions))
    )


def surveys_for_consultation(session: Session, viewer: User, consultation: Consultation) -> list[Survey]:
    """The surveys of a session the viewer may already see (drafts for moderators only), newest first.

    Whoever may see the session may see its published surveys (they share its eligibility), so the
    caller's access check on the session is the only one needed.
    """
    stmt = select(Survey).where(Survey.consultation_id == consultation.id)
    if not consultation.can_moderate(viewer):
        stmt = stmt.where(Survey.state != SurveyState.DRAFT)
    return list(session.execute(stmt.order_by(Survey.created_at.desc(), Survey.id.desc())).scalars())


def response_counts(session: Session, survey_ids: list[int]) -> dict[int, int]:
    if not survey_ids:
        return {}
    return dict(session.execute(
        select(Response.survey_id, func.count(Response.id))
        .where(Response.survey_id.in_(survey_ids), Response.submitted_at.is_not(None))
        .group_by(Response.survey_id)
    ).all())
