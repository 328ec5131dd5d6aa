"""Votes (表决) on a proposal or between variants, their frozen electorate, ballots and paper conflicts.

A vote's state is derived from what was stored (opened_at, closed_at) and from the clock
(opens_at, closes_at) whenever it is read, like a consultation's phase; voting.lifecycle brings the
stored fields up to date (freezing the electorate, storing the decision) the first time a request
meets a vote whose time has come. Who may do what is answered here, by the ``can_*`` methods.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from deliberation.accounts.models import Building, Consent, FloorCaptain, Person, User, enum_column
from deliberation.consultations.models import Consultation, Proposal
from deliberation.db import UTCDateTime, bool_false, intpk, str50, str200, timestamp, timestamp_null, utcnow
from deliberation.extensions import db


class VoteKind(enum.StrEnum):
    PROPOSAL = "proposal"  # 同意 / 不同意 / 弃权 on one proposal, decided by a rule of rules.py
    SINGLE = "single"  # one choice between variants
    APPROVAL = "approval"  # approval of several variants
    RANKED = "ranked"  # ranked ballots, counted by the Schulze method


class VoteBasis(enum.StrEnum):
    PERSON = "person"
    HOUSEHOLD = "household"
    OWNER = "owner"


class VoteState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class BallotSource(enum.StrEnum):
    """The channel a ballot came by; the result and the minutes count them side by side."""

    ONLINE = "online"
    PAPER = "paper"
    PROXY = "proxy"  # cast by a person the owner authorised in writing (委托), as the owner instructed


class ObjectionStage(enum.StrEnum):
    """When an objection is lodged: while the roll is posted, or while the preliminary result is."""

    ROLL = "roll"  # 表决权人名册公示：身份、户数、面积（上海市住宅物业管理规定 第十六条）
    RESULT = "result"  # 初步结果公示（询异）


YES_NO = ("agree", "disagree", "abstain")
VARIANT_RULES = {VoteKind.SINGLE: "plurality", VoteKind.APPROVAL: "approval", VoteKind.RANKED: "schulze"}


class Vote(db.Model):
    """A vote of a consultation: its rule, basis, secrecy, schedule, and at the close its decision."""

    __tablename__ = "votes"
    id: Mapped[intpk]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"), index=True)
    # The version of the proposal the vote asks about: its current one when created, fixed at the opening.
    proposal_version: Mapped[int | None]
    title: Mapped[str200]
    kind: Mapped[VoteKind] = enum_column(VoteKind, default=VoteKind.PROPOSAL)
    rule_name: Mapped[str50]
    rule_params: Mapped[dict] = mapped_column(JSON, default=dict)
    basis: Mapped[VoteBasis] = enum_column(VoteBasis, default=VoteBasis.PERSON)
    secret: Mapped[bool_false]
    advisory_all: Mapped[bool_false]
    show_running: Mapped[bool_false]
    opens_at: Mapped[timestamp_null]
    closes_at: Mapped[timestamp_null]
    opened_at: Mapped[timestamp_null]
    closed_at: Mapped[timestamp_null]
    # Written once at the opening: how the electorate was counted (voter.electorate.count_facts).
    electorate_counted: Mapped[dict | None] = mapped_column(JSON)
    # Written once at the close: {"decision", "choice_result", "tally_rows", "breakdown", ...}.
    decision: Mapped[dict | None] = mapped_column(JSON)
    # The roll posted before an owners' vote opens (表决权人名册公示): when, and until when objections run.
    roll_posted_at: Mapped[timestamp_null]
    roll_until: Mapped[timestamp_null]
    # The result posted at the close is preliminary until announced; objections run for objection_days
    # (0: announced at once, for advisory votes), until objections_until, written at the close.
    objection_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    objections_until: Mapped[timestamp_null]
    announced_at: Mapped[timestamp_null]
    announced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Days before the close on which those who have not voted are reminded, e.g. "3,1" (consultations.reminders).
    reminder_days: Mapped[str] = mapped_column(String(40), default="1", server_default="1")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]

    consultation: Mapped[Consultation] = relationship()
    proposal: Mapped[Proposal | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    options: Mapped[list[VoteOption]] = relationship(
        back_populates="vote", order_by="VoteOption.position", cascade="all, delete-orphan"
    )

    def state_at(self, now: datetime) -> VoteState:
        """Closed once closed or past closes_at; open once opened or past opens_at; else a draft."""
        opened = self.opened_at is not None or (self.opens_at is not None and self.opens_at <= now)
        if self.closed_at is not None or (opened and self.closes_at is not None and self.closes_at <= now):
            return VoteState.CLOSED
        return VoteState.OPEN if opened else VoteState.DRAFT

    @property
    def state(self) -> VoteState:
        return self.state_at(utcnow())

    @property
    def is_variant(self) -> bool:
        return self.kind != VoteKind.PROPOSAL

    def can_moderate(self, user: User) -> bool:
        """The moderators of the vote's consultation."""
        return self.consultation.can_moderate(user)

    @property
    def results_public(self) -> bool:
        """Whether everyone who sees the vote sees its result: once closed, or while open with running results
        (never of a secret vote: its tally is counted only at the close)."""
        state = self.state
        return state == VoteState.CLOSED or (state == VoteState.OPEN and self.show_running and not self.secret)

    def can_see_results(self, user: User) -> bool:
        """Moderators always; residents once the vote is closed, or while open when running results are shown.

        A secret vote's tally nobody sees before the close, moderators included (only turnout: who took part,
        never how): a tally read before and after each ballot would tell how that voter chose."""
        if self.secret:
            return self.state == VoteState.CLOSED
        return self.can_moderate(user) or self.results_public

    def can_open_result(self, user: User) -> bool:
        """Whether the user has a result to look at: the vote has opened and they may see its results."""
        return self.state != VoteState.DRAFT and self.can_see_results(user)

    def can_see_ballots(self, user: User) -> bool:
        """Who chose what (an open, not secret vote): its moderators, once the vote has opened."""
        return self.can_moderate(user) and not self.secret and self.state != VoteState.DRAFT

    def can_cast(self, user: User, voter: VoteVoter | None) -> bool:
        """Whether the user may cast a ballot now: the vote is open and ``voter`` (the user's row of the
        frozen electorate, voting.electorate.voter_for) is a row of this vote that names the user."""
        return (voter is not None and voter.vote_id == self.id and user.person_id in (voter.person_ids or [])
                and self.state == VoteState.OPEN)

    def can_enter_paper(self, user: User, building: Building | None = None) -> bool:
        """Moderators for every building; a floor captain for their own building(s) of this community only."""
        if self.can_moderate(user):
            return True
        if building is not None and building.community_id != self.community_id:
            return False
        stmt = select(FloorCaptain.building_id).join(Building, Building.id == FloorCaptain.building_id).where(
            FloorCaptain.user_id == user.id, Building.community_id == self.community_id)
        if building is not None:
            stmt = stmt.where(FloorCaptain.building_id == building.id)
        return object_session(self).execute(stmt.limit(1)).first() is not None

    def can_enter_paper_now(self, user: User) -> bool:
        """Whether the user may enter paper forms now: the vote is open and can_enter_paper."""
        return self.state == VoteState.OPEN and self.can_enter_paper(user)

    def can_follow_up(self, user: User) -> bool:
        """Whether the user may list the units not answered yet: can_enter_paper, once the vote has opened."""
        return self.state != VoteState.DRAFT and self.can_enter_paper(user)

    def can_see_roll(self, user: User) -> bool:
        """The posted roll (表决权人名册) is for everyone of the community, once posted; moderators always."""
        return self.can_moderate(user) or (self.roll_posted_at is not None and self.consultation.community.can_view(user))

    def objections_open(self, stage: ObjectionStage, now: datetime | None = None) -> bool:
        """Whether objections of the stage are taken now: the roll's posting period (posted, not yet opened), or
        the preliminary result's window (closed, not yet announced, before objections_until)."""
        now = now or utcnow()
        if stage == ObjectionStage.ROLL:
            return (self.roll_posted_at is not None and self.opened_at is None and self.roll_until is not None
                    and now < self.roll_until)
        return (self.closed_at is not None and self.announced_at is None and self.objections_until is not None
                and now < self.objections_until)

    def can_object(self, user: User, stage: ObjectionStage, voter: VoteVoter | None = None) -> bool:
        """Whether the user may lodge an objection of the stage: a person of the community's roster while the
        roll is posted (an owner missing from it is who most needs to object); while the preliminary result
        is posted, a member of the frozen electorate (``voter``: the user's row, electorate.voter_for).
        voting.objections checks the window apart, to say which it is."""
        person_id = getattr(user, "person_id", None)
        if not user.is_authenticated or person_id is None or not self.consultation.community.can_view(user):
            return False
        if stage == ObjectionStage.RESULT:
            return voter is not None and voter.vote_id == self.id and person_id in (voter.person_ids or [])
        return object_session(self).execute(select(Person.id).where(
            Person.id == person_id, Person.community_id == self.community_id)).first() is not None

    def is_preliminary(self) -> bool:
        """Closed but not yet announced: the result is posted for objections (初步结果), not yet final."""
        return self.closed_at is not None and self.announced_at is None


class VoteOption(db.Model):
    """One variant of a choice vote, usually a proposal of the consultation."""

    __tablename__ = "vote_options"
    __table_args__ = (UniqueConstraint("vote_id", "position"),)
    id: Mapped[intpk]
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"))
    proposal_version: Mapped[int | None]  # the variant's version, fixed at the opening like the vote's
    label: Mapped[str200]

    vote: Mapped[Vote] = relationship(back_populates="options")

    @property
    def key(self) -> str:
        """The option as it is written in a ballot's choice."""
        return str(self.id)


class VoteVoter(db.Model):
    """The frozen electorate: one row per voter key, written when the vote opens, never after.

    Keys: "p:<person id>", "h:<household id>", "o:<person id>" (an owner, once for all units).
    ``advisory`` rows are residents asked for their advice beside the owners' binding vote.
    ``took_part`` is set at the close of a secret vote, when ballots lose their voter key.
    """

    __tablename__ = "vote_voters"
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True)
    voter_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    advisory: Mapped[bool_false]
    person_ids: Mapped[list] = mapped_column(JSON, default=list)
    # Exclusive area in hundredths of m²: sums in SQL stay exact on every database.
    area_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    building: Mapped[str] = mapped_column(String(50), default="", server_default="")
    age_band: Mapped[str] = mapped_column(String(20), default="", server_default="")
    tenure: Mapped[str] = mapped_column(String(20), default="", server_default="")
    took_part: Mapped[bool_false]


class VoteVoterUnit(db.Model):
    """Which units a voter key answers for: paper forms by room, and the list of units not answered."""

    __tablename__ = "vote_voter_units"
    __table_args__ = (Index("ix_vote_voter_units_vote_unit", "vote_id", "unit_id"),)
    id: Mapped[intpk]
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))


class VoteElectorateGroup(db.Model):
    """The frozen electorate counted once at the opening: voters and area per advisory/building/age/tenure.

    The result reads these few rows instead of aggregating the electorate (a million owners) again.
    """

    __tablename__ = "vote_electorate_groups"
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True)
    advisory: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    building: Mapped[str] = mapped_column(String(50), primary_key=True)
    age_band: Mapped[str] = mapped_column(String(20), primary_key=True)
    tenure: Mapped[str] = mapped_column(String(20), primary_key=True)
    voters: Mapped[int] = mapped_column(Integer)
    area_cents: Mapped[int] = mapped_column(BigInteger)


class Ballot(db.Model):
    """One ballot per voter key per vote (the unique constraint makes a second one impossible).

    ``choice`` is "agree" / "disagree" / "abstain", an option key, or canonical JSON for approval
    (a sorted list of keys) and ranked ballots (a list of tiers). A secret vote's ballots lose
    ``voter_key`` and ``cast_by_id`` at the close; who took part stays in VoteVoter.took_part.

    The voter's facts (advisory, building, age band, tenure, area) are copied from the frozen
    electorate when the ballot is cast or entered, so a tally is one GROUP BY over ballots alone
    (the covering index ix_ballots_vote_facts). NULL facts: a ballot written without them (bulk SQL);
    the result then joins those to the electorate. A secret vote's ballots lose them at the close.
    """

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("vote_id", "voter_key"),
        Index("ix_ballots_vote_choice", "vote_id", "choice"),
        Index("ix_ballots_vote_facts", "vote_id", "advisory", "building", "age_band", "tenure", "choice", "source",
              "area_cents"),
    )
    id: Mapped[intpk]
    # No index of its own: the three indexes above begin with it (migration b4ll0t1dx001).
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    voter_key: Mapped[str | None] = mapped_column(String(40))
    choice: Mapped[str] = mapped_column(String(1000))
    source: Mapped[BallotSource] = enum_column(BallotSource, default=BallotSource.ONLINE)
    cast_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    proposal_version: Mapped[int | None]
    # A ballot cast by proxy (source PROXY): the written authorisation it was cast under.
    proxy_id: Mapped[int | None] = mapped_column(ForeignKey("vote_proxies.id", ondelete="SET NULL"))
    changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cast_at: Mapped[timestamp]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    advisory: Mapped[bool | None] = mapped_column(Boolean)
    building: Mapped[str | None] = mapped_column(String(50))
    age_band: Mapped[str | None] = mapped_column(String(20))
    tenure: Mapped[str | None] = mapped_column(String(20))
    area_cents: Mapped[int | None] = mapped_column(Integer)
    # Recorded at the counter on the voter's behalf (帮办, voting.assisted): by whom, with which consent;
    # cleared when the voter changes it themselves.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent: Mapped[Consent | None] = enum_column(Consent, nullable=True)

    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])


class PaperConflict(db.Model):
    """A paper form for a voter who already has a ballot: kept aside until the moderator settles it."""

    __tablename__ = "vote_paper_conflicts"
    __table_args__ = (Index("ix_vote_paper_conflicts_replaced", "vote_id", "replaced_receipt_hash"),)
    id: Mapped[intpk]
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), index=True)
    voter_key: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    unit_label: Mapped[str] = mapped_column(String(80), default="")
    choice: Mapped[str | None] = mapped_column(String(1000))
    existing_source: Mapped[str] = mapped_column(String(20), default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]
    resolution: Mapped[str | None] = mapped_column(String(20))  # "keep" | "paper"
    # Settled "paper": the receipt hash of the ballot it replaced, so the old code answers "replaced".
    replaced_receipt_hash: Mapped[str | None] = mapped_column(String(64))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[timestamp_null]

    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])


class VoteObjection(db.Model):
    """An objection to the posted roll (a unit's owner or area) or to the preliminary result, and its answer.

    ``kind`` names what is objected to (voting.labels words it); ``accepted`` is None until answered.
    ``correction`` records what an accepted objection changed: the roster's old and new values, a recount.
    """

    __tablename__ = "vote_objections"
    __table_args__ = (Index("ix_vote_objections_vote_stage", "vote_id", "stage", "answered_at"),)
    id: Mapped[intpk]
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    stage: Mapped[ObjectionStage] = enum_column(ObjectionStage)
    lodged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[timestamp]
    answered_at: Mapped[timestamp_null]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted: Mapped[bool | None] = mapped_column(Boolean)
    answer: Mapped[str] = mapped_column(String(1000), default="")
    correction: Mapped[dict | None] = mapped_column(JSON)

    vote: Mapped[Vote] = relationship()
    lodged_by: Mapped[User | None] = relationship(foreign_keys=[lodged_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])


# VoteProxy.instruction once a secret vote has closed: the owner's instruction is their choice, and a
# secret vote keeps no link between an owner and a choice after the close (lifecycle._unlink_ballots).
WITHHELD = ""


class VoteProxy(db.Model):
    """A written authorisation (委托书) for one vote: the owner, the person authorised, the owner's instruction.

    ``instruction`` is the choice to cast, written like a ballot's ("agree", an option key…), or None where
    the owner leaves it to the proxy (由受托人决定). ``source`` is "online" (the owner authorised here) or
    "paper" (a signed form the moderator recorded; ``document`` names its photo, served to moderators only).
    A revoked authorisation keeps its row; a ballot cast under it points here (Ballot.proxy_id).
    """

    __tablename__ = "vote_proxies"
    __table_args__ = (Index("ix_vote_proxies_vote_owner", "vote_id", "owner_person_id"),
                      Index("ix_vote_proxies_vote_proxy", "vote_id", "proxy_person_id"))
    id: Mapped[intpk]
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    owner_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    proxy_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    instruction: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(20), default="paper")
    document: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]
    revoked_at: Mapped[timestamp_null]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    vote: Mapped[Vote] = relationship()

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None

    @property
    def leaves_it_to_proxy(self) -> bool:
        """由受托人决定: the owner lets the proxy choose."""
        return self.instruction is None

    def can_revoke(self, user: User) -> bool:
        """The owner who gave it, and the vote's moderators (a written revocation handed in)."""
        return self.vote.can_moderate(user) or (user.is_authenticated and user.person_id == self.owner_person_id)

    def can_cast(self, user: User) -> bool:
        """The person authorised, while the authorisation stands and the vote is open."""
        return (user.is_authenticated and user.person_id == self.proxy_person_id and self.active
                and self.vote.state == VoteState.OPEN)

