"""Casting a ballot online: reading the choice, one ballot per voter key, changing it, one's own ballot."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliberation import audit, rules
from deliberation.accounts.models import User
from deliberation.db import begin_writes, utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, require
from deliberation.voting.electorate import SHANGHAI, of_age, voter_facts, voter_for
from deliberation.voting.labels import option_labels
from deliberation.voting.lifecycle import due, open_with_version, refresh
from deliberation.voting.models import (
    YES_NO,
    Ballot,
    BallotSource,
    Vote,
    VoteBasis,
    VoteKind,
    VoteState,
    VoteVoter,
)
from deliberation.voting.receipts import new_receipt


def audit_choice(vote: Vote, choice: str | None) -> dict:
    """The choice for the audit data, except in a secret vote."""
    return {} if vote.secret or choice is None else {"choice": choice}


def canonical_choice(vote: Vote, choice: object) -> str:
    """The stored form of a ballot's choice, or Invalid (422) for an unknown or malformed one."""
    if vote.kind == VoteKind.PROPOSAL and isinstance(choice, str) and choice in YES_NO:
        return choice  # the common case, before any message is translated
    bad = Invalid(_("未知的选项"), fields={"choice": _("未知的选项")})
    if vote.kind == VoteKind.PROPOSAL:
        raise bad
    labels = option_labels(vote)
    if vote.kind == VoteKind.SINGLE:
        key = str(choice) if isinstance(choice, str | int) and not isinstance(choice, bool) else None
        if key in labels:
            return key
        raise bad
    if isinstance(choice, str):
        try:
            choice = json.loads(choice)
        except ValueError:
            raise bad from None
    if not isinstance(choice, list):
        raise bad
    order = {key: n for n, key in enumerate(labels)}
    if vote.kind == VoteKind.APPROVAL:
        keys = [str(c) for c in choice if isinstance(c, str | int) and not isinstance(c, bool)]
        if len(keys) != len(choice) or any(k not in labels for k in keys):
            raise bad
        if not keys:
            raise Invalid(_("请至少认可一个方案"), fields={"choice": _("请至少认可一个方案")})
        return json.dumps(sorted(set(keys), key=order.__getitem__))
    tiers = []
    for entry in choice:
        tier = entry if isinstance(entry, list) else [entry]
        keys = [str(c) for c in tier if isinstance(c, str | int) and not isinstance(c, bool)]
        if len(keys) != len(tier) or not keys:
            raise bad
        tiers.append(sorted(keys, key=lambda k: order.get(k, -1)))
    try:
        rules.schulze(list(labels), [tiers])
    except ValueError:
        raise bad from None
    if not tiers:
        raise Invalid(_("请至少给一个方案排序"), fields={"choice": _("请至少给一个方案排序")})
    return json.dumps(tiers)


@dataclass
class CastResult:
    """A cast or changed ballot: its stored choice, receipt (shown once) and whether it is new."""

    choice: str  # as stored
    receipt_hash: str
    created: bool
    receipt: str
    advisory: bool = False


_UNSET = object()


def _insert_once(session: Session, values: dict) -> bool:
    """INSERT … ON CONFLICT (vote_id, voter_key) DO NOTHING: True for a new ballot, False when the
    voter key has one already (also when another request got there first, at the same instant).

    A Core statement with its values bound at execution, so SQLAlchemy compiles it once: this is the
    hot path of a vote."""
    table = Ballot.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(table).on_conflict_do_nothing(index_elements=["vote_id", "voter_key"]).returning(table.c.id)
    return session.execute(stmt, values).scalar() is not None


def cast_ballot(session: Session, actor: User, vote: Vote, choice: object,
                voter: VoteVoter | None | object = _UNSET) -> CastResult:
    """Cast (201) or change (200) the actor's ballot; one per voter key, whatever arrives at once.

    ``voter``: the actor's row of the frozen electorate when the caller looked it up already
    (voting.access.ballot_vote_or_404); otherwise it is looked up here.
    """
    if not due(vote):
        # Nothing the clock has to move on: read and check before the write lock (in a request that reads
        # first, db.reads_first), then again under it what another writer could have changed (the close).
        voter = _admitted(session, actor, vote, choice, voter, vote.state == VoteState.OPEN)[0]
    begin_writes(session)
    refresh(session, vote)
    still_open, version = open_with_version(session, vote)
    voter, stored = _admitted(session, actor, vote, choice, voter, still_open)
    code, digest = new_receipt(vote.id)
    now = utcnow()
    created = _insert_once(session, {
        "vote_id": vote.id, "voter_key": voter.voter_key, "choice": stored, "source": BallotSource.ONLINE,
        "cast_by_id": actor.id, "entered_by_id": None, "receipt_hash": digest, "proposal_version": version,
        "changes": 0, "cast_at": now, "updated_at": now, **voter_facts(voter)})
    if not created:
        ballot = session.execute(
            select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == voter.voter_key)
            .with_for_update()
        ).scalar_one()
        if ballot.source == BallotSource.PAPER:
            raise Conflict(_("您的纸质征询单已由工作人员录入；如需更改，请联系居委会"))
        if ballot.source == BallotSource.PROXY:
            raise Conflict(_("您委托的受托人已按委托书投票，不能再更改"))
        # A ballot recorded at the counter for this voter (帮办) is theirs to change; their change clears its marker.
        own = ballot.cast_by_id == actor.id or (ballot.recorded_by_id is not None and ballot.cast_by_id is None)
        if not own and vote.basis == VoteBasis.OWNER:
            raise Conflict(_("本套房屋已由共有人投票：一套房屋只计一票，您的选票未计入"))
        if not own:
            raise Conflict(_("本户已由家庭成员投票，由其代表全户"))
        if ballot.recorded_by_id is not None:
            ballot.cast_by_id, ballot.recorded_by_id, ballot.consent = actor.id, None, None
        ballot.choice = stored
        ballot.receipt_hash = digest
        ballot.proposal_version = version
        ballot.changes += 1
        ballot.updated_at = now
        session.flush()
    audit.record(session, actor, "ballot.cast" if created else "ballot.change", vote,
                 community_id=vote.community_id, advisory=voter.advisory, **audit_choice(vote, stored))
    return CastResult(stored, digest, created, code, voter.advisory)


def _admitted(session: Session, actor: User, vote: Vote, choice: object, voter: VoteVoter | None | object,
              is_open: bool) -> tuple[VoteVoter, str]:
    """The checks of a ballot, in the order its refusals are answered: the vote open (409), of age and in the
    electorate (403), a known choice (422). The voter's row and the stored choice."""
    if not is_open:
        raise Conflict(_("表决未在进行中，不能投票"), detail={"state": vote.state.value})
    if voter is _UNSET or voter is None:  # None: perhaps looked up before refresh() opened the vote
        voter = voter_for(session, vote, actor)
    if (voter is None or vote.basis == VoteBasis.OWNER) and is_minor(actor):
        raise Forbidden(_("未满18周岁的居民不能参加表决"))
    require(vote.can_cast(actor, voter), _("您不在本次表决的表决权人名册中"))
    return voter, canonical_choice(vote, choice)


def is_minor(user: User) -> bool:
    """Whether the user's person on the roster is under 18 (Civil Code Art. 17; electorate.of_age): a minor
    casts no ballot of their own, whatever the electorate (an owner's unit then answers through a co-owner
    or the guardian's paper form)."""
    person = user.person if user.is_authenticated and user.person_id is not None else None
    return person is not None and not of_age(person.birth_year, utcnow().astimezone(SHANGHAI).year)


def my_ballot(session: Session, user: User, vote: Vote) -> tuple[VoteVoter | None, Ballot | None]:
    """The user's place in the electorate and the ballot of their voter key (if any)."""
    voter = voter_for(session, vote, user)
    if voter is None or vote.closed_at is not None and vote.secret:
        return voter, None
    ballot = session.execute(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == voter.voter_key)
    ).scalar()
    return voter, ballot
