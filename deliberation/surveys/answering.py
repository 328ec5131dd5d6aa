"""A resident answering online: checking answers as a whole, drafts and autosave, submission, anonymity."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import User
from deliberation.db import utcnow
from deliberation.errors import Conflict, Invalid, require
from deliberation.surveys import telling
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
from deliberation.surveys.respondents import kept_time, person_facts, respondent_key

MAX_SHORT_TEXT = 200
MAX_LONG_TEXT = 2000
MAX_OTHER_TEXT = 200
OTHER = "other"


def text_limit(question: Question) -> int:
    """The most characters a text answer to this question may hold."""
    default = MAX_LONG_TEXT if question.kind == QuestionKind.LONG_TEXT else MAX_SHORT_TEXT
    return question.max_length or default


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
    """The form field (and error key) of a question's answer: q<id>."""
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


def refuse_unless_open(survey: Survey) -> None:
    """Refuse (409) unless the survey takes answers now."""
    state = survey.effective_state
    if state == SurveyState.CLOSED:
        raise Conflict(_("问卷已截止，不能再填写或修改"))
    if state != SurveyState.OPEN:
        raise Conflict(_("问卷尚未开始填写"))


def my_response(session: Session, user: User, survey: Survey) -> Response | None:
    """The user's own response (draft or submitted), found through the anonymity key."""
    if not user.is_authenticated or user.person_id is None:
        return None
    return session.execute(
        select(Response).where(Response.survey_id == survey.id,
                               Response.respondent_key == respondent_key(survey, user.person_id))
    ).scalar()


def is_anonymous(survey: Survey, chosen: bool | None) -> bool:
    """Whether a response is kept without its person: the survey's rule, or the resident's choice."""
    if survey.anonymity == Anonymity.CHOICE:
        return chosen is not False
    return survey.anonymity == Anonymity.ANONYMOUS


def write_answers(session: Session, response: Response, rows: list[Answer]) -> None:
    """Replace the answers of a response with these rows."""
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
    refuse_unless_open(survey)
    require(survey.can_answer(actor), _("您不在这份问卷的填写范围内"))
    response = my_response(session, actor, survey)
    if response is not None and response.source == ResponseSource.PAPER:
        raise Conflict(_("您的纸质问卷已由居委会录入；如需修改，请联系居委会"))
    if response is not None and new:
        raise Conflict(_("您已经填写过这份问卷，每人只能填一份；可以修改已有的答卷"),
                       detail={"response_id": response.id})
    complete = submit or (response is not None and response.is_submitted)
    rows = check_answers(survey, answers, complete=complete)
    facts = person_facts(session, actor.person_id)
    created = response is None
    hidden = is_anonymous(survey, anonymous)
    now = kept_time(utcnow(), hidden)  # anonymous: the day only
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
            # Saved by the resident: no longer an entry recorded for them at the counter (surveys.assisted).
            response.recorded_by_id, response.consent = None, None
            submitted = complete and response.submitted_at is None
            if submitted:
                response.submitted_at = now
            write_answers(session, response, rows)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("您已经填写过这份问卷，每人只能填一份")) from error
    if submitted:
        telling.answered(session, actor.id, survey)
    action = "survey.submit" if complete else "survey.save_draft"
    # Anonymous: the event says that this person took part, never which response is theirs.
    audit.record(session, actor, action, None if hidden else response,
                 community_id=survey.community_id, survey_id=survey.id, created=created)
    return response
