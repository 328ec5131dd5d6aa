"""Ballots spread over 4 communities: each its own residents, tokens and open votes, cast in turn.

Each community's audit events form a chain of their own with a lock of their own on PostgreSQL
(deliberation/audit.py), so ballots of different communities do not queue behind one lock: this
measurement casts the same kind of ballot as `ballots`, interleaved over four communities.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from deliberation.accounts.models import ApiToken, Community, Membership, Person, Role, Tenure, User
from deliberation.db import utcnow

COMMUNITIES = 4


@dataclass
class Spread:
    """Per community: its voters' (user id, token) and its open votes."""

    voters: list[list[tuple[int, str]]] = field(default_factory=list)
    vote_ids: list[list[int]] = field(default_factory=list)


def _members(session: Session, community: Community, n: int, role: Role) -> list[tuple[int, str]]:
    """n adults of the community's roster with logins, memberships and API tokens, in bulk."""
    person_ids = session.execute(insert(Person).returning(Person.id, sort_by_parameter_order=True), [
        {"community_id": community.id, "name": f"居民{community.id}-{i}", "tenure": Tenure.OWNER, "birth_year": 1970}
        for i in range(n)]).scalars().all()
    user_ids = session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"username": f"c{community.id}{role.value[0]}{i:05d}", "display_name": f"居民{i:05d}", "password_hash": "-",
         "person_id": person_id, "session_token": secrets.token_urlsafe(32)}
        for i, person_id in enumerate(person_ids)]).scalars().all()
    session.execute(insert(Membership), [{"user_id": u, "community_id": community.id, "role": role} for u in user_ids])
    tokens = [f"bench-{u}-{secrets.token_urlsafe(16)}" for u in user_ids]
    session.execute(insert(ApiToken), [
        {"user_id": u, "token_hash": hashlib.sha256(t.encode()).hexdigest(), "expires_at": utcnow() + timedelta(days=30)}
        for u, t in zip(user_ids, tokens, strict=True)])
    return list(zip(user_ids, tokens, strict=True))


def add_spread(session: Session, voters: int, votes: int) -> Spread:
    """COMMUNITIES communities, each with `voters` residents and `votes` open votes (basis: person)."""
    from deliberation.consultations import services as consultations
    from deliberation.consultations.models import Phase
    from deliberation.voting import services as voting

    spread = Spread()
    for k in range(COMMUNITIES):
        community = Community(name=f"基准居民区 {k + 1}", district="枫林路街道")
        session.add(community)
        session.flush()
        [(moderator_id, _token)] = _members(session, community, 1, Role.MODERATOR)
        spread.voters.append(_members(session, community, voters, Role.RESIDENT))
        moderator = session.get(User, moderator_id)
        consultation = consultations.create_consultation(
            session, moderator, community, consultations.ConsultationInput(title="基准：四个居民区同时表决",
                                                                           background="基准测试生成的议事。"))
        proposal = consultations.create_proposal(session, moderator, consultation, "更换门禁", "更换三处大门的门禁")
        consultations.move_phase(session, moderator, consultation, Phase.COMMENTING)
        consultations.move_phase(session, moderator, consultation, Phase.VOTING)
        ids = []
        for i in range(votes):
            vote = voting.create_vote(session, moderator, consultation, voting.VoteInput(
                title=f"基准表决 {i + 1}", proposal_id=proposal.id, rule_name="simple_majority", basis="person",
                closes_at=utcnow() + timedelta(days=7)))
            voting.open_vote(session, moderator, vote)
            ids.append(vote.id)
        spread.vote_ids.append(ids)
        session.commit()
    return spread


def ballot_requests(spread: Spread):
    """Prepared ballots, community after community in turn, each a new voter × vote of its community."""
    choices = ("agree", "agree", "disagree", "abstain")
    pairs = [[(vote_id, user_id, token) for vote_id in ids for user_id, token in voters]
             for ids, voters in zip(spread.vote_ids, spread.voters, strict=True)]
    for row in zip(*pairs, strict=False):
        for vote_id, user_id, token in row:
            yield ("POST", f"/api/v1/votes/{vote_id}/ballot", token, {"choice": choices[(user_id + vote_id) % 4]})
