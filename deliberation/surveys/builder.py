"""Building a survey: its settings, its questions in order, publishing, closing and new versions."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Community, User
from deliberation.consultations import reminders
from deliberation.consultations.models import Consultation
from deliberation.db import utcnow
from deliberation.errors import Conflict, Invalid, require
from deliberation.surveys import telling
from deliberation.surveys.models import (
    Anonymity,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyState,
)
from deliberation.validation import check_planned, clean_text

logger = logging.getLogger(__name__)

MAX_QUESTIONS = 50
MAX_OPTIONS = 20
MAX_OPTION_LENGTH = 100
MAX_INTRO = 5000


def has_responses(session: Session, survey: Survey) -> bool:
    """Any response at all, drafts included: their answers point at the questions as they are."""
    return session.execute(select(Response.id).where(Response.survey_id == survey.id).limit(1)).first() is not None


def _require_questions_editable(session: Session, survey: Survey) -> None:
    if has_responses(session, survey):
        raise Conflict(_("已经有人填写了这份问卷，问题不能再修改；如需修改，请创建新版本"))


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
    reminder_days: str | None = None  # days before the close to remind who has not answered (consultations.reminders)


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
    check_planned(data.closes_at, "closes_at", _("截止时间"))
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
    survey.reminder_days = reminders.check_days(data.reminder_days)


def create_survey(session: Session, actor: User, community: Community, data: SurveyInput) -> Survey:
    """A new survey, as a draft that residents do not see until it is published."""
    require(community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    survey = Survey(community_id=community.id, community=community, created_by=actor, state=SurveyState.DRAFT)
    _apply(session, survey, community, data)
    session.add(survey)
    session.flush()
    audit.record(session, actor, "survey.create", survey, community_id=community.id, title=survey.title,
                 anonymity=survey.anonymity.value, consultation_id=survey.consultation_id)
    return survey


def update_survey(session: Session, actor: User, survey: Survey, data: SurveyInput) -> Survey:
    """Change a survey's title, introduction, anonymity (before any answer), session and times."""
    require(survey.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if survey.effective_state == SurveyState.CLOSED:
        raise Conflict(_("问卷已截止，不能再修改"))
    _apply(session, survey, survey.community, data)
    session.flush()
    audit.record(session, actor, "survey.update", survey, community_id=survey.community_id, title=survey.title,
                 anonymity=survey.anonymity.value)
    return survey


def publish_survey(session: Session, actor: User, survey: Survey) -> Survey:
    """Open a draft to the eligible residents (from opens_at, if set); an earlier version closes."""
    require(survey.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
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
    if survey.opens_at is None or survey.opens_at <= now:
        telling.announce_opening(session, survey, now)
    logger.info("survey %s published by user %s", survey.id, actor.id)
    return survey


def close_survey(session: Session, actor: User, survey: Survey) -> Survey:
    """Stop taking answers now."""
    require(survey.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if survey.state == SurveyState.DRAFT:
        raise Conflict(_("草稿不能截止，请先发布"))
    if survey.effective_state == SurveyState.CLOSED:
        raise Conflict(_("问卷已经截止了"))
    survey.state = SurveyState.CLOSED
    session.flush()
    audit.record(session, actor, "survey.close", survey, community_id=survey.community_id)
    telling.announce_results(session, survey, utcnow())
    return survey


def new_version(session: Session, actor: User, survey: Survey) -> Survey:
    """A draft copy of the survey and its questions, to change what can no longer change in place."""
    require(survey.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    newer = session.execute(select(Survey.id).where(Survey.previous_version_id == survey.id)).scalar()
    if newer is not None:
        raise Conflict(_("这份问卷已经有新版本了"), detail={"survey_id": newer})
    copy = Survey(
        community_id=survey.community_id, consultation_id=survey.consultation_id, title=survey.title,
        intro=survey.intro, anonymity=survey.anonymity, state=SurveyState.DRAFT, opens_at=None,
        reminder_days=survey.reminder_days,
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
    require(survey.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
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
    """Change a question (until someone has answered)."""
    survey = question.survey
    require(survey.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    _require_questions_editable(session, survey)
    _apply_question(question, data)
    session.flush()
    audit.record(session, actor, "survey.question_update", question, community_id=survey.community_id,
                 survey_id=survey.id)
    return question


def delete_question(session: Session, actor: User, question: Question) -> None:
    """Remove a question (until someone has answered); the others are renumbered."""
    survey = question.survey
    require(survey.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
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
    require(survey.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
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
