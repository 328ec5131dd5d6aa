"""Help at the counter (帮办) in a survey: a resident's answers recorded on their behalf, and the surveys a resident
may be helped with.

The response is the resident's own (found again through their respondent key, named), with ``recorded_by_id``
and ``consent``: shown to them as "由 X 代为录入（电话确认）" until they save it themselves
(answering.save_response clears the marker). An anonymous survey is refused: whoever types the answers in
would know whose they are, so it takes paper questionnaires (surveys.paper). Where the survey lets each
resident choose, a counter entry is named (the resident may make it anonymous when they change it).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.assisted import consent_of, login_of
from deliberation.accounts.models import Person, User
from deliberation.consultations.assisted import tell_resident
from deliberation.consultations.models import Consultation, person_clause
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, require
from deliberation.surveys.answering import AnswerInput, check_answers, refuse_unless_open, write_answers
from deliberation.surveys.models import Participation, Response, ResponseSource, Survey, SurveyState
from deliberation.surveys.respondents import eligible_ids, person_facts, respondent_key


def anonymous_refusal() -> Conflict:
    """Why an anonymous survey takes no answers at the counter."""
    return Conflict(_("匿名问卷不能代为录入：请该居民填写纸质问卷"), detail={"anonymous": True})


def response_of(session: Session, survey: Survey, person: Person) -> Response | None:
    """The resident's response, if any (through their respondent key)."""
    return session.execute(select(Response).where(
        Response.survey_id == survey.id, Response.respondent_key == respondent_key(survey, person.id))).scalar()


def may_answer_for(session: Session, survey: Survey, person: Person) -> bool:
    """Whether the resident is inside the survey's eligibility (its session's, or the community)."""
    return person.community_id == survey.community_id and session.execute(
        eligible_ids(session, survey).where(Person.id == person.id)).first() is not None


def record_response(session: Session, actor: User, survey: Survey, person: Person, answers: dict[int, AnswerInput],
                    consent: object) -> Response:
    """Record (or replace) the resident's submitted answers at the counter; audited with the consent, and the
    resident told. Refused for an anonymous survey, a survey not open, a resident outside it, and a paper
    questionnaire already entered."""
    require(person.community_id == survey.community_id and person.can_assist(actor),
            _("只有主持人或本楼楼组长可以为该居民代为录入"))
    if survey.anonymous:
        raise anonymous_refusal()
    consent = consent_of(consent)
    refuse_unless_open(survey)
    if not may_answer_for(session, survey, person):
        raise Forbidden(_("该居民不在这份问卷的填写范围内"))
    response = response_of(session, survey, person)
    if response is not None and response.source == ResponseSource.PAPER:
        raise Conflict(_("该居民的纸质问卷已由居委会录入"))
    rows = check_answers(survey, answers, complete=True)
    facts = person_facts(session, person.id)
    login = login_of(session, person)
    created = response is None
    now = utcnow()
    try:
        with session.begin_nested():
            if created:
                session.add(Participation(survey_id=survey.id, person_id=person.id, source=ResponseSource.ONLINE))
                response = Response(survey_id=survey.id, respondent_key=respondent_key(survey, person.id),
                                    source=ResponseSource.ONLINE)
                session.add(response)
                session.flush()
            response.person_id, response.user_id = person.id, login.id if login else None
            response.building_id, response.age_band, response.tenure = facts.building_id, facts.age_band, facts.tenure
            response.updated_at = now
            response.submitted_at = response.submitted_at or now
            response.recorded_by_id, response.consent = actor.id, consent
            write_answers(session, response, rows)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("该居民已经填写过这份问卷，每人只能填一份")) from error
    audit.record(session, actor, "survey.assisted", response, community_id=survey.community_id,
                 survey_id=survey.id, person_id=person.id, consent=consent.value, created=created)
    tell_resident(session, actor, person, _("问卷“%(title)s”的答卷", title=survey.title), consent,
                  f"/surveys/{survey.id}/answer")
    return response


@dataclass(frozen=True)
class SurveyAtCounter:
    """An open survey the resident may answer, and whether they have answered it."""

    survey: Survey
    answered: bool

    @property
    def anonymous(self) -> bool:
        return self.survey.anonymous


def surveys_for(session: Session, person: Person) -> list[SurveyAtCounter]:
    """The open surveys of the resident's community inside whose eligibility they are (a session's survey: its
    session's eligibility, asked of all of them in one query)."""
    now = utcnow()
    surveys = [s for s in session.execute(
        select(Survey).where(Survey.community_id == person.community_id, Survey.state == SurveyState.OPEN)
        .order_by(Survey.id.desc())).scalars() if s.state_at(now) == SurveyState.OPEN]
    in_sessions = {s.consultation_id for s in surveys if s.consultation_id is not None}
    eligible = set(session.execute(select(Consultation.id).where(
        Consultation.id.in_(in_sessions), person_clause(person.id))).scalars()) if in_sessions else set()
    surveys = [s for s in surveys if s.consultation_id is None or s.consultation_id in eligible]
    keys = {respondent_key(s, person.id): s.id for s in surveys}
    answered = set(session.execute(select(Response.survey_id).where(
        Response.respondent_key.in_(list(keys)))).scalars()) if keys else set()
    return [SurveyAtCounter(s, s.id in answered) for s in surveys]
