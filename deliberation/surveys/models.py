"""Surveys (问卷 / 征询单): a survey's questions, the responses to it and their answers.

A survey's state depends on the clock: a published survey is open from `opens_at` and closed from
`closes_at`, whether or not anyone is looking. Its questions are frozen once anyone has answered;
a new version (a copy pointing back at it) is the way to change them.

Anonymity: for an anonymous survey the response row carries no person and no user. "One response
each" is then held by a participation row (survey, person: UNIQUE, no answers, no times), and the
resident finds their own response again through `respondent_key`, an HMAC of the survey and the
person under the app's secret key, so the database alone does not link answers to a person.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship
from sqlalchemy.types import JSON

from deliberation.accounts.models import Building, Community, Consent, Person, Unit, User, enum_column
from deliberation.consultations.eligibility import eligible_clause, resident_facts
from deliberation.consultations.models import Consultation
from deliberation.db import UTCDateTime, bool_false, intpk, str200, timestamp, timestamp_null, utcnow
from deliberation.extensions import db


class SurveyState(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # never stored: published, before opens_at
    OPEN = "open"
    CLOSED = "closed"


class Anonymity(enum.StrEnum):
    NAMED = "named"
    ANONYMOUS = "anonymous"
    CHOICE = "choice"  # each resident chooses, on the form, whether to sign


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SCALE = "scale_1_5"
    RANKING = "ranking"

    @property
    def has_options(self) -> bool:
        return self in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING)

    @property
    def is_text(self) -> bool:
        return self in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT)


class ResponseSource(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"


class Survey(db.Model):
    """A questionnaire of a community, on its own or inside a consultation session."""

    __tablename__ = "surveys"
    id: Mapped[intpk]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    # Inside a session the session's eligibility holds; otherwise every person of the community.
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str200]
    intro: Mapped[str] = mapped_column(Text, default="")
    anonymity: Mapped[Anonymity] = enum_column(Anonymity, default=Anonymity.NAMED)
    state: Mapped[SurveyState] = enum_column(SurveyState, default=SurveyState.DRAFT)
    opens_at: Mapped[timestamp_null]
    closes_at: Mapped[timestamp_null]
    # Days before the close on which those who have not answered are reminded, e.g. "3,1" (consultations.reminders).
    reminder_days: Mapped[str] = mapped_column(String(40), default="1", server_default="1")
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]
    published_at: Mapped[timestamp_null]

    community: Mapped[Community] = relationship()
    created_by: Mapped[User | None] = relationship()
    previous_version: Mapped[Survey | None] = relationship(remote_side="Survey.id")
    questions: Mapped[list[Question]] = relationship(
        back_populates="survey", order_by=lambda: [Question.position, Question.id], cascade="all, delete-orphan"
    )

    def state_at(self, now: datetime) -> SurveyState:
        """Draft until published; then scheduled, open and closed as the clock passes its times."""
        if self.state == SurveyState.DRAFT:
            return SurveyState.DRAFT
        if self.state == SurveyState.CLOSED or (self.closes_at is not None and now >= self.closes_at):
            return SurveyState.CLOSED
        if self.opens_at is not None and now < self.opens_at:
            return SurveyState.SCHEDULED
        return SurveyState.OPEN

    @property
    def effective_state(self) -> SurveyState:
        return self.state_at(utcnow())

    @property
    def is_open(self) -> bool:
        return self.effective_state == SurveyState.OPEN

    @property
    def anonymous(self) -> bool:
        """Every response anonymous (no resident's choice involved)."""
        return self.anonymity == Anonymity.ANONYMOUS

    @property
    def resident_chooses(self) -> bool:
        return self.anonymity == Anonymity.CHOICE

    def can_moderate(self, user: User) -> bool:
        return self.community.can_moderate(user)

    def can_view(self, user: User) -> bool:
        """Moderators always; others of the community once published, a session's within its eligibility."""
        if not user.is_authenticated or not self.community.can_view(user):
            return False
        if self.can_moderate(user):
            return True
        if self.state == SurveyState.DRAFT:
            return False
        return self.consultation_id is None or self.can_answer(user)

    def can_answer(self, user: User) -> bool:
        """Residents of the roster inside the survey's eligibility (its session's, or the community)."""
        if not user.is_authenticated or user.person_id is None:
            return False
        session = object_session(self)
        person = session.get(Person, user.person_id)
        if person is None or person.community_id != self.community_id:
            return False
        if self.consultation_id is None:
            return True
        clause = eligible_clause(resident_facts(session, user))
        return session.execute(
            select(Consultation.id).where(Consultation.id == self.consultation_id, clause)
        ).first() is not None

    def can_see_results(self, user: User) -> bool:
        """Moderators at any time; residents once the survey has closed."""
        return self.can_moderate(user) or self.effective_state == SurveyState.CLOSED


class Question(db.Model):
    """One question; options (a JSON list of labels) for single, multiple and ranking questions."""

    __tablename__ = "survey_questions"
    id: Mapped[intpk]
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[QuestionKind] = enum_column(QuestionKind)
    text: Mapped[str] = mapped_column(String(500))
    help_text: Mapped[str] = mapped_column(String(500), default="")
    required: Mapped[bool_false]
    options: Mapped[list] = mapped_column(JSON, default=list)
    max_choices: Mapped[int | None]  # multiple choice: at most this many (None: any number)
    allow_other: Mapped[bool_false]  # "其他（请注明）"
    max_length: Mapped[int | None]  # text questions; None: the kind's default

    survey: Mapped[Survey] = relationship(back_populates="questions")


class Participation(db.Model):
    """That a person has responded (online or on paper): one each, whatever the survey's anonymity."""

    __tablename__ = "survey_participations"
    __table_args__ = (UniqueConstraint("survey_id", "person_id"),)
    id: Mapped[intpk]
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    source: Mapped[ResponseSource] = enum_column(ResponseSource, default=ResponseSource.ONLINE)


class Response(db.Model):
    """A filled-in survey: a draft until submitted; online by a resident or typed in from paper."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "respondent_key"),
        Index("ix_survey_responses_survey_submitted", "survey_id", "submitted_at"),
    )
    id: Mapped[intpk]
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    # HMAC(survey, person): lets a resident find their own response; NULL for a paper form with no name.
    respondent_key: Mapped[str | None] = mapped_column(String(64))
    # Named responses only; NULL for anonymous ones.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    source: Mapped[ResponseSource] = enum_column(ResponseSource, default=ResponseSource.ONLINE)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))  # paper
    # Groups for the breakdowns, taken when the response is saved (kept for anonymous ones too).
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="SET NULL"), index=True)
    age_band: Mapped[str] = mapped_column(String(10), default="")
    tenure: Mapped[str] = mapped_column(String(10), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[timestamp]
    # Recorded at the counter on the resident's behalf (帮办, surveys.assisted): by whom, with which consent;
    # cleared when the resident saves it themselves.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent: Mapped[Consent | None] = enum_column(Consent, nullable=True)

    survey: Mapped[Survey] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    unit: Mapped[Unit | None] = relationship()
    building: Mapped[Building | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Answer.id"
    )

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Answer(db.Model):
    """One part of an answer: a chosen option (one row each), a rank, a scale value or text."""

    __tablename__ = "survey_answers"
    __table_args__ = (Index("ix_survey_answers_question_option", "question_id", "option_index"),)
    id: Mapped[intpk]
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"))
    option_index: Mapped[int | None]  # into Question.options
    rank: Mapped[int | None]  # ranking: 1 is first
    value: Mapped[int | None]  # scale: 1–5
    is_other: Mapped[bool_false]  # "其他", with the text said
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")
