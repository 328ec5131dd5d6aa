"""Who may answer a survey and what is kept of them: eligibility, the anonymity key, building, age band, tenure,
and of an anonymous response no time finer than its day."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from deliberation.accounts.demographics import age_band
from deliberation.accounts.models import Household, Ownership, Person, Unit, User
from deliberation.consultations.eligibility import eligible_person_ids
from deliberation.consultations.models import Consultation
from deliberation.db import utcnow
from deliberation.surveys.models import Survey

SHANGHAI = ZoneInfo("Asia/Shanghai")


def this_year() -> int:
    """The current year in Shanghai."""
    return utcnow().astimezone(SHANGHAI).year


def kept_time(moment: datetime, anonymous: bool) -> datetime:
    """The time kept on a response: an anonymous one keeps its day only (the start of that day in Shanghai,
    as UTC), never the minute, which beside the audit log or a door-to-door round would say whose it is."""
    if not anonymous:
        return moment
    day = moment.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.astimezone(UTC)


def respondent_key(survey: Survey, person_id: int) -> str:
    """Finds a person's own response without storing who they are on it (anonymous surveys)."""
    secret = str(current_app.secret_key or "").encode()
    return hmac.new(secret, f"survey:{survey.id}:person:{person_id}".encode(), hashlib.sha256).hexdigest()


def eligible_ids(session: Session, survey: Survey) -> Select:
    """SELECT of the ids of the persons who may answer: the session's eligibility, else the community."""
    if survey.consultation_id is not None:
        consultation = session.get(Consultation, survey.consultation_id)
        if consultation is not None:
            return eligible_person_ids(consultation)
    return select(Person.id).where(Person.community_id == survey.community_id)


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
    tenure = str(row.tenure.value if row.tenure else "")
    return PersonFacts(row.building_id, age_band(row.birth_year, this_year()), tenure)


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


def may_answer(session: Session, survey: Survey, user: User) -> bool:
    """Whether the user may answer the survey: `Survey.can_answer`, for callers that pass the session."""
    return survey.can_answer(user)
