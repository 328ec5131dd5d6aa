"""Which surveys a person sees: a community's (page and API alike), a session's, with their response counts;
those open for a person to answer and those closing soon (the front door)."""

from __future__ import annotations

import functools

from sqlalchemy import Select, bindparam, exists, func, select
from sqlalchemy.orm import Session

from deliberation.accounts.models import Community, Person, User
from deliberation.consultations.eligibility import ResidentFacts, eligible_clause, resident_facts
from deliberation.consultations.models import Consultation
from deliberation.surveys.models import Participation, Response, Survey, SurveyState


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
    statement = _session_surveys_statement(drafts=consultation.can_moderate(viewer))
    return list(session.execute(statement, {"consultation_id": consultation.id}).scalars())


@functools.cache
def _session_surveys_statement(drafts: bool) -> Select:
    """The statement of surveys_for_consultation, built once for each kind of viewer (every session page
    runs it)."""
    stmt = select(Survey).where(Survey.consultation_id == bindparam("consultation_id"))
    if not drafts:
        stmt = stmt.where(Survey.state != SurveyState.DRAFT)
    return stmt.order_by(Survey.created_at.desc(), Survey.id.desc())


def response_counts(session: Session, survey_ids: list[int]) -> dict[int, int]:
    """Submitted responses per survey, for a page of surveys."""
    if not survey_ids:
        return {}
    return dict(session.execute(
        select(Response.survey_id, func.count(Response.id))
        .where(Response.survey_id.in_(survey_ids), Response.submitted_at.is_not(None))
        .group_by(Response.survey_id)
    ).all())


def community_surveys(session: Session, viewer: User, community: Community) -> Select:
    """The surveys of a community the viewer may see, newest first: a SELECT the page and the API paginate."""
    return (
        select(Survey)
        .where(visible_surveys_clause(session, viewer, community.id))
        .order_by(Survey.created_at.desc(), Survey.id.desc())
    )


def open_clause(now):
    """Published surveys open now, as Survey.state_at reads the clock (SQL)."""
    return ((Survey.state == SurveyState.OPEN) & (Survey.opens_at.is_(None) | (Survey.opens_at <= now))
            & (Survey.closes_at.is_(None) | (Survey.closes_at > now)))


def to_answer(session: Session, user: User, facts: ResidentFacts, now, limit: int = 5) -> list[Survey]:
    """The open surveys this person may answer (Survey.can_answer: their community's own surveys and those of
    the sessions they are eligible for) and has not answered online or on paper, soonest deadline first: one
    query. ``facts`` are the person's (consultations.eligibility.resident_facts), asked once by the caller."""
    if user.person_id is None:
        return []
    person_community = select(Person.community_id).where(Person.id == user.person_id).scalar_subquery()
    eligible_sessions = select(Consultation.id).where(Consultation.community_id == person_community,
                                                      eligible_clause(facts))
    answered = exists().where(Participation.survey_id == Survey.id, Participation.person_id == user.person_id)
    return list(session.execute(
        select(Survey)
        .where(Survey.community_id == person_community, Survey.community_id.in_(user.community_ids),
               open_clause(now), Survey.consultation_id.is_(None) | Survey.consultation_id.in_(eligible_sessions),
               ~answered)
        .order_by(Survey.closes_at.is_(None), Survey.closes_at, Survey.id).limit(limit)
    ).scalars())


def closing_soon(session: Session, community_ids: list[int], now, until, limit: int = 5) -> list[Survey]:
    """Open surveys of these communities closing before ``until``, soonest first: one query."""
    if not community_ids:
        return []
    return list(session.execute(
        select(Survey).where(Survey.community_id.in_(community_ids), open_clause(now), Survey.closes_at <= until)
        .order_by(Survey.closes_at, Survey.id).limit(limit)
    ).scalars())
