"""Paper forms against ballots already counted: each conflict said in words (the owner, the unit whose
form or the online ballot counts, the choice counted), settled one or many at a time; a paper form
that replaces a counted ballot is told to the voter with the receipt that now counts, and the old
receipt code answers "replaced"."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Building, Person, Unit, User
from deliberation.consultations.notifications import notify_each
from deliberation.db import utcnow
from deliberation.errors import Conflict, Invalid, require
from deliberation.voting.labels import describe_choice
from deliberation.voting.lifecycle import refresh, still_open
from deliberation.voting.models import Ballot, BallotSource, PaperConflict, Vote, VoteVoter, VoteVoterUnit
from deliberation.voting.receipts import new_receipt, paper_receipt, receipt_hash


@dataclass
class Counted:
    """The ballot counted for a voter key: its source, the unit whose paper form it is (if any), its choice."""

    source: str
    choice: str
    unit_id: int | None = None
    unit_label: str = ""


def unit_labels(session: Session, unit_ids: Iterable[int]) -> dict[int, str]:
    """"3号楼302室" for each unit id: one query."""
    ids = {u for u in unit_ids if u is not None}
    if not ids:
        return {}
    rows = session.execute(select(Unit.id, Building.name, Unit.room).join(Building, Building.id == Unit.building_id)
                           .where(Unit.id.in_(ids))).all()
    return {uid: f"{building}{room}室" for uid, building, room in rows}


def names_of_voters(session: Session, vote: Vote, keys: Iterable[str]) -> dict[str, str]:
    """The names of the persons behind each voter key of the frozen electorate ("张三、李四"): two queries."""
    keys = set(keys)
    if not keys:
        return {}
    people = dict(session.execute(select(VoteVoter.voter_key, VoteVoter.person_ids).where(
        VoteVoter.vote_id == vote.id, VoteVoter.voter_key.in_(keys))).all())
    ids = {pid for pids in people.values() for pid in (pids or [])}
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
    return {key: "、".join(names[p] for p in (pids or []) if p in names) for key, pids in people.items()}


def counted_ballots(session: Session, vote: Vote, keys: Iterable[str]) -> dict[str, Counted]:
    """The ballot counted for each voter key, and for a paper form the unit it came from.

    A paper ballot's unit is found from its receipt: the code of a unit's form is derived from the
    vote, the unit and the voter key (receipts.paper_receipt), so the ballot records no unit of its own.
    """
    keys = set(keys)
    if not keys:
        return {}
    found: dict[str, Counted] = {}
    hashes: dict[str, str] = {}
    for key, source, choice, digest in session.execute(
        select(Ballot.voter_key, Ballot.source, Ballot.choice, Ballot.receipt_hash)
        .where(Ballot.vote_id == vote.id, Ballot.voter_key.in_(keys))
    ).all():
        found[key] = Counted(str(source), choice)
        if source == BallotSource.PAPER:
            hashes[key] = digest
    if hashes:
        units_of: dict[str, list[int]] = defaultdict(list)
        for key, unit_id in session.execute(select(VoteVoterUnit.voter_key, VoteVoterUnit.unit_id).where(
                VoteVoterUnit.vote_id == vote.id, VoteVoterUnit.voter_key.in_(list(hashes)))).all():
            units_of[key].append(unit_id)
        for key, digest in hashes.items():
            found[key].unit_id = next((u for u in units_of[key] if paper_receipt(vote.id, u, key)[1] == digest), None)
        labels = unit_labels(session, [c.unit_id for c in found.values()])
        for counted in found.values():
            counted.unit_label = labels.get(counted.unit_id, "")
    return found


def counted_choice_words(vote: Vote, counted: Counted) -> str:
    """The choice counted, in words; never in a secret vote (the moderator and floor captains read this)."""
    return _("无记名表决，不显示") if vote.secret else describe_choice(vote, counted.choice)


def conflict_message(vote: Vote, label: str, owner: str, counted: Counted | None, unit_id: int | None) -> str:
    """Why a paper form was set aside: who the owner is, what was counted for them already, from where."""
    owner = owner or _("该表决权人")
    if counted is None:
        return _("%(unit)s：%(owner)s已有选票；征询单已另存，请主持人处理", unit=label, owner=owner)
    choice = counted_choice_words(vote, counted)
    if counted.source == BallotSource.ONLINE:
        return _("%(unit)s：%(owner)s已在网上投票（%(choice)s）；征询单已另存，请主持人处理",
                 unit=label, owner=owner, choice=choice)
    if counted.source == BallotSource.PROXY:
        return _("%(unit)s：%(owner)s已由受托人按书面委托投票（%(choice)s）；征询单已另存，请主持人处理",
                 unit=label, owner=owner, choice=choice)
    if counted.unit_id is not None and counted.unit_id != unit_id:
        return _("%(unit)s：%(owner)s已由%(other)s的征询单计入一票（%(choice)s）；同一业主只计一票，本张已另存，请主持人处理",
                 unit=label, owner=owner, other=counted.unit_label, choice=choice)
    return _("%(unit)s的征询单已录入过（%(choice)s）；本张已另存，请主持人处理", unit=label, choice=choice)


@dataclass
class ConflictView:
    """A conflict as the moderator reads it."""

    conflict: PaperConflict
    owner: str
    counted: Counted | None
    message: str


def conflict_views(session: Session, vote: Vote, conflicts: Sequence[PaperConflict]) -> list[ConflictView]:
    """The vote's open conflicts (paper.open_conflicts) in words: a fixed number of queries."""
    keys = {c.voter_key for c in conflicts}
    names = names_of_voters(session, vote, keys)
    counted = counted_ballots(session, vote, keys)
    return [ConflictView(c, names.get(c.voter_key, ""), counted.get(c.voter_key),
                         conflict_message(vote, c.unit_label, names.get(c.voter_key, ""), counted.get(c.voter_key),
                                          c.unit_id))
            for c in conflicts]


@dataclass
class Settled:
    """What became of one conflict asked to be settled: settled, or set aside with the reason."""

    conflict_id: int
    status: str  # "settled" | "set_aside"
    message: str


RESOLUTIONS = ("keep", "paper")


def settle_conflicts(session: Session, actor: User, vote: Vote, conflict_ids: Sequence[int],
                     resolution: str) -> list[Settled]:
    """The moderator settles several conflicts at once: keep the ballots counted, or count the paper forms.

    A conflict of another vote, one settled already, or a second paper form of a voter key whose
    form is counted in the same request is set aside with its reason (and audited); the others
    are settled. A paper form counted instead of a ballot tells the voter, with the new receipt.
    """
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if resolution not in RESOLUTIONS:
        raise Invalid(_("请选择处理方式"), fields={"resolution": _("请选择处理方式")})
    wanted = list(dict.fromkeys(int(i) for i in conflict_ids))
    if not wanted:
        raise Invalid(_("请至少选择一个冲突"), fields={"conflict_ids": _("请至少选择一个冲突")})
    if len(wanted) > 500:
        raise Invalid(_("每次最多处理 500 个冲突"), fields={"conflict_ids": _("太多了")})
    refresh(session, vote)
    if not still_open(session, vote):
        raise Conflict(_("表决已结束，不能再处理冲突"))
    found = {c.id: c for c in session.execute(
        select(PaperConflict).where(PaperConflict.id.in_(wanted))).scalars()}
    ballots: dict[str, Ballot] = {}
    if resolution == "paper":
        keys = {c.voter_key for c in found.values() if c.vote_id == vote.id}
        ballots = {b.voter_key: b for b in session.execute(
            select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key.in_(keys)).with_for_update()
        ).scalars()}
    outcomes: list[Settled] = []
    taken: set[str] = set()
    replaced: list[tuple[PaperConflict, str]] = []
    for conflict_id in wanted:
        conflict = found.get(conflict_id)
        reason = None
        if conflict is None or conflict.vote_id != vote.id:
            reason = _("第 %(id)d 号冲突不属于本表决，未处理", id=conflict_id)
        elif conflict.resolved_at is not None:
            reason = _("%(unit)s的冲突已处理过", unit=conflict.unit_label)
        elif resolution == "paper" and conflict.voter_key in taken:
            reason = _("%(unit)s：同一表决权人的另一张征询单本次已计入，只计一票；本张未处理", unit=conflict.unit_label)
        elif resolution == "paper" and conflict.voter_key not in ballots:
            reason = _("%(unit)s：已计入的选票不存在，未处理", unit=conflict.unit_label)
        if reason is not None:
            audit.record(session, actor, "ballot.conflict_set_aside", vote, community_id=vote.community_id,
                         conflict_id=conflict_id, reason=reason)
            outcomes.append(Settled(conflict_id, "set_aside", reason))
            continue
        if resolution == "paper":
            taken.add(conflict.voter_key)
            code = _count_paper_form(ballots[conflict.voter_key], conflict, vote)
            replaced.append((conflict, code))
        conflict.resolution = resolution
        conflict.resolved_by_id = actor.id
        conflict.resolved_at = utcnow()
        session.flush()
        audit.record(session, actor, "ballot.conflict_resolved", vote, community_id=vote.community_id,
                     conflict_id=conflict.id, unit=conflict.unit_label, resolution=resolution,
                     receipt_replaced=conflict.replaced_receipt_hash is not None)
        outcomes.append(Settled(conflict.id, "settled", _("%(unit)s：已处理", unit=conflict.unit_label)))
    _tell_voters(session, vote, replaced)
    return outcomes


def _count_paper_form(ballot: Ballot, conflict: PaperConflict, vote: Vote) -> str:
    """Count the conflict's paper form instead of the ballot; the ballot takes the form's receipt."""
    if conflict.unit_id is not None:
        code, digest = paper_receipt(vote.id, conflict.unit_id, conflict.voter_key)
    else:
        code, digest = new_receipt(vote.id)
    if ballot.receipt_hash != digest:
        conflict.replaced_receipt_hash = ballot.receipt_hash
    ballot.choice = conflict.choice
    ballot.source = BallotSource.PAPER
    ballot.entered_by_id = conflict.entered_by_id
    ballot.cast_by_id = None
    ballot.proxy_id = None  # the form counts now, not the authorisation
    ballot.receipt_hash = digest
    ballot.changes += 1
    ballot.updated_at = utcnow()
    return code


def _tell_voters(session: Session, vote: Vote, replaced: list[tuple[PaperConflict, str]]) -> None:
    """Each voter whose counted ballot a paper form replaced is told, with the receipt that now counts."""
    if not replaced:
        return
    people = dict(session.execute(select(VoteVoter.voter_key, VoteVoter.person_ids).where(
        VoteVoter.vote_id == vote.id, VoteVoter.voter_key.in_({c.voter_key for c, _code in replaced}))).all())
    person_ids = {p for pids in people.values() for p in (pids or [])}
    users: dict[int, list[int]] = defaultdict(list)
    if person_ids:
        for user_id, person_id in session.execute(
                select(User.id, User.person_id).where(User.person_id.in_(person_ids))).all():
            users[person_id].append(user_id)
    def text(conflict: PaperConflict, code: str) -> Callable[[], str]:  # worded for each voter in their language
        def worded() -> str:
            if vote.secret:
                return _("您在“%(title)s”中已计入的选票已由%(unit)s的纸质征询单取代（主持人核对后以征询单为准）。"
                         "现在有效的回执码印在该征询单的回执联上；原回执码已作废。",
                         title=vote.title, unit=conflict.unit_label)
            return _("您在“%(title)s”中已计入的选票已由%(unit)s的纸质征询单取代（主持人核对后以征询单为准），"
                     "现计入：%(choice)s。新的回执码：%(code)s；原回执码已作废。",
                     title=vote.title, unit=conflict.unit_label, choice=describe_choice(vote, conflict.choice),
                     code=code)
        return worded

    notify_each(session, [([u for p in people.get(conflict.voter_key) or [] for u in users.get(p, [])],
                           text(conflict, code)) for conflict, code in replaced], "vote", f"/votes/{vote.id}")


def replaced_receipt(session: Session, vote: Vote, code: str) -> PaperConflict | None:
    """The settled conflict whose paper form replaced the ballot of this receipt code, if any."""
    if not code or len(code) > 40:
        return None
    return session.execute(
        select(PaperConflict).where(PaperConflict.vote_id == vote.id,
                                    PaperConflict.replaced_receipt_hash == receipt_hash(vote.id, code))
        .order_by(PaperConflict.id.desc()).limit(1)
    ).scalar()
