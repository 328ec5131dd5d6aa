"""Help at the counter (帮办) in a vote: a ballot of an open, not secret vote recorded on a resident's behalf,
and the votes a resident may be helped with.

The ballot belongs to the resident's voter key (whether or not they have a login); it is an online ballot
with ``recorded_by_id`` and ``consent`` set, shown to the resident as "由 X 代为录入（电话确认）", and the
resident changes it themselves on the vote page (casting.cast_ballot clears the marker). A secret vote is
refused: whoever types a ballot in would know it, so a secret vote takes paper forms (voting.paper).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from deliberation import audit
from deliberation.accounts.assisted import consent_of, login_of
from deliberation.accounts.models import Ownership, Person, User
from deliberation.consultations.assisted import tell_resident
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, require
from deliberation.voting.casting import CastResult, audit_choice, canonical_choice
from deliberation.voting.electorate import SHANGHAI, of_age, voter_facts, voter_of_person
from deliberation.voting.lifecycle import open_with_version, refresh
from deliberation.voting.models import (
    Ballot,
    BallotSource,
    Vote,
    VoteBasis,
    VoteState,
    VoteVoter,
    VoteVoterUnit,
)
from deliberation.voting.receipts import new_receipt


def secret_refusal() -> Conflict:
    """Why a secret vote takes no ballot at the counter."""
    return Conflict(_("无记名表决不能代为录入：请该居民填写纸质表决单"), detail={"secret": True})


def record_ballot(session: Session, actor: User, vote: Vote, person: Person, choice: object,
                  consent: object) -> CastResult:
    """Record (201) or change (200) the resident's ballot at the counter; audited with the consent, and the
    resident told. Refused for a secret vote (paper forms), a closed vote, someone outside the electorate,
    a minor, and a ballot that is not the resident's to change (paper, proxy, a co-owner's or family member's)."""
    require(person.community_id == vote.community_id and person.can_assist(actor),
            _("只有主持人或本楼楼组长可以为该居民代为录入"))
    if vote.secret:
        raise secret_refusal()
    consent = consent_of(consent)
    refresh(session, vote)
    still_open, version = open_with_version(session, vote)
    if not still_open:
        raise Conflict(_("表决未在进行中，不能投票"), detail={"state": vote.state.value})
    voter = voter_of_person(session, vote, person.id)
    if not of_age(person.birth_year, utcnow().astimezone(SHANGHAI).year):
        raise Forbidden(_("未满18周岁的居民不能参加表决"))
    if voter is None:
        raise Forbidden(_("该居民不在本次表决的表决权人名册中"))
    stored = canonical_choice(vote, choice)
    login = login_of(session, person)
    code, digest = new_receipt(vote.id)
    now = utcnow()
    try:
        with session.begin_nested():
            session.add(Ballot(vote_id=vote.id, voter_key=voter.voter_key, choice=stored, source=BallotSource.ONLINE,
                               cast_by_id=login.id if login else None, receipt_hash=digest,
                               proposal_version=version, cast_at=now, updated_at=now, recorded_by_id=actor.id,
                               consent=consent, **voter_facts(voter)))
        created = True
    except IntegrityError:
        created = False
        _change(session, vote, voter, login, stored, digest, version, actor, consent)
    audit.record(session, actor, "ballot.assisted", vote, community_id=vote.community_id, person_id=person.id,
                 consent=consent.value, created=created, **audit_choice(vote, stored))
    tell_resident(session, actor, person, _("“%(title)s”的选票", title=vote.title), consent, f"/votes/{vote.id}")
    return CastResult(stored, digest, created, code, voter.advisory)


def ballot_of_person(session: Session, vote: Vote, person: Person) -> Ballot | None:
    """The resident's ballot that a counter entry would change (their row of the vote's electorate), if any."""
    voter = voter_of_person(session, vote, person.id)
    if voter is None:
        return None
    return session.execute(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == voter.voter_key)).scalar()


def _change(session: Session, vote: Vote, voter: VoteVoter, login: User | None, stored: str, digest: str,
            version: int | None, actor: User, consent) -> None:
    ballot = session.execute(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == voter.voter_key).with_for_update()
    ).scalar_one()
    if ballot.source == BallotSource.PAPER:
        raise Conflict(_("该居民的纸质征询单已录入；如需更改，请按纸质表决单的冲突处理"))
    if ballot.source == BallotSource.PROXY:
        raise Conflict(_("该居民委托的受托人已按委托书投票，不能再更改"))
    if ballot.cast_by_id not in (None, login.id if login else None):
        raise Conflict(_("该户（或该套房屋）已由他人投票，由其代表"))
    ballot.choice, ballot.receipt_hash, ballot.proposal_version = stored, digest, version
    ballot.changes += 1
    ballot.updated_at = utcnow()
    ballot.recorded_by_id, ballot.consent = actor.id, consent
    session.flush()


@dataclass(frozen=True)
class VoteAtCounter:
    """An open vote the resident is a voter of: whether it takes a ballot here (not secret) and theirs so far."""

    vote: Vote
    ballot: Ballot | None

    @property
    def secret(self) -> bool:
        return self.vote.secret


def voters_of_person(session: Session, votes: list[Vote], person: Person) -> dict[int, VoteVoter]:
    """The person's row of each vote's frozen electorate (binding before advisory), as electorate.voter_of_person
    answers for one vote, for several votes in two queries."""
    pid = person.id
    ids = [v.id for v in votes if v.opened_at is not None]
    if not ids:
        return {}
    # Two probes by key, never a subquery per row of the electorate (thousands of rows per vote).
    through_units = {(vote_id, key) for vote_id, key in session.execute(
        select(VoteVoterUnit.vote_id, VoteVoterUnit.voter_key).join(Ownership, Ownership.unit_id == VoteVoterUnit.unit_id)
        .where(VoteVoterUnit.vote_id.in_(ids), Ownership.person_id == pid))}
    keys = {f"p:{pid}", f"o:{pid}"} | ({f"h:{person.household_id}"} if person.household_id is not None else set())
    rows = [row for row in session.execute(select(VoteVoter).where(
        VoteVoter.vote_id.in_(ids), VoteVoter.voter_key.in_(keys | {key for _vote, key in through_units}))).scalars()
        if row.voter_key in keys or (row.vote_id, row.voter_key) in through_units]
    basis = {v.id: v.basis for v in votes}
    found: dict[int, VoteVoter] = {}
    for row in sorted(rows, key=lambda r: (r.advisory, r.voter_key != f"o:{pid}")):
        kind = basis[row.vote_id]
        fits = (row.voter_key == f"p:{pid}" if kind == VoteBasis.PERSON else
                row.voter_key.startswith("h:") if kind == VoteBasis.HOUSEHOLD else not row.voter_key.startswith("h:"))
        if fits and pid in (row.person_ids or []):
            found.setdefault(row.vote_id, row)
    return found


def votes_for(session: Session, person: Person) -> list[VoteAtCounter]:
    """The open votes of the resident's community whose electorate names them, with their ballot if any."""
    votes = [vote for vote in session.execute(
        select(Vote).where(Vote.community_id == person.community_id, Vote.opened_at.is_not(None),
                           Vote.closed_at.is_(None)).options(selectinload(Vote.options)).order_by(Vote.id.desc())
    ).scalars() if vote.state == VoteState.OPEN]
    voters = voters_of_person(session, votes, person)
    keys = [(vote_id, voter.voter_key) for vote_id, voter in voters.items()]
    ballots = {}
    if keys:
        rows = session.execute(select(Ballot).where(
            Ballot.vote_id.in_([k[0] for k in keys]), Ballot.voter_key.in_([k[1] for k in keys]))).scalars()
        ballots = {(b.vote_id, b.voter_key): b for b in rows}
    return [VoteAtCounter(vote, ballots.get((vote.id, voters[vote.id].voter_key))) for vote in votes
            if vote.id in voters]
