"""Consultation sessions (议事/征询): proposals and versions, comment rounds, moderation, the wish wall.

State that depends on the clock (a session's phase with its schedule, a round's open/closed state)
is derived whenever it is read, so a scheduled time holds whether or not anyone is looking.
"""

from __future__ import annotations

import enum
import functools
from datetime import datetime

from sqlalchemy import (
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    exists,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column, object_session, relationship

from deliberation.accounts.models import (
    Building,
    Community,
    Consent,
    Household,
    Ownership,
    Person,
    Unit,
    User,
    enum_column,
)
from deliberation.booking.models import Booking
from deliberation.db import UTCDateTime, bool_false, intpk, str200, timestamp, timestamp_null, utcnow
from deliberation.extensions import db


class Phase(enum.StrEnum):
    DRAFT = "draft"
    COMMENTING = "commenting"
    VOTING = "voting"
    CLOSED = "closed"
    MINUTES_PUBLISHED = "minutes_published"

    @property
    def order(self) -> int:
        return PHASE_ORDER.index(self)


PHASE_ORDER = [Phase.DRAFT, Phase.COMMENTING, Phase.VOTING, Phase.CLOSED, Phase.MINUTES_PUBLISHED]

MAX_TEXT = 5000  # a comment, an idea, an answer
MAX_LONG_TEXT = 20000  # a session's background, a proposal's body, a meeting's notes
SORTS = ("supported", "newest")  # the orders of comments and of ideas


class Eligibility(enum.StrEnum):
    COMMUNITY = "community"
    BUILDINGS = "buildings"
    OWNERS = "owners"
    PERSONS = "persons"


class RoundState(enum.StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class CommentStatus(enum.StrEnum):
    PUBLISHED = "published"
    PENDING = "pending"
    HIDDEN = "hidden"


class IdeaStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    MERGED = "merged"
    PROMOTED = "promoted"


class QuestionState(enum.StrEnum):
    """Where a resident's wish or question stands, as its author sees it (Idea.question_state,
    comment_state): derived from stored facts, never stored itself."""

    RECEIVED = "received"  # 已收到
    IN_PROGRESS = "in_progress"  # 处理中: a moderator took it up
    ANSWERED = "answered"  # 已答复
    PROMOTED = "promoted"  # 已转为方案
    MERGED = "merged"  # 已合并 into another wish, whose state is what counts


def comment_state(answered: bool) -> QuestionState:
    """A top-level comment is received until its thread holds a published official answer."""
    return QuestionState.ANSWERED if answered else QuestionState.RECEIVED


class AttendanceSource(enum.StrEnum):
    QR = "qr"  # the person scanned the meeting's code and confirmed on their phone
    SHEET = "sheet"  # staff ticked the name from the printed sign-in sheet


consultation_buildings = Table(
    "consultation_buildings",
    db.metadata,
    Column("consultation_id", Integer, ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", Integer, ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True),
)

# Chosen staircases (单元) of a building, e.g. the lift of 3号楼 2单元: added to the chosen buildings.
consultation_staircases = Table(
    "consultation_staircases",
    db.metadata,
    Column("consultation_id", Integer, ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", Integer, ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True),
    Column("staircase", String(20), primary_key=True),
)

consultation_persons = Table(
    "consultation_persons",
    db.metadata,
    Column("consultation_id", Integer, ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", Integer, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True),
)


class Consultation(db.Model):
    """A session (议事/征询) of one community, moved through its phases by a moderator."""

    __tablename__ = "consultations"
    id: Mapped[intpk]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    title: Mapped[str200]
    background: Mapped[str] = mapped_column(Text, default="")
    participants: Mapped[str] = mapped_column(Text, default="")  # the bodies taking part, as written
    eligibility: Mapped[Eligibility] = enum_column(Eligibility, default=Eligibility.COMMUNITY)
    phase: Mapped[Phase] = enum_column(Phase, default=Phase.DRAFT)
    # Scheduled moves: from these times on the session is at least in that phase.
    commenting_at: Mapped[timestamp_null]
    voting_at: Mapped[timestamp_null]
    closes_at: Mapped[timestamp_null]
    pre_moderation: Mapped[bool_false]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]
    # Bumped by every change the shared comment list shows (consultations.versions), the key of its cache.
    comments_version: Mapped[int] = mapped_column(default=0, server_default="0")

    community: Mapped[Community] = relationship()
    created_by: Mapped[User | None] = relationship()
    buildings: Mapped[list[Building]] = relationship(
        secondary=consultation_buildings, order_by=Building.sort_key
    )
    persons: Mapped[list[Person]] = relationship(secondary=consultation_persons, order_by=Person.name)
    proposals: Mapped[list[Proposal]] = relationship(back_populates="consultation", order_by="Proposal.id")
    rounds: Mapped[list[CommentRound]] = relationship(
        back_populates="consultation", order_by="CommentRound.number"
    )
    meetings: Mapped[list[JointMeeting]] = relationship(
        back_populates="consultation", order_by="JointMeeting.held_at"
    )

    def schedule(self) -> list[tuple[Phase, datetime | None]]:
        return [
            (Phase.COMMENTING, self.commenting_at),
            (Phase.VOTING, self.voting_at),
            (Phase.CLOSED, self.closes_at),
        ]

    def phase_at(self, now: datetime) -> Phase:
        """The stored phase, moved on by every scheduled time already reached."""
        phase = self.phase
        for scheduled, when in self.schedule():
            if when is not None and when <= now and scheduled.order > phase.order:
                phase = scheduled
        return phase

    @property
    def effective_phase(self) -> Phase:
        return self.phase_at(utcnow())

    @property
    def open_round(self) -> CommentRound | None:
        now = utcnow()
        return next((r for r in self.rounds if r.state_at(now) == RoundState.OPEN), None)

    def can_moderate(self, user: User) -> bool:
        return self.community.can_moderate(user)

    def can_view(self, user: User, *, eligible: bool | None = None) -> bool:
        """Moderators see every session; residents only non-draft sessions they are eligible for. ``eligible``:
        person_clause's answer for the user's person, read with the session (access.consultation_or_404)."""
        if not self.community.can_view(user):
            return False
        if self.can_moderate(user):
            return True
        return self.effective_phase != Phase.DRAFT and may_take_part(self, user, eligible=eligible)

    def can_take_part(self, user: User) -> bool:
        """Comment and support: moderators, and eligible residents once the session is public.

        The same as can_view: the session page relies on it and does not ask twice."""
        return self.can_view(user)

    def can_take_ideas(self, user: User) -> bool:
        """Receive an idea of the wish wall as a proposal: a moderator, while drafting or commenting."""
        return self.can_moderate(user) and self.effective_phase in (Phase.DRAFT, Phase.COMMENTING)


class Proposal(db.Model):
    """A proposal (方案) of a session; several in one session are variants to choose between."""

    __tablename__ = "proposals"
    id: Mapped[intpk]
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    is_variant: Mapped[bool_false]
    created_at: Mapped[timestamp]

    consultation: Mapped[Consultation] = relationship(back_populates="proposals")
    versions: Mapped[list[ProposalVersion]] = relationship(
        back_populates="proposal", order_by="ProposalVersion.number"
    )
    ideas: Mapped[list[Idea]] = relationship(back_populates="proposal", viewonly=True)

    @property
    def current_version(self) -> ProposalVersion:
        return self.versions[-1]

    @property
    def title(self) -> str:
        return self.current_version.title

    def version(self, number: int) -> ProposalVersion | None:
        return next((v for v in self.versions if v.number == number), None)


class ProposalVersion(db.Model):
    """One version of a proposal; earlier versions are kept so that the difference stays visible."""

    __tablename__ = "proposal_versions"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)
    id: Mapped[intpk]
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str200]
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)  # sanitised by markup.render_markdown, safe to show
    change_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[timestamp]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    proposal: Mapped[Proposal] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()
    pictures: Mapped[list[ProposalPicture]] = relationship(
        back_populates="version", order_by="ProposalPicture.id"
    )


class ProposalPicture(db.Model):
    """A picture of a design, re-encoded and stored under the instance folder (never in static/)."""

    __tablename__ = "proposal_pictures"
    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(
        ForeignKey("proposal_versions.id", ondelete="CASCADE"), index=True
    )
    # A new version carries its predecessor's pictures over, so one file may back several rows.
    stored_name: Mapped[str] = mapped_column(String(80), index=True)
    original_name: Mapped[str200] = mapped_column(default="")
    caption: Mapped[str200] = mapped_column(default="")
    content_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    created_at: Mapped[timestamp]

    version: Mapped[ProposalVersion] = relationship(back_populates="pictures")


class CommentRound(db.Model):
    """A numbered comment round (意见征集) with its own open and close times."""

    __tablename__ = "comment_rounds"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)
    id: Mapped[intpk]
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[timestamp]

    consultation: Mapped[Consultation] = relationship(back_populates="rounds")

    def state_at(self, now: datetime) -> RoundState:
        """Open between its times while the session takes comments; the clock alone decides."""
        if now < self.opens_at:
            return RoundState.SCHEDULED
        if now >= self.closes_at or self.consultation.phase_at(now) != Phase.COMMENTING:
            return RoundState.CLOSED
        return RoundState.OPEN

    @property
    def state(self) -> RoundState:
        return self.state_at(utcnow())


class Comment(db.Model):
    """A comment or reply in a round; plain text, escaped when shown."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_round_status", "round_id", "status"),)
    id: Mapped[intpk]
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(ForeignKey("comment_rounds.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="SET NULL"), index=True
    )
    proposal_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal_versions.id", ondelete="SET NULL")
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    # The top-level comment of the thread (None for a top-level comment): one query loads a page's replies.
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    is_official_answer: Mapped[bool_false]
    status: Mapped[CommentStatus] = enum_column(CommentStatus, default=CommentStatus.PUBLISHED)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_at: Mapped[timestamp_null]
    support_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[timestamp]
    # Recorded at the counter on a resident's behalf (帮办, consultations.assisted): the resident it speaks for
    # (its author is their login, or the helper when they have none), by whom, with which consent.
    for_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent: Mapped[Consent | None] = enum_column(Consent, nullable=True)

    consultation: Mapped[Consultation] = relationship()
    round: Mapped[CommentRound] = relationship()
    proposal: Mapped[Proposal | None] = relationship()
    proposal_version: Mapped[ProposalVersion | None] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    parent: Mapped[Comment | None] = relationship(remote_side="Comment.id", foreign_keys=[parent_id])
    for_person: Mapped[Person | None] = relationship(foreign_keys=[for_person_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    @property
    def speaker_name(self) -> str:
        """Whose words these are: the resident a counter entry speaks for, else the author."""
        return self.for_person.name if self.for_person is not None else self.author.display_name

    def can_revise(self, user: User) -> bool:
        """The resident a counter entry (帮办) speaks for changes its words themselves, while its round is open."""
        return (self.recorded_by_id is not None and user.is_authenticated and self.for_person_id is not None
                and getattr(user, "person_id", None) == self.for_person_id and self.round.state == RoundState.OPEN)

    def body_visible_to(self, user: User) -> bool:
        """Hidden text is for moderators only; pending text for moderators and its author."""
        if self.status == CommentStatus.PUBLISHED:
            return True
        if self.consultation.can_moderate(user):
            return True
        return self.status == CommentStatus.PENDING and user.id == self.author_id

    # The three below are asked of a user who sees the session: every loader of a comment asks that
    # first, and taking part is seeing (Consultation.can_take_part), so a page of comments does not
    # ask the eligibility again for each one.

    def reason_visible_to(self, user: User) -> bool:
        """The reason a comment was hidden: for moderators and its author."""
        return self.consultation.can_moderate(user) or user.id == self.author_id

    def can_support(self, user: User) -> bool:
        """Support it: someone else's published comment, while its round is open."""
        return (
            self.status == CommentStatus.PUBLISHED
            and self.author_id != user.id
            and self.round.state == RoundState.OPEN
        )

    def can_reply(self, user: User) -> bool:
        """Reply to a published comment while its round is open; moderators answer after it closed, too."""
        return self.status == CommentStatus.PUBLISHED and (
            self.round.state == RoundState.OPEN or self.consultation.can_moderate(user)
        )

    def can_report(self, user: User) -> bool:
        """Report it to the moderators: someone else's published comment (moderators hide it instead)."""
        return (
            self.status == CommentStatus.PUBLISHED
            and self.author_id != user.id
            and not self.consultation.can_moderate(user)
        )


class CommentSupport(db.Model):
    __tablename__ = "comment_supports"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)
    id: Mapped[intpk]
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[timestamp]


class CommentReport(db.Model):
    """A resident's report of a comment, with a reason, until a moderator deals with it."""

    __tablename__ = "comment_reports"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),)
    id: Mapped[intpk]
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[timestamp]
    resolved_at: Mapped[timestamp_null]

    reporter: Mapped[User] = relationship()


class BlockedWord(db.Model):
    """A word that sends a comment to the moderation queue instead of publishing it."""

    __tablename__ = "blocked_words"
    __table_args__ = (UniqueConstraint("community_id", "word"),)
    id: Mapped[intpk]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    word: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[timestamp]


class Idea(db.Model):
    """A need or idea on the wish wall (微心愿); may be merged, answered or promoted to a proposal."""

    __tablename__ = "ideas"
    id: Mapped[intpk]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    support_count: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[IdeaStatus] = enum_column(IdeaStatus, default=IdeaStatus.OPEN)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[timestamp_null]
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="SET NULL"), index=True
    )
    # A moderator took it up (处理中) before answering; cleared by nobody, superseded by an answer.
    in_progress_at: Mapped[timestamp_null]
    in_progress_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]

    community: Mapped[Community] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    merged_into: Mapped[Idea | None] = relationship(remote_side="Idea.id")
    proposal: Mapped[Proposal | None] = relationship(back_populates="ideas")

    def can_support(self, user: User) -> bool:
        """Support it: someone else's idea that is not merged into another."""
        return self.author_id != user.id and self.status != IdeaStatus.MERGED

    @property
    def question_state(self) -> QuestionState:
        """The one status rule of a wish: promoted, merged, answered, taken up, or received."""
        if self.status == IdeaStatus.PROMOTED:
            return QuestionState.PROMOTED
        if self.status == IdeaStatus.MERGED:
            return QuestionState.MERGED
        if self.answered_at is not None or self.status == IdeaStatus.ANSWERED:
            return QuestionState.ANSWERED
        if self.in_progress_at is not None:
            return QuestionState.IN_PROGRESS
        return QuestionState.RECEIVED

    def can_mark_in_progress(self, user: User) -> bool:
        """A moderator marks a received wish as taken up (处理中)."""
        return self.community.can_moderate(user) and self.question_state == QuestionState.RECEIVED


class IdeaSupport(db.Model):
    __tablename__ = "idea_supports"
    __table_args__ = (UniqueConstraint("idea_id", "user_id"),)
    id: Mapped[intpk]
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[timestamp]


class JointMeeting(db.Model):
    """An in-person joint meeting (联席会议) of a session; feeds the minutes."""

    __tablename__ = "joint_meetings"
    id: Mapped[intpk]
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str200]
    attendees: Mapped[str] = mapped_column(Text)  # departments, residents' representatives, talents
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]
    # The room booked for the meeting through the booking capability, if any.
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation] = relationship(back_populates="meetings")
    booking: Mapped[Booking | None] = relationship()

    def can_view(self, user: User) -> bool:
        """The meeting page: whoever sees its session."""
        return self.consultation.can_view(user)

    def can_sign_in(self, user: User) -> bool:
        """Sign oneself in by the meeting's code: any member of its community (a meeting is open to the
        neighbourhood, whoever the session's scope names)."""
        return self.consultation.community.can_view(user)

    def can_take_attendance(self, user: User) -> bool:
        """Print the sheet, tick names, record departments: the community's moderators."""
        return self.consultation.can_moderate(user)


class MeetingAttendance(db.Model):
    """One person (or one department's representative) present at a joint meeting.

    A person of the roster appears once per meeting (unique), however often they scan or are ticked;
    a signed-in user without a person of the roster once by their user. Departments (街道, 物业, 业委会…)
    are free text, their representative's name optional.
    """

    __tablename__ = "meeting_attendances"
    __table_args__ = (
        UniqueConstraint("meeting_id", "person_id"),
        UniqueConstraint("meeting_id", "user_id"),
    )
    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(ForeignKey("joint_meetings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    department: Mapped[str] = mapped_column(String(100), default="", server_default="")
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    source: Mapped[AttendanceSource] = enum_column(AttendanceSource)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]

    person: Mapped[Person | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class Notification(db.Model):
    """A message inside the site: a reply, an official answer, a phase change, a hidden comment."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[timestamp]
    read_at: Mapped[timestamp_null]


class NoticeRound(db.Model):
    """That one round of notices about a vote or a survey was sent (consultations.reminders): "open",
    "results", "remind:3" (3 days before the close). Claimed once — two workers at once, one sends."""

    __tablename__ = "notice_rounds"
    __table_args__ = (UniqueConstraint("subject", "subject_id", "round"),)
    id: Mapped[intpk]
    subject: Mapped[str] = mapped_column(String(10))  # "vote" or "survey"
    subject_id: Mapped[int] = mapped_column(Integer)
    round: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[timestamp]


class ReminderSent(db.Model):
    """A reminder a person got before a vote or a survey closed: once per person and days before the close."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("subject", "subject_id", "user_id", "days"),)
    id: Mapped[intpk]
    subject: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[timestamp]


# -- one person's eligibility ------------------------------------------------------------------
# Beside the tables it reads; eligibility.py holds the clauses for lists of sessions and of persons.


def person_clause(person_id: int | ColumnElement[int] | None) -> ColumnElement[bool]:
    """eligible_clause for one person as SQL alone (the person's places read inside the statement),
    plus "the person belongs to the session's community": one statement for one session."""
    if person_id is None:
        return Consultation.eligibility == Eligibility.COMMUNITY
    unit = aliased(Unit)
    lived = (
        select(Household.unit_id)
        .join(Person, Person.household_id == Household.id)
        .where(Person.id == person_id)
    )
    owned = select(Ownership.unit_id).where(Ownership.person_id == person_id)
    theirs = or_(unit.id.in_(lived), unit.id.in_(owned))
    in_building = (
        select(consultation_buildings.c.building_id)
        .join(unit, unit.building_id == consultation_buildings.c.building_id)
        .where(consultation_buildings.c.consultation_id == Consultation.id, theirs)
        .exists()
    )
    in_staircase = (
        select(consultation_staircases.c.building_id)
        .join(
            unit,
            and_(
                unit.building_id == consultation_staircases.c.building_id,
                unit.staircase == consultation_staircases.c.staircase,
            ),
        )
        .where(consultation_staircases.c.consultation_id == Consultation.id, unit.staircase != "", theirs)
        .exists()
    )
    named = exists().where(
        consultation_persons.c.consultation_id == Consultation.id,
        consultation_persons.c.person_id == person_id,
    )
    in_community = exists().where(Person.id == person_id, Person.community_id == Consultation.community_id)
    return in_community & or_(
        Consultation.eligibility == Eligibility.COMMUNITY,
        (Consultation.eligibility == Eligibility.OWNERS) & exists().where(Ownership.person_id == person_id),
        (Consultation.eligibility == Eligibility.BUILDINGS) & or_(in_building, in_staircase),
        (Consultation.eligibility == Eligibility.PERSONS) & named,
    )


def may_take_part(consultation: Consultation, user: User, *, eligible: bool | None = None) -> bool:
    """Whether the person of this user falls inside the session's eligibility: one statement (the
    same answer as eligible_clause(resident_facts(...)), which lists of sessions use), or none where the
    caller read person_clause's answer for the user's person with the session (``eligible``)."""
    session = object_session(consultation)
    if session is None or consultation.id is None:
        return False
    if user.person_id is None:
        return consultation.eligibility == Eligibility.COMMUNITY
    if eligible is not None:
        return eligible
    found = session.execute(_person_eligible(), {"consultation_id": consultation.id, "person_id": user.person_id})
    return found.first() is not None


@functools.cache
def _person_eligible() -> Select:
    """The statement may_take_part runs, built once: building its clause took a tenth of a page's time."""
    return select(Consultation.id).where(
        Consultation.id == bindparam("consultation_id"), person_clause(bindparam("person_id", type_=Integer))
    )
