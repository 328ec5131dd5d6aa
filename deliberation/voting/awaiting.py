"""What the votes ask of people now, for the front door (deliberation.home): the open votes waiting for a
voter's ballot, the votes closing soon, the paper conflicts not settled and the objections not answered.

Each answer is one aggregate query over the communities asked about, whatever the number of votes; the
caller checks who may see what (the communities passed in are the user's own or those they moderate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from deliberation.accounts.models import Community, Ownership, Person, User
from deliberation.jobs import periodic
from deliberation.voting.lifecycle import catch_up
from deliberation.voting.models import Ballot, PaperConflict, Vote, VoteObjection, VoteVoter, VoteVoterUnit

DUE_AT_MOST = 10  # votes brought up to their schedule by one front door; the next visit takes the rest


@dataclass(frozen=True)
class VoteDue:
    """An open vote and its deadline (None: closed by the moderator, no time set)."""

    id: int
    community_id: int
    title: str
    closes_at: datetime | None
    secret: bool


def catch_up_due(session: Session, community_ids: list[int], now: datetime) -> int:
    """Bring the communities' votes whose scheduled opening or closing has passed up to their schedule
    (lifecycle.catch_up: the electorate frozen, the decision stored), so the lists below see them as they
    are. One query when nothing is due, which is nearly always."""
    if not community_ids:
        return 0
    due = session.execute(select(Vote).where(
        Vote.community_id.in_(community_ids),
        or_(and_(Vote.opened_at.is_(None), Vote.opens_at <= now),
            and_(Vote.opened_at.is_not(None), Vote.closed_at.is_(None), Vote.closes_at <= now)),
    ).order_by(Vote.id).limit(DUE_AT_MOST)).scalars().all()
    for vote in due:
        catch_up(session, vote)
    return len(due)


@periodic.task("votes.schedule")
def catch_up_all(session: Session, now: datetime) -> int:
    """The scheduler's minute (jobs.periodic): every community's votes whose opening or closing time has
    passed are opened or closed, whether or not anyone reads a page (a page read still catches up too)."""
    return catch_up_due(session, list(session.execute(select(Community.id)).scalars()), now)


def _open_at(now: datetime):
    return and_(Vote.opened_at.is_not(None), Vote.closed_at.is_(None),
                or_(Vote.closes_at.is_(None), Vote.closes_at > now))


def awaiting_ballot(session: Session, user: User, community_ids: list[int], now: datetime) -> list[VoteDue]:
    """The open votes of these communities in whose frozen electorate the user is and that have no ballot
    of theirs yet, soonest deadline first: one query.

    The user's row is found as electorate.voter_for finds it (their person's key, their household's, or an
    owners' group through the units they own; binding before advisory), and the ballot is looked up by that
    row's key. While a secret vote is open its ballots still carry the key; after the close they do not, but
    a closed vote waits for nobody.
    """
    person_id = user.person_id
    if person_id is None or not community_ids:
        return []
    household = select(Person.household_id).where(Person.id == person_id).scalar_subquery()
    owned_units = select(Ownership.unit_id).where(Ownership.person_id == person_id)
    keys = or_(
        VoteVoter.voter_key.in_([f"p:{person_id}", f"o:{person_id}"]),
        VoteVoter.voter_key == literal("h:") + cast(household, String),
        exists().where(VoteVoterUnit.vote_id == VoteVoter.vote_id, VoteVoterUnit.voter_key == VoteVoter.voter_key,
                       VoteVoterUnit.unit_id.in_(owned_units)),
    )
    cast_already = exists().where(Ballot.vote_id == VoteVoter.vote_id, Ballot.voter_key == VoteVoter.voter_key)
    rows = session.execute(
        select(Vote.id, Vote.community_id, Vote.title, Vote.closes_at, Vote.secret, VoteVoter.voter_key,
               VoteVoter.advisory, VoteVoter.person_ids, cast_already.label("cast"))
        .join(VoteVoter, VoteVoter.vote_id == Vote.id)
        .where(Vote.community_id.in_(community_ids), _open_at(now), keys)
        .order_by(Vote.id).limit(200)
    ).all()
    chosen: dict[int, tuple] = {}
    preference = {f"o:{person_id}": 0, f"p:{person_id}": 1}
    for row in sorted(rows, key=lambda r: (r.advisory, preference.get(r.voter_key, 0))):
        if person_id in (row.person_ids or []) and row.id not in chosen:
            chosen[row.id] = row  # the row casting would use (voter_for's order)
    waiting = [VoteDue(r.id, r.community_id, r.title, r.closes_at, r.secret) for r in chosen.values() if not r.cast]
    return sorted(waiting, key=_by_deadline)


def _by_deadline(item) -> tuple:
    return (item.closes_at is None, item.closes_at or datetime.min, item.id)


def closing_soon(session: Session, community_ids: list[int], now: datetime, until: datetime,
                 limit: int = 5) -> list[VoteDue]:
    """Open votes of these communities whose closing time falls before ``until``, soonest first: one query."""
    if not community_ids:
        return []
    rows = session.execute(
        select(Vote.id, Vote.community_id, Vote.title, Vote.closes_at, Vote.secret)
        .where(Vote.community_id.in_(community_ids), _open_at(now), Vote.closes_at <= until)
        .order_by(Vote.closes_at, Vote.id).limit(limit)
    ).all()
    return [VoteDue(*row) for row in rows]


@dataclass(frozen=True)
class VoteCount:
    """How many of something one vote has waiting (paper conflicts, objections)."""

    vote_id: int
    community_id: int
    title: str
    count: int


def open_conflicts(session: Session, community_ids: list[int], limit: int = 5) -> list[VoteCount]:
    """The votes of these communities with paper conflicts not yet settled, and how many: one query."""
    return _counted(session, community_ids, PaperConflict, PaperConflict.resolution.is_(None), limit)


def unanswered_objections(session: Session, community_ids: list[int], limit: int = 5) -> list[VoteCount]:
    """The votes of these communities with objections (roll or result) not yet answered: one query."""
    return _counted(session, community_ids, VoteObjection, VoteObjection.answered_at.is_(None), limit)


def _counted(session: Session, community_ids: list[int], model, waiting, limit: int) -> list[VoteCount]:
    if not community_ids:
        return []
    count = func.count(model.id)
    rows = session.execute(
        select(Vote.id, Vote.community_id, Vote.title, count)
        .join(model, model.vote_id == Vote.id)
        .where(Vote.community_id.in_(community_ids), waiting)
        .group_by(Vote.id, Vote.community_id, Vote.title)
        .order_by(count.desc(), Vote.id).limit(limit)
    ).all()
    return [VoteCount(*row) for row in rows]
