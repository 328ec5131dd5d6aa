"""The roll posted before an owners' vote opens (表决权人名册公示): posting it, reading it, objections answered
with the roster corrected, and the opening held until the roll may be frozen.

Which votes: an owners' vote (basis owner) decided under a Civil Code rule (lifecycle.CIVIL_CODE_RULES: Civil Code
Art. 278's double thresholds, by area and by headcount) needs its roll posted before it opens:
《上海市住宅物业管理规定》 Art. 16 has the owners' identities, headcount and areas posted before the decision,
objections recorded and answered. Any other owners' vote may post one too, and is then held by it the same way;
votes of persons or households have no roll to post (their electorate is the residents, not the owners).

- post_roll: the moderator posts the roll of a draft for 1–60 days (the form proposes 7). Posting again while the
  period runs may only lengthen it; after it has run, a new period starts (after corrections, say). Audited.
- read_roll: the electorate as it would be frozen now (electorate.compute_electorate, the very computation the
  opening writes), or after the opening the frozen rows: units, owners' names masked (张*伟), area, in natural
  order (building, staircase, room), paginated; with the totals and how they were counted (labels.electorate_text,
  the scope's words: "3号楼业主 12 户…"). Everyone of the community reads it once posted.
- answer_objection: accepting an objection to the roll corrects the roster through accounts.corrections (kind
  "area": the unit's area; "owner" / "missing": its owners) and records old → new with the totals before and
  after in VoteObjection.correction; the roll is computed live, so it is re-counted. A rejection says why.
- refuse_opening (registered in lifecycle.opening_checks): a vote that needs its roll, or has one posted, opens only
  once the roll was posted, its period has run and every objection to it is answered — the moderator's "open now"
  is refused with the reason, and a scheduled opening is held (lifecycle: the vote stays a draft). The roll at the
  opening is the one frozen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts import corrections
from deliberation.accounts.models import Building, Person, Unit, User
from deliberation.db import utcnow
from deliberation.errors import Conflict, Invalid, NotFound, require
from deliberation.formatting import format_datetime
from deliberation.pagination import Page
from deliberation.voting import labels, lifecycle, objections
from deliberation.voting.electorate import compute_electorate
from deliberation.voting.models import (
    ObjectionStage,
    Vote,
    VoteBasis,
    VoteObjection,
    VoteVoter,
    VoteVoterUnit,
)

ROLL = ObjectionStage.ROLL
DEFAULT_DAYS = 7
MIN_DAYS, MAX_DAYS = 1, 60
PER_PAGE = 50
# What accepting an objection of the kind corrects on the roster.
CORRECTS = {"area": "area", "owner": "owners", "missing": "owners"}


def needs_roll(vote: Vote) -> bool:
    """Whether the vote opens only after its roll was posted: owners deciding under a Civil Code rule."""
    return vote.basis == VoteBasis.OWNER and vote.rule_name in lifecycle.CIVIL_CODE_RULES


def may_post_roll(vote: Vote) -> bool:
    """Whether the vote has a roll to post: an owners' vote."""
    return vote.basis == VoteBasis.OWNER


def mask_name(name: str | None) -> str:
    """A name as the posted roll shows it: the first and last characters (张*伟, 欧**月); two characters keep the
    first (张*); one is hidden (*). Names are personal data: the roll identifies a unit's owner, not publishes them."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# -- posting -----------------------------------------------------------------------------------


def parse_days(value) -> int:
    """The posting period in whole days, 1–60; Invalid naming the field otherwise."""
    text = str(value if value is not None else "").strip()
    if not re.fullmatch(r"\d{1,3}", text) or not MIN_DAYS <= int(text) <= MAX_DAYS:
        raise Invalid(_("公示天数须为 %(a)d 到 %(b)d 之间的整数", a=MIN_DAYS, b=MAX_DAYS),
                      fields={"days": _("请填写 %(a)d 到 %(b)d 之间的整数", a=MIN_DAYS, b=MAX_DAYS)})
    return int(text)


def post_roll(session: Session, actor: User, vote: Vote, days) -> Vote:
    """Post the roll of a draft owners' vote for ``days`` days (objections are taken until then); audited.

    While the period runs, posting again may only lengthen it; once it has run, a new period starts now.
    """
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if not may_post_roll(vote):
        raise Conflict(_("只有业主表决需要公示表决权人名册"))
    if vote.opened_at is not None or vote.opens_at is not None and vote.opens_at <= utcnow() or vote.closed_at:
        raise Conflict(_("表决已经开启，表决权人名册已固定，不能再公示"))
    days = parse_days(days)
    now = utcnow()
    until = now + timedelta(days=days)
    running = vote.roll_until is not None and vote.roll_until > now
    if running and until < vote.roll_until:
        raise Invalid(_("公示期只能延长，不能缩短：现在公示至 %(when)s", when=format_datetime(vote.roll_until)),
                      fields={"days": _("公示期只能延长")})
    if vote.opens_at is not None and vote.opens_at < until:
        raise Invalid(_("公示期须在计划开始时间（%(when)s）之前结束：请缩短公示期或推迟表决开始时间",
                        when=format_datetime(vote.opens_at)), fields={"days": _("公示期超过了计划开始时间")})
    previous = vote.roll_until
    if not running:
        vote.roll_posted_at = now
    vote.roll_until = until
    audit.record(session, actor, "vote.roll.post", vote, community_id=vote.community_id, days=days,
                 posted_at=vote.roll_posted_at, until=until, previous_until=previous, extended=running)
    return vote


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollUnit:
    unit_id: int
    building_id: int
    room: str
    label: str  # 3号楼2单元302室
    area_cents: int


@dataclass(frozen=True)
class RollEntry:
    """One voter of the roll: the units they answer for, their owners' names masked, their area."""

    units: tuple[RollUnit, ...]
    owners: tuple[str, ...]
    area_cents: int
    developer: bool

    @property
    def area(self) -> str:
        return f"{Decimal(self.area_cents) / 100:,.2f}"


@dataclass(frozen=True)
class Roll:
    vote: Vote
    frozen: bool  # the rows written at the opening, not the live computation
    entries: Page  # of RollEntry
    voters: int
    area_cents: int
    counted_text: str  # how it was counted, with the scope's words

    @property
    def area(self) -> str:
        return f"{Decimal(self.area_cents) / 100:,.2f}"


def _unit_facts(session: Session, vote: Vote) -> dict[int, tuple[tuple, RollUnit]]:
    """Every unit of the community with its natural order key (building, staircase, room) and label: one query."""
    rows = session.execute(
        select(Unit.id, Unit.building_id, Building.sort_key, Building.name, Unit.staircase, Unit.room, Unit.area)
        .join(Building, Building.id == Unit.building_id).where(Building.community_id == vote.community_id)
    ).all()
    return {unit_id: ((sort_key or "", len(staircase or ""), staircase or "", len(room), room, unit_id),
                      RollUnit(unit_id, building_id, room, f"{name}{staircase or ''}{room}室",
                               int(round((area or 0) * 100))))
            for unit_id, building_id, sort_key, name, staircase, room, area in rows}


def _groups(session: Session, vote: Vote) -> tuple[list[tuple[list[int], list[int], int]], dict, bool]:
    """The binding voters as (person ids, unit ids, area in cents), how they were counted, and whether frozen."""
    if vote.opened_at is not None:
        voters = session.execute(
            select(VoteVoter.voter_key, VoteVoter.person_ids, VoteVoter.area_cents)
            .where(VoteVoter.vote_id == vote.id, VoteVoter.advisory.is_(False))
        ).all()
        units: dict[str, list[int]] = {}
        for key, unit_id in session.execute(
                select(VoteVoterUnit.voter_key, VoteVoterUnit.unit_id).where(VoteVoterUnit.vote_id == vote.id)):
            units.setdefault(key, []).append(unit_id)
        return ([(list(p or []), units.get(k, []), int(a or 0)) for k, p, a in voters],
                vote.electorate_counted or {}, True)
    voters, unit_rows, counted = compute_electorate(session, vote)
    units = {}
    for row in unit_rows:
        units.setdefault(row["voter_key"], []).append(row["unit_id"])
    return ([(v["person_ids"], units.get(v["voter_key"], []), v["area_cents"]) for v in voters if not v["advisory"]],
            counted, False)


def read_roll(session: Session, actor: User, vote: Vote, *, page: int = 1, per_page: int = PER_PAGE) -> Roll:
    """The roll as the actor may read it (everyone of the community once posted; its moderators always): the
    electorate as it would be frozen now, or the frozen one once opened; natural order, one page of it."""
    require(vote.can_see_roll(actor), _("找不到该表决"), hidden=True)
    if not may_post_roll(vote):
        raise NotFound(_("本表决没有需要公示的业主名册"))
    groups, counted, frozen = _groups(session, vote)
    facts = _unit_facts(session, vote)
    far = (("\uffff",), None)
    ordered = []
    for person_ids, unit_ids, area in groups:
        units = sorted(unit_ids, key=lambda u: facts.get(u, far)[0])
        ordered.append((facts.get(units[0], far)[0] if units else far[0], person_ids, units, area))
    ordered.sort(key=lambda row: row[0])
    total = len(ordered)
    pages = max(1, -(-total // per_page))
    number = min(max(1, page), pages)
    chosen = ordered[(number - 1) * per_page:number * per_page]
    wanted = {p for _key, person_ids, _u, _a in chosen for p in person_ids}
    people = {pid: (name, developer) for pid, name, developer in session.execute(
        select(Person.id, Person.name, Person.is_developer).where(Person.id.in_(wanted)))} if wanted else {}
    entries = []
    for _key, person_ids, units, area in chosen:
        developer = any(people.get(p, ("", False))[1] for p in person_ids)
        names = [people[p][0] if people[p][1] else mask_name(people[p][0]) for p in person_ids if p in people]
        entries.append(RollEntry(tuple(facts[u][1] for u in units if u in facts), tuple(names), area, developer))
    voters = int(counted.get("voters", total))
    area_cents = int(counted.get("area_cents", sum(row[3] for row in ordered)))
    return Roll(vote, frozen, Page(entries, number, per_page, total), voters, area_cents,
                labels.electorate_text(vote, counted))


def totals(session: Session, vote: Vote) -> dict:
    """The roll's totals counted now: {"voters", "area_cents"} (before and after a correction)."""
    _voters, _units, counted = compute_electorate(session, vote)
    return {"voters": counted["voters"], "area_cents": counted["area_cents"]}


# -- objections --------------------------------------------------------------------------------


def find_unit(session: Session, vote: Vote, building_id: int | None, room: str | None) -> int:
    """The unit a resident names on the objection form (building and room) in the vote's community: its id."""
    room = (room or "").strip().removesuffix("室").strip()
    if not building_id or not room:
        raise Invalid(_("请选择楼栋并填写室号"), fields={"room": _("请选择楼栋并填写室号")})
    unit_id = session.execute(
        select(Unit.id).join(Building, Building.id == Unit.building_id)
        .where(Building.id == building_id, Building.community_id == vote.community_id, Unit.room == room)
    ).scalar()
    if unit_id is None:
        raise Invalid(_("本居民区没有这个室号"), fields={"room": _("该楼栋没有这个室号")})
    return unit_id


def lodge_objection(session: Session, actor: User, vote: Vote, kind: str, reason: str | None,
                    unit_id: int | None = None) -> VoteObjection:
    """An objection to the posted roll (面积有误, 已过户, 遗漏…), inside its period: voting.objections.lodge."""
    return objections.lodge(session, actor, vote, ROLL, kind, reason, unit_id=unit_id)


def get_objection(session: Session, actor: User, vote: Vote, objection_id: int) -> VoteObjection:
    """One objection to the vote's roll, for its moderators or the person who lodged it; 404 otherwise."""
    objection = objections.get(session, actor, vote, objection_id)
    if objection.stage != ROLL:
        raise NotFound(_("找不到该异议"))
    return objection


def answer_objection(session: Session, actor: User, objection: VoteObjection, accepted: bool, text: str | None, *,
                     area: str | None = None, owners: str | list[str] | None = None) -> VoteObjection:
    """Answer an objection to the roll. Accepted, an objection about a unit's area or owners corrects the roster
    (the moderator types the correct value) and the roll is re-counted: old → new and the totals before and after
    are kept in its ``correction`` and the audit log. Rejected, the answer says why (the objector reads it)."""
    vote = objection.vote
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if objection.stage != ROLL:
        raise NotFound(_("找不到该异议"))
    if objection.answered_at is not None:
        raise Conflict(_("这条异议已经答复过了"))
    correction = None
    field = CORRECTS.get(objection.kind)
    if accepted and field and objection.unit_id is not None:
        if vote.opened_at is not None:
            raise Conflict(_("表决已经开启，表决权人名册已固定，不能再更正"))
        unit = session.get(Unit, objection.unit_id)
        if unit is None:
            raise Invalid(_("找不到异议所指的房屋"), fields={field: _("找不到该房屋")})
        before = totals(session, vote)
        if field == "area":
            correction = corrections.set_unit_area(session, actor, unit, area)
        else:
            correction = corrections.set_unit_owners(session, actor, unit, owners)
        session.flush()
        correction["recount"] = {"before": before, "after": totals(session, vote)}
    return objections.answer(session, actor, objection, accepted, text, correction=correction)


def unit_labels(session: Session, unit_ids) -> dict[int, str]:
    """The labels of the units objections name (3号楼2单元302室): one query."""
    unit_ids = {u for u in unit_ids if u is not None}
    if not unit_ids:
        return {}
    rows = session.execute(select(Unit.id, Building.name, Unit.staircase, Unit.room)
                           .join(Building, Building.id == Unit.building_id).where(Unit.id.in_(unit_ids))).all()
    return {unit_id: f"{name}{staircase or ''}{room}室" for unit_id, name, staircase, room in rows}


def _cents(cents) -> str:
    return f"{Decimal(int(cents or 0)) / 100:,.2f}"


def correction_text(correction: dict | None) -> str:
    """What an accepted objection changed, in words: "面积 88.50 ㎡ → 90.20 ㎡；名册合计 3 户 250.00 ㎡ → …"."""
    if not correction:
        return ""
    if correction.get("field") == "area":
        text = _("%(unit)s面积 %(old)s ㎡ → %(new)s ㎡", unit=correction.get("unit", ""),
                 old=correction.get("old") or "—", new=correction.get("new", ""))
    else:
        text = _("%(unit)s业主 %(old)s → %(new)s", unit=correction.get("unit", ""),
                 old="、".join(mask_name(n) for n in correction.get("old") or []) or "—",
                 new="、".join(mask_name(n) for n in correction.get("new") or []))
    recount = correction.get("recount")
    if recount:
        before, after = recount["before"], recount["after"]
        text += _("；名册合计 %(a)d 户 %(b)s ㎡ → %(c)d 户 %(d)s ㎡", a=before["voters"], b=_cents(before["area_cents"]),
                  c=after["voters"], d=_cents(after["area_cents"]))
    return text


# -- the opening -------------------------------------------------------------------------------


def opening_blockers(session: Session, vote: Vote, now: datetime | None = None) -> list[str]:
    """Why the vote may not open yet because of its roll, in words ([] when it may): not posted, the period
    still runs, objections unanswered."""
    if vote.opened_at is not None or not (needs_roll(vote) or vote.roll_posted_at is not None):
        return []
    now = now or utcnow()
    reasons = []
    if vote.roll_posted_at is None:
        reasons.append(_("业主表决开启前须公示表决权人名册（《上海市住宅物业管理规定》第十六条）：请先公示名册"))
    elif vote.roll_until is not None and now < vote.roll_until:
        reasons.append(_("表决权人名册公示至 %(when)s，公示期内不能开启表决", when=format_datetime(vote.roll_until)))
    waiting = objections.unanswered(session, vote, ROLL)
    if waiting:
        reasons.append(_("还有 %(n)d 条对名册的异议尚未答复，答复后才能开启表决", n=waiting))
    return reasons


def refuse_opening(session: Session, vote: Vote) -> None:
    """Conflict while the roll holds the opening back (lifecycle.opening_checks)."""
    reasons = opening_blockers(session, vote)
    if reasons:
        raise Conflict(reasons[0], detail={"reasons": reasons})


def held_opening(session: Session, vote: Vote) -> dict | None:
    """The last scheduled opening the roll held back ({"planned", "reason"}), while the vote is still a draft."""
    if vote.opened_at is not None:
        return None
    event = session.execute(
        select(audit.AuditEvent.data).where(audit.AuditEvent.action == "vote.open_held",
                                            audit.AuditEvent.object_type == "Vote",
                                            audit.AuditEvent.object_id == vote.id)
        .order_by(audit.AuditEvent.id.desc()).limit(1)
    ).scalar()
    if not event:
        return None
    planned = event.get("planned")
    return {"planned": datetime.fromisoformat(planned) if planned else None, "reason": event.get("reason", "")}


if refuse_opening not in lifecycle.opening_checks:
    lifecycle.opening_checks.append(refuse_opening)
