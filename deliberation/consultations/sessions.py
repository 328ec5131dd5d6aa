"""Sessions (议事): create and edit them, move their phases, record their joint meetings, list them (and those
taking comments from a person)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Building, Community, Person, Unit, User
from deliberation.booking.bookings import create_booking
from deliberation.booking.models import Room
from deliberation.consultations.eligibility import ResidentFacts, eligible_clause, visible_clause
from deliberation.consultations.models import (
    MAX_LONG_TEXT,
    PHASE_ORDER,
    Comment,
    CommentRound,
    Consultation,
    Eligibility,
    JointMeeting,
    Phase,
    consultation_staircases,
)
from deliberation.consultations.notifications import consultation_link, notify
from deliberation.db import utcnow
from deliberation.errors import Conflict, Invalid, require
from deliberation.formatting import per_language
from deliberation.pagination import Page, paginate
from deliberation.validation import check_planned, clean_text

logger = logging.getLogger(__name__)


@per_language
def _phase_labels() -> dict[Phase, str]:
    return {
        Phase.DRAFT: _("草稿"),
        Phase.COMMENTING: _("征求意见"),
        Phase.VOTING: _("表决"),
        Phase.CLOSED: _("已结束"),
        Phase.MINUTES_PUBLISHED: _("纪要已公布"),
    }


def phase_label(phase: Phase) -> str:
    """The phase in the reader's language."""
    return _phase_labels()[phase]


@per_language
def _eligibility_labels() -> dict[Eligibility, str]:
    return {
        Eligibility.COMMUNITY: _("全体居民"),
        Eligibility.BUILDINGS: _("指定楼栋或单元的居民和业主"),
        Eligibility.OWNERS: _("仅业主"),
        Eligibility.PERSONS: _("指定人员"),
    }


def eligibility_label(eligibility: Eligibility) -> str:
    """Who takes part, in the reader's language."""
    return _eligibility_labels()[eligibility]


@dataclass
class ConsultationInput:
    title: str = ""
    background: str = ""
    participants: str = ""
    eligibility: Eligibility | str = Eligibility.COMMUNITY
    building_ids: Sequence[int] = ()
    staircases: Sequence[tuple[int, str]] = ()  # (building id, staircase) pairs, e.g. (3, "2单元")
    person_ids: Sequence[int] = ()
    commenting_at: datetime | None = None
    voting_at: datetime | None = None
    closes_at: datetime | None = None
    pre_moderation: bool = False
    extra: dict = field(default_factory=dict)


def staircase_choices(session: Session, community_id: int) -> list[tuple[int, str, str]]:
    """Every staircase (单元) on record in the community: (building id, building name, staircase)."""
    return [
        (building_id, name, staircase)
        for building_id, name, staircase in session.execute(
            select(Building.id, Building.name, Unit.staircase)
            .join(Unit, Unit.building_id == Building.id)
            .where(Building.community_id == community_id, Unit.staircase != "")
            .group_by(Building.id, Building.name, Building.sort_key, Unit.staircase)
            .order_by(Building.sort_key, Unit.staircase)
        )
    ]


def staircases_of(session: Session, consultation: Consultation) -> list[tuple[int, str, str]]:
    """The session's chosen staircases: (building id, building name, staircase)."""
    if consultation.id is None:
        return []
    return [
        (building_id, name, staircase)
        for building_id, name, staircase in session.execute(
            select(Building.id, Building.name, consultation_staircases.c.staircase)
            .join(consultation_staircases, consultation_staircases.c.building_id == Building.id)
            .where(consultation_staircases.c.consultation_id == consultation.id)
            .order_by(Building.sort_key, consultation_staircases.c.staircase)
        )
    ]


def _write_staircases(session: Session, consultation: Consultation, staircases: set[tuple[int, str]]) -> None:
    session.execute(
        delete(consultation_staircases).where(consultation_staircases.c.consultation_id == consultation.id)
    )
    if staircases:
        session.execute(
            insert(consultation_staircases),
            [
                {"consultation_id": consultation.id, "building_id": b, "staircase": s}
                for b, s in sorted(staircases)
            ],
        )


def _apply(
    session: Session, consultation: Consultation, community: Community, data: ConsultationInput
) -> set[tuple[int, str]]:
    """Validate every field first, then write: a refused form changes nothing.

    Returns the chosen staircases, written by the caller once the session has its id.
    """
    title = clean_text(data.title, "title", _("标题"), max_length=200)
    background = clean_text(data.background, "background", _("背景"), max_length=MAX_LONG_TEXT, required=False)
    participants = clean_text(data.participants, "participants", _("参与方"), max_length=2000, required=False)
    try:
        eligibility = Eligibility(data.eligibility)
    except ValueError as error:
        raise Invalid(_("参与范围无效"), fields={"eligibility": _("参与范围无效")}) from error
    buildings: list[Building] = []
    persons: list[Person] = []
    staircases: set[tuple[int, str]] = set()
    if eligibility == Eligibility.BUILDINGS:
        ids = {int(i) for i in data.building_ids}
        buildings = (
            list(
                session.execute(
                    select(Building).where(Building.id.in_(ids), Building.community_id == community.id)
                ).scalars()
            )
            if ids
            else []
        )
        staircases = {(int(b), str(s).strip()) for b, s in data.staircases}
        known = set((b, st) for b, _name, st in staircase_choices(session, community.id)) if staircases else set()
        if not staircases <= known:
            raise Invalid(
                _("请选择本居民区名册中已有的单元"), fields={"staircases": _("请选择本居民区名册中已有的单元")}
            )
        if len(buildings) != len(ids) or not (buildings or staircases):
            raise Invalid(
                _("请选择本居民区的楼栋或单元"), fields={"building_ids": _("请选择本居民区的楼栋或单元")}
            )
    if eligibility == Eligibility.PERSONS:
        ids = {int(i) for i in data.person_ids}
        persons = (
            list(
                session.execute(
                    select(Person).where(Person.id.in_(ids), Person.community_id == community.id)
                ).scalars()
            )
            if ids
            else []
        )
        if not persons or len(persons) != len(ids):
            raise Invalid(
                _("请选择本居民区名册中的人员"), fields={"person_ids": _("请选择本居民区名册中的人员")}
            )
    check_planned(data.commenting_at, "commenting_at", _("征求意见开始时间"))
    check_planned(data.voting_at, "voting_at", _("表决开始时间"))
    check_planned(data.closes_at, "closes_at", _("计划结束时间"))
    times = [t for t in (data.commenting_at, data.voting_at, data.closes_at) if t is not None]
    if times != sorted(times) or len(set(times)) != len(times):
        raise Invalid(
            _("计划时间须按“征求意见 → 表决 → 结束”的先后顺序"), fields={"closes_at": _("时间顺序不对")}
        )
    consultation.title = title
    consultation.background = background
    consultation.participants = participants
    consultation.eligibility = eligibility
    consultation.buildings = buildings
    consultation.persons = persons
    consultation.commenting_at = data.commenting_at
    consultation.voting_at = data.voting_at
    consultation.closes_at = data.closes_at
    consultation.pre_moderation = bool(data.pre_moderation)
    consultation.updated_at = utcnow()
    return staircases


def create_consultation(
    session: Session, actor: User, community: Community, data: ConsultationInput
) -> Consultation:
    """A new session in the draft phase, seen only by moderators until it moves on."""
    require(community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    consultation = Consultation(
        community=community, community_id=community.id, created_by=actor, phase=Phase.DRAFT
    )
    staircases = _apply(session, consultation, community, data)
    session.add(consultation)
    session.flush()
    _write_staircases(session, consultation, staircases)
    audit.record(
        session,
        actor,
        "consultation.create",
        consultation,
        community_id=community.id,
        title=consultation.title,
        eligibility=consultation.eligibility.value,
        staircases=[f"{b}:{st}" for b, st in sorted(staircases)],
    )
    return consultation


def update_consultation(
    session: Session, actor: User, consultation: Consultation, data: ConsultationInput
) -> Consultation:
    """Change a session's text, eligibility, schedule or pre-moderation, until it is closed."""
    require(consultation.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if consultation.effective_phase.order >= Phase.CLOSED.order:
        raise Conflict(_("议事已结束，不能再修改"))
    staircases = _apply(session, consultation, consultation.community, data)
    session.flush()
    _write_staircases(session, consultation, staircases)
    audit.record(
        session,
        actor,
        "consultation.update",
        consultation,
        community_id=consultation.community_id,
        title=consultation.title,
        eligibility=consultation.eligibility.value,
        staircases=[f"{b}:{st}" for b, st in sorted(staircases)],
        pre_moderation=consultation.pre_moderation,
    )
    return consultation


def move_phase(
    session: Session, actor: User, consultation: Consultation, target: Phase | str
) -> Consultation:
    """Move a session forward (never back); tell everyone who commented."""
    require(consultation.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    try:
        target = Phase(target)
    except ValueError as error:
        raise Invalid(_("未知的阶段"), fields={"phase": _("未知的阶段")}) from error
    current = consultation.effective_phase
    if target.order <= current.order:
        raise Conflict(
            _(
                "议事只能向后推进：当前为“%(current)s”，不能改为“%(target)s”",
                current=phase_label(current),
                target=phase_label(target),
            ),
            fields={"phase": _("不能回到之前的阶段")},
        )
    now = utcnow()
    # A comment round still running ends with the commenting phase: its record says when it really closed.
    cut_short = [r for r in consultation.rounds if r.opens_at <= now < r.closes_at] \
        if current == Phase.COMMENTING else []
    for round_ in cut_short:
        round_.closes_at = now
    consultation.phase = target
    consultation.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "consultation.phase",
        consultation,
        community_id=consultation.community_id,
        before=current.value,
        after=target.value,
        rounds_closed=[r.number for r in cut_short],
    )
    logger.info("consultation %s moved %s -> %s by user %s", consultation.id, current, target, actor.id)
    commenters = (
        session.execute(
            select(Comment.author_id).where(Comment.consultation_id == consultation.id).distinct()
        )
        .scalars()
        .all()
    )
    notify(
        session,
        [uid for uid in commenters if uid != actor.id],
        "phase",
        lambda: _(
            "您参与的议事“%(title)s”进入了“%(phase)s”阶段",
            title=consultation.title,
            phase=phase_label(target),
        ),
        consultation_link(consultation.id),
    )
    return consultation


def next_phases(consultation: Consultation) -> list[Phase]:
    """The phases a session may still move to."""
    return [p for p in PHASE_ORDER if p.order > consultation.effective_phase.order]


def add_meeting(
    session: Session,
    actor: User,
    consultation: Consultation,
    held_at: datetime | None,
    place: str,
    attendees: str,
    notes: str = "",
    *,
    room: Room | None = None,
    ends_at: datetime | None = None,
    attendance: int | None = None,
) -> JointMeeting:
    """Record an in-person joint meeting (联席会议) of the session, booking a room of the station if asked.

    The booking is made by the booking capability's own service in this same transaction: a booking
    the rules refuse (a conflict, outside opening hours…) raises its message and nothing is saved.
    """
    require(consultation.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if held_at is None:
        raise Invalid(_("请填写会议时间"), fields={"held_at": _("必填")})
    place = clean_text(place, "place", _("地点"), max_length=200)
    attendees = clean_text(attendees, "attendees", _("参会人员"), max_length=2000)
    notes = clean_text(notes, "notes", _("会议记录"), max_length=MAX_LONG_TEXT, required=False)
    booking = None
    if room is not None:
        if room.community_id != consultation.community_id:
            raise Invalid(_("请选择本居民区的场地"), fields={"room_id": _("请选择本居民区的场地")})
        if ends_at is None:
            raise Invalid(_("预约场地须填写会议结束时间"), fields={"ends_at": _("预约场地须填写结束时间")})
        if not attendance:
            raise Invalid(_("预约场地须填写预计人数"), fields={"attendance": _("请填写预计人数")})
        booking = create_booking(
            session,
            actor,
            room,
            title=_("联席会议：%(title)s", title=consultation.title)[:200],
            attendance=attendance,
            starts_at=held_at,
            ends_at=ends_at,
        )
    meeting = JointMeeting(
        consultation=consultation,
        held_at=held_at,
        place=place,
        attendees=attendees,
        notes=notes,
        created_by_id=actor.id,
        booking=booking,
    )
    session.add(meeting)
    session.flush()
    audit.record(
        session,
        actor,
        "meeting.create",
        meeting,
        community_id=consultation.community_id,
        consultation_id=consultation.id,
        place=meeting.place,
        booking_id=meeting.booking_id,
    )
    return meeting


# The booking service names its fields after its own form; the meeting form's names for them.
BOOKING_FIELDS = {"start": "held_at", "date": "held_at", "end": "ends_at", "attendance": "attendance",
                  "team_id": "room_id", "title": "place"}



def consultations_of(
    session: Session, viewer: User, community: Community, *, page: int | None = None, per_page: int = 20
) -> Page:
    """The community's sessions the viewer may see (drafts for moderators only), newest first."""
    stmt = (
        select(Consultation)
        .where(Consultation.community_id == community.id, visible_clause(session, viewer, community.id))
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
    )
    return paginate(session, stmt, per_page=per_page, number=page or 1)


@dataclass(frozen=True)
class OpenForComment:
    """A session taking comments, and when its open round closes."""

    id: int
    community_id: int
    title: str
    round_closes_at: datetime


def commenting_clause(now: datetime) -> ColumnElement[bool]:
    """The sessions whose effective phase (Consultation.phase_at) is 征求意见 now, in SQL: moved or scheduled
    into it, and neither moved nor scheduled past it."""
    later = [phase for phase in PHASE_ORDER if phase.order > Phase.COMMENTING.order]
    return and_(
        or_(Consultation.phase == Phase.COMMENTING, Consultation.commenting_at <= now),
        Consultation.phase.not_in(later),
        or_(Consultation.voting_at.is_(None), Consultation.voting_at > now),
        or_(Consultation.closes_at.is_(None), Consultation.closes_at > now),
    )


def open_for_comment(session: Session, user: User, facts: ResidentFacts, community_ids: Sequence[int],
                     now: datetime, limit: int = 5) -> list[OpenForComment]:
    """The sessions of these communities taking comments that the person is eligible for, the one whose round
    closes first first (one query). ``facts``: consultations.eligibility.resident_facts, asked once.

    Taking comments: in the commenting phase with a round open now (CommentRound.state_at: opened, not past its
    close). A session in that phase between rounds refuses every comment, so it is not offered."""
    if not community_ids:
        return []
    open_rounds = (select(CommentRound.consultation_id, func.min(CommentRound.closes_at).label("closes"))
                   .where(CommentRound.opens_at <= now, CommentRound.closes_at > now)
                   .group_by(CommentRound.consultation_id).subquery())
    rows = session.execute(
        select(Consultation.id, Consultation.community_id, Consultation.title, open_rounds.c.closes)
        .join(open_rounds, open_rounds.c.consultation_id == Consultation.id)
        .where(Consultation.community_id.in_(community_ids), commenting_clause(now), eligible_clause(facts))
        .order_by(open_rounds.c.closes, Consultation.id).limit(limit)
    ).all()
    return [OpenForComment(*row) for row in rows]
