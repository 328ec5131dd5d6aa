"""Who was at a joint meeting (联席会议): the meeting's signed sign-in link (its QR code), a resident's "我已到场",
the printed sign-in sheet's names, staff ticking names and recording departments, attendance by role.

A person of the roster is present once per meeting (a unique constraint), whether they scanned the code,
were ticked on the sheet, or both; departments (街道, 物业, 业委会…) are free text. Every change is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Building, Household, Ownership, Person, Unit, User
from deliberation.consultations.models import AttendanceSource, JointMeeting, MeetingAttendance
from deliberation.db import utcnow
from deliberation.errors import Conflict, Invalid, NotFound, require
from deliberation.rules import natural_key
from deliberation.validation import clean_text

logger = logging.getLogger(__name__)

# The code is read at the door: from a while before the meeting until well after its start (or its
# booked end). Staff tick latecomers on the sheet page at any time.
OPENS_BEFORE = timedelta(hours=2)
CLOSES_AFTER = timedelta(hours=4)
MAX_DEPARTMENT = 100


# -- the signed link ---------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="meeting-sign-in")


def sign_in_window(meeting: JointMeeting) -> tuple[datetime, datetime]:
    """When the meeting's code signs people in: OPENS_BEFORE its start until CLOSES_AFTER its start or end."""
    ends = meeting.booking.ends_at if meeting.booking is not None else meeting.held_at
    return meeting.held_at - OPENS_BEFORE, max(meeting.held_at, ends) + CLOSES_AFTER


def sign_in_token(meeting: JointMeeting) -> str:
    """The signed token of the meeting's sign-in link: its id and the end of its window."""
    _opens, closes = sign_in_window(meeting)
    return _serializer().dumps([meeting.id, int(closes.timestamp())])


class TokenRefused(Exception):
    """A sign-in link that does not sign anyone in: forged, or outside the meeting's time."""

    def __init__(self, reason: str, message: str, meeting: JointMeeting | None = None) -> None:
        super().__init__(message)
        self.reason = reason  # "forged" | "early" | "expired"
        self.message = message
        self.meeting = meeting


def meeting_for_token(session: Session, token: str, now: datetime | None = None) -> JointMeeting:
    """The meeting a sign-in link names, if the link is ours and its time has come and not passed.

    Raises NotFound for a meeting that no longer exists, TokenRefused for a forged or untimely link."""
    forged = TokenRefused("forged", _("这个签到二维码无效，请扫描会场张贴的二维码，或请工作人员在签到表上登记。"))
    try:
        meeting_id, closes = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise forged from None
    if not isinstance(meeting_id, int) or not isinstance(closes, int) or isinstance(meeting_id, bool):
        raise forged
    meeting = session.get(JointMeeting, meeting_id)
    if meeting is None:
        raise NotFound(_("找不到该会议"))
    now = now or utcnow()
    opens, _closes = sign_in_window(meeting)
    if now < opens:
        raise TokenRefused("early", _("签到尚未开始：会议开始前两小时起可以扫码签到。"), meeting)
    if now.timestamp() > closes:
        raise TokenRefused("expired", _("这次会议的扫码签到已经结束。如您到场未签到，请联系工作人员补登。"), meeting)
    return meeting


# -- signing in ----------------------------------------------------------------------------------


def attendance_of(session: Session, meeting: JointMeeting, user: User) -> MeetingAttendance | None:
    """This user's row of the meeting (by their person of the roster, else by the user)."""
    clause = (MeetingAttendance.person_id == user.person_id) if user.person_id is not None \
        else (MeetingAttendance.user_id == user.id)
    return session.execute(
        select(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting.id, clause)
    ).scalar()


def sign_in(session: Session, actor: User, meeting: JointMeeting) -> tuple[MeetingAttendance, bool]:
    """The signed-in resident confirms they are present (我已到场): (their row, whether it is new).

    Twice is once: an existing row (scanned before, or ticked by staff) is returned as it is."""
    require(meeting.can_sign_in(actor), _("找不到该会议"), hidden=True)
    found = attendance_of(session, meeting, actor)
    if found is not None:
        return found, False
    row = MeetingAttendance(meeting_id=meeting.id, person_id=actor.person_id,
                            user_id=actor.id, source=AttendanceSource.QR, recorded_by_id=actor.id)
    try:
        with session.begin_nested():  # a second phone of the same person in the same instant
            session.add(row)
            session.flush()
    except IntegrityError:
        found = attendance_of(session, meeting, actor)
        if found is None:
            raise
        return found, False
    audit.record(session, actor, "meeting.sign_in", meeting, community_id=meeting.consultation.community_id,
                 person_id=actor.person_id, source=AttendanceSource.QR.value)
    logger.info("meeting %s: user %s signed in by code", meeting.id, actor.id)
    return row, True


# -- the sheet -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    """A person of the roster as the sign-in sheet lists them: by building, staircase and room."""

    person_id: int
    name: str
    building: str
    staircase: str
    room: str
    owner: bool

    @property
    def place(self) -> str:
        return f"{self.building}{(' ' + self.staircase) if self.staircase else ''} {self.room}".strip()


def sheet_rows(session: Session, meeting: JointMeeting, building_id: int | None = None) -> list[SheetRow]:
    """The community's persons of the roster (of one building if asked), in reading order of building,
    staircase, room, name (one query).

    A person is listed at the flat they live in, else at the first flat they own."""
    owned_unit = (select(func.min(Ownership.unit_id)).where(Ownership.person_id == Person.id)
                  .correlate(Person).scalar_subquery())
    unit_id = func.coalesce(Household.unit_id, owned_unit)
    is_owner = exists().where(Ownership.person_id == Person.id)
    rows = session.execute(
        select(Person.id, Person.name, Building.name, Building.sort_key, Unit.staircase, Unit.room, is_owner)
        .outerjoin(Household, Household.id == Person.household_id)
        .outerjoin(Unit, Unit.id == unit_id)
        .outerjoin(Building, Building.id == Unit.building_id)
        .where(Person.community_id == meeting.consultation.community_id, Person.is_developer.is_(False),
               *([Building.id == building_id] if building_id is not None else []))
    ).all()
    listed = [(SheetRow(pid, name, building or "", staircase or "", room or "", bool(owner)), sort_key or "")
              for pid, name, building, sort_key, staircase, room, owner in rows]
    listed.sort(key=lambda pair: (pair[0].building == "", natural_key(pair[1] or pair[0].building),
                                  natural_key(pair[0].staircase), natural_key(pair[0].room), pair[0].name,
                                  pair[0].person_id))
    return [row for row, _key in listed]


def grouped_by_building(rows: Iterable[SheetRow]) -> list[tuple[str, list[SheetRow]]]:
    """The sheet's rows under their building's name, in the order given."""
    groups: list[tuple[str, list[SheetRow]]] = []
    for row in rows:
        name = row.building or _("未登记楼栋")
        if not groups or groups[-1][0] != name:
            groups.append((name, []))
        groups[-1][1].append(row)
    return groups


def present_person_ids(session: Session, meeting: JointMeeting) -> set[int]:
    """The persons of the roster present at the meeting (one query)."""
    return set(session.execute(
        select(MeetingAttendance.person_id)
        .where(MeetingAttendance.meeting_id == meeting.id, MeetingAttendance.person_id.is_not(None))
    ).scalars())


def buildings_of(session: Session, meeting: JointMeeting) -> list[tuple[int, str]]:
    """The community's buildings (id, name) in reading order: the sheet is ticked one building at a time."""
    rows = session.execute(
        select(Building.id, Building.name, Building.sort_key)
        .where(Building.community_id == meeting.consultation.community_id)
    ).all()
    return [(bid, name) for bid, name, key in sorted(rows, key=lambda r: (natural_key(r[2] or r[1]), r[0]))]


def tick(session: Session, actor: User, meeting: JointMeeting, person_ids: Iterable[int],
         shown: Iterable[int] | None = None) -> tuple[int, int]:
    """Staff mark who is present from the sheet: the ticked persons present, the others shown on the page not
    (un-ticking removes a person, whoever recorded them); persons not shown (another building's) stay as they
    are. Returns (added, removed); audited as one event."""
    require(meeting.can_take_attendance(actor), _("只有本居民区的主持人可以进行此操作"))
    wanted = set(person_ids)
    scope = set(shown) if shown is not None else None
    if scope is not None and not wanted <= scope:
        raise Invalid(_("只能登记本页名单中的人员"), fields={"person_ids": _("名单中有本页以外的人员")})
    if wanted:
        known = set(session.execute(
            select(Person.id).where(Person.id.in_(wanted),
                                    Person.community_id == meeting.consultation.community_id)
        ).scalars())
        if known != wanted:
            raise Invalid(_("只能登记本居民区名册中的人员"), fields={"person_ids": _("名单中有不属于本居民区的人员")})
    present = present_person_ids(session, meeting)
    added = sorted(wanted - present)
    removed = sorted((present if scope is None else present & scope) - wanted)
    if removed:
        session.execute(delete(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting.id,
                                                        MeetingAttendance.person_id.in_(removed)))
    if added:
        now = utcnow()
        session.add_all([MeetingAttendance(meeting_id=meeting.id, person_id=pid, source=AttendanceSource.SHEET,
                                           recorded_by_id=actor.id, created_at=now) for pid in added])
    session.flush()
    if added or removed:
        audit.record(session, actor, "meeting.attendance", meeting, community_id=meeting.consultation.community_id,
                     added=added, removed=removed)
        logger.info("meeting %s: %s ticked %d, un-ticked %d", meeting.id, actor.id, len(added), len(removed))
    return len(added), len(removed)


def add_department(session: Session, actor: User, meeting: JointMeeting, department: str,
                   name: str = "") -> MeetingAttendance:
    """A department's representative present (街道办事处, 物业, 业委会…), their name optional."""
    require(meeting.can_take_attendance(actor), _("只有本居民区的主持人可以进行此操作"))
    department = clean_text(department, "department", _("单位"), max_length=MAX_DEPARTMENT)
    name = clean_text(name, "name", _("姓名或职务"), max_length=MAX_DEPARTMENT, required=False)
    row = MeetingAttendance(meeting_id=meeting.id, department=department, name=name,
                            source=AttendanceSource.SHEET, recorded_by_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "meeting.department", meeting, community_id=meeting.consultation.community_id,
                 department=department, name=name)
    return row


def remove_department(session: Session, actor: User, meeting: JointMeeting, attendance_id: int) -> None:
    """Take a department's line off the meeting's attendance."""
    require(meeting.can_take_attendance(actor), _("只有本居民区的主持人可以进行此操作"))
    row = session.get(MeetingAttendance, attendance_id)
    if row is None or row.meeting_id != meeting.id or row.department == "":
        raise Conflict(_("找不到这条单位出席记录"))
    audit.record(session, actor, "meeting.department_removed", meeting,
                 community_id=meeting.consultation.community_id, department=row.department, name=row.name)
    session.delete(row)
    session.flush()


# -- attendance by role ------------------------------------------------------------------------------


@dataclass
class Attendance:
    """Who was present, by role: owners (persons who own a unit of the roster), other residents, departments."""

    owners: int = 0
    residents: int = 0  # present persons who own no unit, and signed-in users without a person
    departments: list[str] = field(default_factory=list)  # "街道办事处（王科长）"

    @property
    def total(self) -> int:
        return self.owners + self.residents + len(self.departments)


def attendance_by_meeting(session: Session, meeting_ids: Sequence[int]) -> dict[int, Attendance]:
    """Attendance by role for each of these meetings, in one query (meetings nobody attended: empty)."""
    found: dict[int, Attendance] = {mid: Attendance() for mid in meeting_ids}
    if not meeting_ids:
        return found
    is_owner = exists().where(Ownership.person_id == MeetingAttendance.person_id)
    rows = session.execute(
        select(MeetingAttendance.meeting_id, MeetingAttendance.department, MeetingAttendance.name, is_owner)
        .where(MeetingAttendance.meeting_id.in_(meeting_ids))
        .order_by(MeetingAttendance.meeting_id, MeetingAttendance.id)
    ).all()
    for meeting_id, department, name, owner in rows:
        counted = found[meeting_id]
        if department:
            counted.departments.append(f"{department}（{name}）" if name else department)
        elif owner:
            counted.owners += 1
        else:
            counted.residents += 1
    return found


@dataclass(frozen=True)
class Present:
    """One line of the moderators' list of who is present."""

    id: int
    name: str
    source: AttendanceSource
    department: str
    owner: bool
    created_at: datetime


def present_list(session: Session, meeting: JointMeeting) -> list[Present]:
    """Everyone present, for the moderators' page: names of persons (else the user's), departments (one query)."""
    is_owner = exists().where(Ownership.person_id == MeetingAttendance.person_id)
    rows = session.execute(
        select(MeetingAttendance.id, Person.name, User.display_name, MeetingAttendance.name,
               MeetingAttendance.source, MeetingAttendance.department, is_owner, MeetingAttendance.created_at)
        .outerjoin(Person, Person.id == MeetingAttendance.person_id)
        .outerjoin(User, User.id == MeetingAttendance.user_id)
        .where(MeetingAttendance.meeting_id == meeting.id)
        .order_by(MeetingAttendance.department != "", MeetingAttendance.created_at, MeetingAttendance.id)
    ).all()
    return [Present(aid, person_name or user_name or name or "", source, department, bool(owner), created_at)
            for aid, person_name, user_name, name, source, department, owner, created_at in rows]


def attendance_words(attendance: Attendance) -> str:
    """Attendance by role in one sentence, for the meeting page and the minutes alike."""
    if not attendance.total:
        return _("暂无签到记录")
    return _("共 %(t)d 人出席：业主 %(o)d 人，其他居民 %(r)d 人，单位代表 %(d)d 人", t=attendance.total,
             o=attendance.owners, r=attendance.residents, d=len(attendance.departments))
