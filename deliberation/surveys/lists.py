"""Which surveys a person sees: a community's (page and API alike), a session's, with their response counts."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from deliberation.accounts.models import Community, User
from deliberation.consultations.eligibility import eligible_clause, resident_facts
from deliberation.consultations.models import Consultation
from deliberation.surveys.models import Response, Survey, SurveyState


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
