"""Operations on sessions, proposals, comment rounds, comments, moderation, ideas and notifications.

Every function takes the database session and the acting user first, checks permission, validates,
writes, records an audit event and flushes; the caller commits once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_app_context, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from deliberation import audit
from deliberation.accounts.models import Building, Community, Person, Unit, User
from deliberation.booking import bookings as booking_services
from deliberation.booking.models import Room
from deliberation.consultations import outbox
from deliberation.consultations import pictures as picture_files
from deliberation.consultations.markup import DiffLine, line_diff, render_markdown
from deliberation.consultations.models import (
    PHASE_ORDER,
    BlockedWord,
    Comment,
    CommentReport,
    CommentRound,
    CommentStatus,
    CommentSupport,
    Consultation,
    Eligibility,
    Idea,
    IdeaStatus,
    IdeaSupport,
    JointMeeting,
    Notification,
    Phase,
    Proposal,
    ProposalPicture,
    ProposalVersion,
    RoundState,
    consultation_staircases,
)
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound
from deliberation.pagination import Page, paginate
from deliberation.validation import clean_text

logger = logging.getLogger(__name__)

MAX_TEXT = 5000
MAX_LONG_TEXT = 20000
MAX_PICTURES = 10
SORTS = ("supported", "newest")


def phase_label(phase: Phase) -> str:
    return {
        Phase.DRAFT: _("草稿"),
        Phase.COMMENTING: _("征求意见"),
        Phase.VOTING: _("表决"),
        Phase.CLOSED: _("已结束"),
        Phase.MINUTES_PUBLISHED: _("纪要已公布"),
    }[phase]


def eligibility_label(eligibility: Eligibility) -> str:
    return {
        Eligibility.COMMUNITY: _("全体居民"),
        Eligibility.BUILDINGS: _("指定楼栋或单元的居民和业主"),
        Eligibility.OWNERS: _("仅业主"),
        Eligibility.PERSONS: _("指定人员"),
    }[eligibility]


# -- helpers -----------------------------------------------------------------------------------


def _text(
    value: str | None, name: str, label: str, *, max_length: int = MAX_TEXT, required: bool = True
) -> str:
    """Trimmed text within its limits (comments and bodies default to MAX_TEXT), or Invalid."""
    return clean_text(value, name, label, max_length=max_length, required=required)


def _require_moderator(community: Community, actor: User) -> None:
    if not community.can_moderate(actor):
        raise Forbidden(_("只有本居民区的主持人可以进行此操作"))


def _consultation_link(consultation_id: int, anchor: str = "") -> str:
    return f"/consultations/{consultation_id}" + (f"#{anchor}" if anchor else "")


def notify(session: Session, user_ids: Iterable[int], kind: str, text: str, link: str = "") -> int:
    """Tell users inside the site; with SMTP_URL set, also queue an e-mail to those with an address.

    The e-mail rows are written in this same transaction and sent after the response (outbox.py).
    """
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    now = utcnow()
    text = text[:500]
    session.execute(
        insert(Notification),
        [{"user_id": uid, "kind": kind, "text": text, "link": link, "created_at": now} for uid in ids],
    )
    if has_app_context() and current_app.config.get("SMTP_URL"):
        absolute = (request.url_root.rstrip("/") + link) if link and has_request_context() else link
        outbox.queue(
            session,
            ids,
            _("【议事平台】%(text)s", text=text)[:200],
            text + ("\n\n" + _("查看详情：%(link)s", link=absolute) if link else ""),
        )
    return len(ids)


# -- sessions ----------------------------------------------------------------------------------


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
    title = _text(data.title, "title", _("标题"), max_length=200)
    background = _text(data.background, "background", _("背景"), max_length=MAX_LONG_TEXT, required=False)
    participants = _text(data.participants, "participants", _("参与方"), max_length=2000, required=False)
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
    _require_moderator(community, actor)
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
    _require_moderator(consultation.community, actor)
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
    _require_moderator(consultation.community, actor)
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
    consultation.phase = target
    consultation.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "consultation.phase",
        consultation,
        community_id=consultation.community_id,
        before=current.value,
        after=target.value,
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
        _(
            "您参与的议事“%(title)s”进入了“%(phase)s”阶段",
            title=consultation.title,
            phase=phase_label(target),
        ),
        _consultation_link(consultation.id),
    )
    return consultation


def next_phases(consultation: Consultation) -> list[Phase]:
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
    _require_moderator(consultation.community, actor)
    if held_at is None:
        raise Invalid(_("请填写会议时间"), fields={"held_at": _("必填")})
    place = _text(place, "place", _("地点"), max_length=200)
    attendees = _text(attendees, "attendees", _("参会人员"), max_length=2000)
    notes = _text(notes, "notes", _("会议记录"), max_length=MAX_LONG_TEXT, required=False)
    booking = None
    if room is not None:
        if room.community_id != consultation.community_id:
            raise Invalid(_("请选择本居民区的场地"), fields={"room_id": _("请选择本居民区的场地")})
        if ends_at is None:
            raise Invalid(_("预约场地须填写会议结束时间"), fields={"ends_at": _("预约场地须填写结束时间")})
        if not attendance:
            raise Invalid(_("预约场地须填写预计人数"), fields={"attendance": _("请填写预计人数")})
        booking = booking_services.create_booking(
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


# -- proposals ---------------------------------------------------------------------------------

Upload = tuple[bytes, str]  # the file's bytes and the name it had on the user's device


def _store_pictures(session: Session, uploads: Sequence[Upload], kept: int = 0) -> list[ProposalPicture]:
    """Check every upload before storing any, so a bad file leaves nothing half-written.

    The files written are removed again if the transaction does not commit (pictures.store).
    """
    uploads = [u for u in uploads if u[0] or u[1]]
    if kept + len(uploads) > MAX_PICTURES:
        raise Invalid(_("每个版本最多 %(n)d 张图片", n=MAX_PICTURES), fields={"pictures": _("图片太多")})
    cleaned = [(picture_files.clean_picture(data, name), name) for data, name in uploads]
    return [
        ProposalPicture(
            stored_name=picture_files.store(clean, session),
            original_name=(name or "")[:200],
            content_type=clean.content_type,
            width=clean.width,
            height=clean.height,
            size=len(clean.data),
        )
        for clean, name in cleaned
    ]


def _refuse_when_closed(consultation: Consultation) -> None:
    if consultation.effective_phase.order >= Phase.CLOSED.order:
        raise Conflict(_("议事已结束，不能再修改方案"))


def create_proposal(
    session: Session,
    actor: User,
    consultation: Consultation,
    title: str,
    body_markdown: str,
    *,
    is_variant: bool = False,
    pictures: Sequence[Upload] = (),
    change_note: str = "",
) -> Proposal:
    """A proposal with its first version; the Markdown is stored alongside its sanitised HTML."""
    _require_moderator(consultation.community, actor)
    _refuse_when_closed(consultation)
    title = _text(title, "title", _("方案标题"), max_length=200)
    body = _text(body_markdown, "body", _("方案内容"), max_length=MAX_LONG_TEXT)
    note = _text(change_note, "change_note", _("说明"), max_length=1000, required=False)
    stored = _store_pictures(session, pictures)
    proposal = Proposal(consultation=consultation, is_variant=is_variant)
    version = ProposalVersion(
        proposal=proposal,
        number=1,
        title=title,
        body_markdown=body,
        body_html=render_markdown(body),
        change_note=note,
        created_by_id=actor.id,
        pictures=stored,
    )
    session.add_all([proposal, version])
    session.flush()
    audit.record(
        session,
        actor,
        "proposal.create",
        proposal,
        community_id=consultation.community_id,
        consultation_id=consultation.id,
        title=title,
        pictures=len(stored),
    )
    return proposal


def add_version(
    session: Session,
    actor: User,
    proposal: Proposal,
    title: str,
    body_markdown: str,
    change_note: str,
    *,
    pictures: Sequence[Upload] = (),
    drop_picture_ids: Iterable[int] = (),
) -> ProposalVersion:
    """A new version of a proposal; earlier versions stay, and its pictures carry over unless dropped."""
    consultation = proposal.consultation
    _require_moderator(consultation.community, actor)
    _refuse_when_closed(consultation)
    title = _text(title, "title", _("方案标题"), max_length=200)
    body = _text(body_markdown, "body", _("方案内容"), max_length=MAX_LONG_TEXT)
    note = _text(change_note, "change_note", _("修改说明"), max_length=1000)
    previous = proposal.current_version
    drop = {int(i) for i in drop_picture_ids}
    kept = [
        ProposalPicture(
            stored_name=p.stored_name,
            original_name=p.original_name,
            caption=p.caption,
            content_type=p.content_type,
            width=p.width,
            height=p.height,
            size=p.size,
        )
        for p in previous.pictures
        if p.id not in drop
    ]
    stored = _store_pictures(session, pictures, kept=len(kept))
    version = ProposalVersion(
        proposal=proposal,
        number=previous.number + 1,
        title=title,
        body_markdown=body,
        body_html=render_markdown(body),
        change_note=note,
        created_by_id=actor.id,
        pictures=kept + stored,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor,
        "proposal.version",
        proposal,
        community_id=consultation.community_id,
        number=version.number,
        title=title,
        change_note=note,
    )
    return version


@dataclass(frozen=True)
class VersionDiff:
    old: ProposalVersion
    new: ProposalVersion
    title_changed: bool
    lines: list[DiffLine]

    @property
    def changed(self) -> bool:
        return self.title_changed or any(line.kind != "same" for line in self.lines)


def proposals_of(session: Session, consultation: Consultation) -> list[Proposal]:
    """A session's proposals in order, with their versions, pictures and linked ideas (four queries)."""
    return list(session.execute(
        select(Proposal)
        .where(Proposal.consultation_id == consultation.id)
        .order_by(Proposal.id)
        .options(selectinload(Proposal.versions).selectinload(ProposalVersion.pictures),
                 selectinload(Proposal.ideas))
    ).scalars())


def version_diff(proposal: Proposal, number: int) -> VersionDiff | None:
    """What changed from the version before `number` to `number` (None for the first)."""
    new = proposal.version(number)
    old = proposal.version(number - 1)
    if new is None or old is None:
        return None
    return VersionDiff(old, new, old.title != new.title, line_diff(old.body_markdown, new.body_markdown))


# -- comment rounds ----------------------------------------------------------------------------


def open_round(
    session: Session,
    actor: User,
    consultation: Consultation,
    closes_at: datetime | None,
    opens_at: datetime | None = None,
) -> CommentRound:
    """A new numbered round; it does not overlap an earlier one and takes comments in the commenting phase."""
    _require_moderator(consultation.community, actor)
    if consultation.effective_phase not in (Phase.DRAFT, Phase.COMMENTING):
        raise Conflict(_("只有在“草稿”或“征求意见”阶段才能开设意见征集轮次"))
    now = utcnow()
    opens_at = opens_at or now
    if closes_at is None:
        raise Invalid(_("请填写截止时间"), fields={"closes_at": _("必填")})
    if closes_at <= opens_at or closes_at <= now:
        raise Invalid(_("截止时间须晚于开始时间和现在"), fields={"closes_at": _("截止时间太早")})
    last = session.execute(
        select(CommentRound)
        .where(CommentRound.consultation_id == consultation.id)
        .order_by(CommentRound.number.desc())
        .limit(1)
    ).scalar()
    if last is not None and last.closes_at > opens_at:
        raise Conflict(
            _("第 %(n)d 轮意见征集尚未结束，新一轮须在它截止之后开始", n=last.number),
            fields={"opens_at": _("与上一轮重叠")},
        )
    round_ = CommentRound(
        consultation=consultation,
        number=(last.number + 1) if last else 1,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    session.add(round_)
    session.flush()
    audit.record(
        session,
        actor,
        "round.open",
        round_,
        community_id=consultation.community_id,
        consultation_id=consultation.id,
        number=round_.number,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    return round_


def close_round(session: Session, actor: User, round_: CommentRound) -> CommentRound:
    """End a round now, before its scheduled close."""
    consultation = round_.consultation
    _require_moderator(consultation.community, actor)
    if round_.state == RoundState.CLOSED:
        raise Conflict(_("这一轮已经结束"))
    now = utcnow()
    round_.closes_at = now
    if round_.opens_at > now:
        round_.opens_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "round.close",
        round_,
        community_id=consultation.community_id,
        consultation_id=consultation.id,
        number=round_.number,
    )
    return round_


# -- comments ----------------------------------------------------------------------------------


def blocked_words(session: Session, community_id: int) -> list[str]:
    return list(
        session.execute(
            select(BlockedWord.word)
            .where(BlockedWord.community_id == community_id)
            .order_by(BlockedWord.word)
        ).scalars()
    )


def _contains_blocked_word(session: Session, community_id: int, text: str) -> bool:
    lowered = text.casefold()
    return any(word.casefold() in lowered for word in blocked_words(session, community_id))


def post_comment(
    session: Session,
    actor: User,
    consultation: Consultation,
    body: str,
    *,
    parent_id: int | None = None,
    proposal_id: int | None = None,
    official_answer: bool = False,
) -> Comment:
    """A comment in the open round, a reply in its parent's round, or a moderator's official answer."""
    if not consultation.can_take_part(actor):
        raise Forbidden(_("您不在本次议事的参与范围内"))
    moderator = consultation.can_moderate(actor)
    body = _text(body, "body", _("意见内容"))
    if official_answer and not moderator:
        raise Forbidden(_("只有主持人可以发布正式答复"))
    parent = None
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.consultation_id != consultation.id:
            raise Invalid(_("只能回复本次议事中的意见"), fields={"parent_id": _("回复的意见不在本次议事中")})
        if parent.status != CommentStatus.PUBLISHED:
            raise Conflict(_("这条意见目前不能回复"))
    elif official_answer:
        raise Invalid(_("正式答复须针对一条意见"), fields={"parent_id": _("请选择要答复的意见")})
    round_ = parent.round if parent is not None else consultation.open_round
    # Official answers may come after a round has closed: the question still deserves its answer.
    if round_ is None or (round_.state != RoundState.OPEN and not official_answer):
        raise Conflict(_("本轮意见征集已结束或尚未开始，暂时不能发表意见"))
    proposal = None
    if parent is not None:
        proposal = parent.proposal
    elif proposal_id is not None:
        proposal = session.get(Proposal, proposal_id)
        if proposal is None or proposal.consultation_id != consultation.id:
            raise Invalid(_("该方案不在本次议事中"), fields={"proposal_id": _("方案不在本次议事中")})
    status = CommentStatus.PUBLISHED
    if not moderator and (
        consultation.pre_moderation or _contains_blocked_word(session, consultation.community_id, body)
    ):
        status = CommentStatus.PENDING
    comment = Comment(
        consultation=consultation,
        round=round_,
        proposal=proposal,
        proposal_version=proposal.current_version if proposal is not None else None,
        author=actor,
        parent=parent,
        thread_id=(parent.thread_id or parent.id) if parent is not None else None,
        body=body,
        is_official_answer=official_answer,
        status=status,
    )
    session.add(comment)
    session.flush()
    audit.record(
        session,
        actor,
        "comment.create",
        comment,
        community_id=consultation.community_id,
        consultation_id=consultation.id,
        round=round_.number,
        parent_id=parent_id,
        official_answer=official_answer,
        status=status.value,
    )
    if status == CommentStatus.PUBLISHED:
        _announce(session, comment)
    return comment


def _announce(session: Session, comment: Comment) -> None:
    """Tell the author of the comment replied to (once the reply is public)."""
    parent = comment.parent
    if parent is None or parent.author_id == comment.author_id:
        return
    title = comment.consultation.title
    if comment.is_official_answer:
        text = _("您在“%(title)s”中的意见收到了正式答复", title=title)
    else:
        text = _("有人回复了您在“%(title)s”中的意见", title=title)
    notify(
        session,
        [parent.author_id],
        "answer" if comment.is_official_answer else "reply",
        text,
        _consultation_link(comment.consultation_id, f"comment-{comment.id}"),
    )


def support_comment(session: Session, actor: User, comment: Comment) -> Comment:
    """One support per person, while the round is open; not for one's own comment."""
    consultation = comment.consultation
    if not consultation.can_take_part(actor):
        raise Forbidden(_("您不在本次议事的参与范围内"))
    if comment.status != CommentStatus.PUBLISHED:
        raise Conflict(_("这条意见目前不能支持"))
    if comment.author_id == actor.id:
        raise Conflict(_("不能支持自己的意见"))
    if comment.round.state != RoundState.OPEN:
        raise Conflict(_("本轮意见征集已结束，不能再支持"))
    if session.execute(
        select(CommentSupport.id).where(
            CommentSupport.comment_id == comment.id, CommentSupport.user_id == actor.id
        )
    ).first():
        raise Conflict(_("您已经支持过这条意见"))
    session.add(CommentSupport(comment_id=comment.id, user_id=actor.id))
    session.flush()
    session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(support_count=Comment.support_count + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(comment, ["support_count"])
    audit.record(session, actor, "comment.support", comment, community_id=consultation.community_id)
    return comment


def withdraw_support(session: Session, actor: User, comment: Comment) -> Comment:
    """Take one's support back."""
    consultation = comment.consultation
    if comment.round.state != RoundState.OPEN:
        raise Conflict(_("本轮意见征集已结束，不能再更改支持"))
    deleted = session.execute(
        delete(CommentSupport).where(
            CommentSupport.comment_id == comment.id, CommentSupport.user_id == actor.id
        )
    ).rowcount
    if not deleted:
        raise Conflict(_("您还没有支持这条意见"))
    session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(support_count=Comment.support_count - 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(comment, ["support_count"])
    audit.record(session, actor, "comment.unsupport", comment, community_id=consultation.community_id)
    return comment


def report_comment(session: Session, actor: User, comment: Comment, reason: str) -> CommentReport:
    """A resident flags a comment for the moderators, with a reason."""
    consultation = comment.consultation
    if not consultation.can_view(actor):
        raise NotFound(_("找不到该意见"))
    reason = _text(reason, "reason", _("举报理由"), max_length=500)
    if comment.status == CommentStatus.HIDDEN:
        raise Conflict(_("这条意见已被隐藏"))
    if session.execute(
        select(CommentReport.id).where(
            CommentReport.comment_id == comment.id, CommentReport.reporter_id == actor.id
        )
    ).first():
        raise Conflict(_("您已经举报过这条意见，主持人会尽快处理"))
    report = CommentReport(comment_id=comment.id, reporter_id=actor.id, reason=reason)
    session.add(report)
    session.flush()
    audit.record(
        session, actor, "comment.report", comment, community_id=consultation.community_id, reason=reason
    )
    return report


def _resolve_reports(session: Session, comment: Comment) -> None:
    session.execute(
        update(CommentReport)
        .where(CommentReport.comment_id == comment.id, CommentReport.resolved_at.is_(None))
        .values(resolved_at=utcnow())
    )


def hide_comment(session: Session, actor: User, comment: Comment, reason: str) -> Comment:
    """Hide a comment with a reason; the text stays for moderators and the audit log; the author is told."""
    consultation = comment.consultation
    _require_moderator(consultation.community, actor)
    reason = _text(reason, "reason", _("隐藏理由"), max_length=500)
    if comment.status == CommentStatus.HIDDEN:
        raise Conflict(_("这条意见已经隐藏"))
    before = comment.status
    comment.status = CommentStatus.HIDDEN
    comment.hidden_reason = reason
    comment.hidden_by_id = actor.id
    comment.hidden_at = utcnow()
    _resolve_reports(session, comment)
    session.flush()
    audit.record(
        session,
        actor,
        "comment.hide",
        comment,
        community_id=consultation.community_id,
        reason=reason,
        before=before.value,
        body=comment.body,
    )
    notify(
        session,
        [comment.author_id],
        "hidden",
        _("您在“%(title)s”中的意见已被隐藏，理由：%(reason)s", title=consultation.title, reason=reason),
        _consultation_link(consultation.id, f"comment-{comment.id}"),
    )
    return comment


def restore_comment(session: Session, actor: User, comment: Comment) -> Comment:
    """Publish a hidden or pending comment (approving it from the queue)."""
    consultation = comment.consultation
    _require_moderator(consultation.community, actor)
    if comment.status == CommentStatus.PUBLISHED:
        raise Conflict(_("这条意见已经公开"))
    before = comment.status
    comment.status = CommentStatus.PUBLISHED
    comment.hidden_reason = ""
    comment.hidden_by_id = None
    comment.hidden_at = None
    _resolve_reports(session, comment)
    session.flush()
    audit.record(
        session,
        actor,
        "comment.restore",
        comment,
        community_id=consultation.community_id,
        before=before.value,
    )
    if before == CommentStatus.PENDING:
        _announce(session, comment)
    return comment


def dismiss_reports(session: Session, actor: User, comment: Comment) -> Comment:
    """Keep a reported comment public and close its reports."""
    _require_moderator(comment.consultation.community, actor)
    _resolve_reports(session, comment)
    session.flush()
    audit.record(
        session, actor, "comment.reports_dismissed", comment, community_id=comment.consultation.community_id
    )
    return comment


def _visible_comments(stmt: Select, consultation: Consultation, viewer: User) -> Select:
    """Residents see published comments, hidden ones as a placeholder, and their own pending ones."""
    if consultation.can_moderate(viewer):
        return stmt
    return stmt.where(
        or_(
            Comment.status.in_([CommentStatus.PUBLISHED, CommentStatus.HIDDEN]),
            and_(Comment.status == CommentStatus.PENDING, Comment.author_id == viewer.id),
        )
    )


@dataclass
class CommentListing:
    page: Page
    replies: dict[int, list[Comment]]
    supported: set[int]
    round: CommentRound | None
    sort: str


def list_comments(
    session: Session,
    viewer: User,
    consultation: Consultation,
    *,
    round_: CommentRound | None = None,
    sort: str = "supported",
    page: int | None = None,
    per_page: int = 20,
    proposal_id: int | None = None,
) -> CommentListing:
    """Top-level comments of a round, most supported or newest first, with their replies (answers first)."""
    sort = sort if sort in SORTS else "supported"
    if round_ is None:
        round_ = consultation.open_round or (consultation.rounds[-1] if consultation.rounds else None)
    if round_ is None:
        return CommentListing(Page([], 1, per_page, 0), {}, set(), None, sort)
    stmt = select(Comment).where(Comment.round_id == round_.id, Comment.parent_id.is_(None))
    if proposal_id is not None:
        stmt = stmt.where(Comment.proposal_id == proposal_id)
    # Authors and versions joined into the same statement (one for the page, one for the replies,
    # one for the viewer's supports); the authors' roles are not needed here.
    shown_with = (
        joinedload(Comment.author).options(lazyload(User.memberships)),
        joinedload(Comment.proposal_version),
    )
    stmt = _visible_comments(stmt, consultation, viewer).options(*shown_with)
    order = (
        (Comment.support_count.desc(), Comment.created_at.desc(), Comment.id.desc())
        if sort == "supported"
        else (Comment.created_at.desc(), Comment.id.desc())
    )
    found = paginate(session, stmt.order_by(*order), per_page=per_page, number=page or 1)
    top_ids = [c.id for c in found.items]
    replies: dict[int, list[Comment]] = {i: [] for i in top_ids}
    if top_ids:
        reply_stmt = _visible_comments(
            select(Comment).where(Comment.thread_id.in_(top_ids)), consultation, viewer
        )
        for reply in session.execute(
            reply_stmt.options(*shown_with).order_by(
                Comment.is_official_answer.desc(), Comment.created_at, Comment.id
            )
        ).scalars():
            replies[reply.thread_id].append(reply)
    shown = top_ids + [r.id for rs in replies.values() for r in rs]
    supported = (
        set(
            session.execute(
                select(CommentSupport.comment_id).where(
                    CommentSupport.user_id == viewer.id, CommentSupport.comment_id.in_(shown)
                )
            ).scalars()
        )
        if shown
        else set()
    )
    return CommentListing(found, replies, supported, round_, sort)


def moderation_queue(session: Session, actor: User, community: Community, page: int | None = None) -> Page:
    """Pending comments and comments with open reports, oldest first, with the reports' count."""
    _require_moderator(community, actor)
    open_reports = (
        select(CommentReport.comment_id, func.count(CommentReport.id).label("reports"))
        .where(CommentReport.resolved_at.is_(None))
        .group_by(CommentReport.comment_id)
        .subquery()
    )
    stmt = (
        select(Comment, func.coalesce(open_reports.c.reports, 0))
        .join(Consultation, Consultation.id == Comment.consultation_id)
        .outerjoin(open_reports, open_reports.c.comment_id == Comment.id)
        .where(
            Consultation.community_id == community.id,
            or_(
                Comment.status == CommentStatus.PENDING,
                and_(open_reports.c.reports > 0, Comment.status == CommentStatus.PUBLISHED),
            ),
        )
        .options(selectinload(Comment.author), selectinload(Comment.consultation))
        .order_by(Comment.created_at, Comment.id)
    )
    return paginate(session, stmt, per_page=30, number=page or 1)


def reports_of(session: Session, comment_ids: Sequence[int]) -> dict[int, list[CommentReport]]:
    """Open reports of these comments, one query."""
    found: dict[int, list[CommentReport]] = {i: [] for i in comment_ids}
    if comment_ids:
        for report in session.execute(
            select(CommentReport)
            .where(CommentReport.comment_id.in_(comment_ids), CommentReport.resolved_at.is_(None))
            .options(selectinload(CommentReport.reporter))
            .order_by(CommentReport.id)
        ).scalars():
            found[report.comment_id].append(report)
    return found


def add_blocked_word(session: Session, actor: User, community: Community, word: str) -> BlockedWord:
    """A word that sends comments containing it to the moderation queue."""
    _require_moderator(community, actor)
    word = _text(word, "word", _("屏蔽词"), max_length=50)
    if session.execute(
        select(BlockedWord.id).where(BlockedWord.community_id == community.id, BlockedWord.word == word)
    ).first():
        raise Conflict(_("“%(word)s”已在屏蔽词列表中", word=word), fields={"word": _("已存在")})
    blocked = BlockedWord(community_id=community.id, word=word)
    session.add(blocked)
    session.flush()
    audit.record(session, actor, "blocked_word.add", blocked, community_id=community.id, word=word)
    return blocked


def remove_blocked_word(session: Session, actor: User, community: Community, word_id: int) -> None:
    """Take a word off the list."""
    _require_moderator(community, actor)
    blocked = session.get(BlockedWord, word_id)
    if blocked is None or blocked.community_id != community.id:
        raise NotFound(_("找不到该屏蔽词"))
    audit.record(session, actor, "blocked_word.remove", blocked, community_id=community.id, word=blocked.word)
    session.delete(blocked)
    session.flush()


# -- wish wall ---------------------------------------------------------------------------------


def post_idea(session: Session, actor: User, community: Community, title: str, body: str) -> Idea:
    """A resident's need or idea for the community, at any time."""
    if not community.can_view(actor):
        raise NotFound(_("找不到该居民区"))
    idea = Idea(
        community_id=community.id,
        author_id=actor.id,
        title=_text(title, "title", _("标题"), max_length=100),
        body=_text(body, "body", _("内容")),
    )
    session.add(idea)
    session.flush()
    audit.record(session, actor, "idea.create", idea, community_id=community.id, title=idea.title)
    return idea


def _recount_idea(session: Session, idea: Idea) -> None:
    session.execute(
        update(Idea)
        .where(Idea.id == idea.id)
        .values(
            support_count=select(func.count(IdeaSupport.id))
            .where(IdeaSupport.idea_id == idea.id)
            .scalar_subquery()
        )
        .execution_options(synchronize_session=False)
    )
    session.expire(idea, ["support_count"])


def support_idea(session: Session, actor: User, idea: Idea) -> Idea:
    """One support per person for an idea that is still on the wall."""
    if idea.status == IdeaStatus.MERGED:
        raise Conflict(_("这条心愿已合并到另一条，请支持那一条"))
    if idea.author_id == actor.id:
        raise Conflict(_("不能支持自己的心愿"))
    if session.execute(
        select(IdeaSupport.id).where(IdeaSupport.idea_id == idea.id, IdeaSupport.user_id == actor.id)
    ).first():
        raise Conflict(_("您已经支持过这条心愿"))
    session.add(IdeaSupport(idea_id=idea.id, user_id=actor.id))
    session.flush()
    _recount_idea(session, idea)
    audit.record(session, actor, "idea.support", idea, community_id=idea.community_id)
    return idea


def withdraw_idea_support(session: Session, actor: User, idea: Idea) -> Idea:
    """Take one's support of an idea back."""
    deleted = session.execute(
        delete(IdeaSupport).where(IdeaSupport.idea_id == idea.id, IdeaSupport.user_id == actor.id)
    ).rowcount
    if not deleted:
        raise Conflict(_("您还没有支持这条心愿"))
    _recount_idea(session, idea)
    audit.record(session, actor, "idea.unsupport", idea, community_id=idea.community_id)
    return idea


def answer_idea(session: Session, actor: User, idea: Idea, answer: str) -> Idea:
    """The moderator's answer on the wall; the author is told."""
    _require_moderator(idea.community, actor)
    idea.answer = _text(answer, "answer", _("答复"))
    idea.answered_by_id = actor.id
    idea.answered_at = utcnow()
    if idea.status == IdeaStatus.OPEN:
        idea.status = IdeaStatus.ANSWERED
    session.flush()
    audit.record(session, actor, "idea.answer", idea, community_id=idea.community_id, answer=idea.answer)
    notify(
        session,
        [idea.author_id] if idea.author_id != actor.id else [],
        "idea",
        _("您的心愿“%(title)s”收到了答复", title=idea.title),
        f"/ideas/{idea.id}",
    )
    return idea


def merge_idea(session: Session, actor: User, idea: Idea, target_id: int) -> Idea:
    """Merge a duplicate into another idea; its supporters' support moves along."""
    _require_moderator(idea.community, actor)
    target = session.get(Idea, target_id)
    if target is None or target.community_id != idea.community_id:
        raise Invalid(_("请选择本居民区的另一条心愿"), fields={"target_id": _("找不到该心愿")})
    if target.id == idea.id or target.status == IdeaStatus.MERGED or idea.status == IdeaStatus.MERGED:
        raise Conflict(_("不能合并到自己或已合并的心愿"), fields={"target_id": _("不能合并到这一条")})
    already = select(IdeaSupport.user_id).where(IdeaSupport.idea_id == target.id)
    movers = (
        session.execute(
            select(IdeaSupport.user_id).where(
                IdeaSupport.idea_id == idea.id,
                IdeaSupport.user_id.not_in(already),
                IdeaSupport.user_id != target.author_id,
            )
        )
        .scalars()
        .all()
    )
    if movers:
        session.execute(
            insert(IdeaSupport),
            [{"idea_id": target.id, "user_id": uid, "created_at": utcnow()} for uid in movers],
        )
    idea.status = IdeaStatus.MERGED
    idea.merged_into_id = target.id
    session.flush()
    _recount_idea(session, target)
    audit.record(
        session,
        actor,
        "idea.merge",
        idea,
        community_id=idea.community_id,
        into=target.id,
        moved_supports=len(movers),
    )
    notify(
        session,
        [idea.author_id] if idea.author_id != actor.id else [],
        "idea",
        _("您的心愿“%(title)s”与另一条相同，已合并到“%(target)s”", title=idea.title, target=target.title),
        f"/ideas/{target.id}",
    )
    return idea


def promote_idea(
    session: Session, actor: User, idea: Idea, consultation: Consultation, is_variant: bool = False
) -> Proposal:
    """Turn an idea into a proposal of a session of the same community; each links to the other."""
    _require_moderator(idea.community, actor)
    if consultation.community_id != idea.community_id:
        raise Invalid(_("请选择本居民区的议事"), fields={"consultation_id": _("找不到该议事")})
    if idea.status in (IdeaStatus.MERGED, IdeaStatus.PROMOTED):
        raise Conflict(_("这条心愿已合并或已转为方案"))
    body = idea.body + "\n\n" + _("（来自居民心愿墙：%(title)s）", title=idea.title)
    proposal = create_proposal(
        session,
        actor,
        consultation,
        idea.title,
        body,
        is_variant=is_variant,
        change_note=_("由居民心愿转为方案"),
    )
    idea.proposal_id = proposal.id
    idea.status = IdeaStatus.PROMOTED
    session.flush()
    audit.record(
        session,
        actor,
        "idea.promote",
        idea,
        community_id=idea.community_id,
        proposal_id=proposal.id,
        consultation_id=consultation.id,
    )
    notify(
        session,
        [idea.author_id] if idea.author_id != actor.id else [],
        "idea",
        _(
            "您的心愿“%(title)s”已转为议事“%(consultation)s”中的方案",
            title=idea.title,
            consultation=consultation.title,
        ),
        f"/proposals/{proposal.id}",
    )
    return proposal


def list_ideas(
    session: Session,
    community: Community,
    *,
    sort: str = "supported",
    page: int | None = None,
    per_page: int = 20,
) -> Page:
    """Ideas of the wall that are not merged away, most supported or newest first."""
    stmt = (
        select(Idea)
        .where(Idea.community_id == community.id, Idea.status != IdeaStatus.MERGED)
        .options(selectinload(Idea.author), selectinload(Idea.proposal))
    )
    order = (Idea.support_count.desc(), Idea.id.desc()) if sort == "supported" else (Idea.id.desc(),)
    return paginate(session, stmt.order_by(*order), per_page=per_page, number=page or 1)


# -- notifications -----------------------------------------------------------------------------


def unread_count(session: Session, user: User) -> int:
    return (
        session.execute(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        ).scalar()
        or 0
    )


def mark_notifications_read(session: Session, actor: User) -> int:
    """Mark all of the user's notifications read."""
    count = session.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount
    audit.record(session, actor, "notification.read", None, count=count)
    return count
