"""The ordinary online ballot in few statements: the hot path of a vote (POST /api/v1/votes/{id}/ballot).

A new ballot of a resident in the frozen electorate of an open one-person-one-vote proposal vote is
the request that comes by the thousand when a vote opens. Here it costs one read (the token, its
user, their role in the vote's community, the vote, its session's phase and the voter's row, in one
statement), then the writes: the INSERT of the ballot if the vote is still open (re-read in the same
statement, under the lock), the token's last use when due, the notices it answers read, the audit event,
the commit; each statement compiled once and run on the driver (db.OnDriver), no model loaded. On PostgreSQL
the INSERT also reads the notices, writes the token's last use when due and takes the audit chain's lock and
last hash: a ballot is five round trips there (BEGIN, the read, the INSERT, the audit event, COMMIT). On SQLite
the read runs in a read transaction (plain BEGIN) and the write lock is taken only for the writes
(db.reads_first, db.begin_writes).

Its HTTP side, below Flask's request machinery, counts the ballot against the user's rate limit between the
two (api.short_way).
Everything else — a changed ballot, a household's or an owners' vote, variants, someone outside the
electorate, a closed vote, a bad choice or body, an unknown token, a rate limit reached — is answered
by the full way (api.voting.cast_ballot → voting.casting), with its refusals and their audit events.
`ordinary` and `cast` say None for those before anything is written (a changed ballot: when the INSERT
finds the voter's ballot, rolled back), and the full way then decides as it always has:
nothing is checked here that the full way would not check, and nothing it refuses is accepted here.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import String, and_, bindparam, cast, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from deliberation import audit
from deliberation.accounts.models import ApiToken, Membership, User
from deliberation.accounts.services import API_TOKEN_USE_GRANULARITY
from deliberation.consultations.models import Consultation, Phase, ProposalVersion
from deliberation.consultations.notifications import READ_ABOUT, READ_ABOUT_PG
from deliberation.db import OnDriver, to_writing, utcnow, write_intent
from deliberation.extensions import db
from deliberation.voting import telling
from deliberation.voting.models import YES_NO, Ballot, BallotSource, Vote, VoteBasis, VoteKind, VoteVoter
from deliberation.voting.receipts import new_receipt

_token, _user, _member = ApiToken.__table__, User.__table__, Membership.__table__
_vote, _session, _voter = Vote.__table__, Consultation.__table__, VoteVoter.__table__
_ballot = Ballot.__table__

# The token's user, their role in the vote's community, the vote, its session's stored phase and the user's
# row of the frozen electorate (a person's key: the basis "person"), in one statement. Whether the row has a
# ballot is not read here: the INSERT finds it (ON CONFLICT DO NOTHING), and the full way answers. (Joined here,
# the ballots were read by the vote's other index on PostgreSQL before the table had statistics, as a new vote
# in a busy hour: every ballot of the vote filtered by voter key, a read that grew with the vote.)
READ = OnDriver(
    select(_user.c.id.label("user_id"), _user.c.is_active_account, _user.c.person_id, _token.c.id.label("token_id"),
           _token.c.last_used_at, _member.c.role, _vote.c.id.label("vote_id"), _vote.c.community_id, _vote.c.kind,
           _vote.c.basis, _vote.c.secret, _vote.c.opened_at, _vote.c.closes_at, _vote.c.closed_at, _session.c.phase,
           _voter.c.voter_key, _voter.c.advisory, _voter.c.person_ids, _voter.c.building, _voter.c.age_band,
           _voter.c.tenure, _voter.c.area_cents)
    .select_from(
        _token.join(_user, _user.c.id == _token.c.user_id)
        .outerjoin(_vote, _vote.c.id == bindparam("vote_id"))
        .outerjoin(_session, _session.c.id == _vote.c.consultation_id)
        .outerjoin(_member, and_(_member.c.user_id == _user.c.id, _member.c.community_id == _vote.c.community_id))
        .outerjoin(_voter, and_(_voter.c.vote_id == _vote.c.id,
                                _voter.c.voter_key == literal("p:") + cast(_user.c.person_id, String))))
    .where(_token.c.token_hash == bindparam("token_hash"), _token.c.expires_at > bindparam("now"))
)

# Under the write lock, in one statement: the ballot inserted if the vote is still open, holding the shared row
# lock of lifecycle.open_with_version (a close waits for the ballots in flight), with the proposal's current
# version; no row when the vote closed meanwhile or the voter key has a ballot.
WRITTEN = ("voter_key", "choice", "source", "cast_by_id", "entered_by_id", "receipt_hash", "changes", "cast_at",
           "updated_at", "advisory", "building", "age_band", "tenure", "area_cents")
_version = (select(func.max(ProposalVersion.number)).where(ProposalVersion.proposal_id == _vote.c.proposal_id)
            .scalar_subquery())
_STILL_OPEN = (select(_vote.c.id, _version, *(bindparam(name, type_=_ballot.c[name].type) for name in WRITTEN))
               .where(_vote.c.id == bindparam("vote_id"), _vote.c.closed_at.is_(None),
                      or_(_vote.c.closes_at.is_(None), _vote.c.closes_at > bindparam("now", type_=_vote.c.closes_at.type)))
               .with_for_update(read=True, of=_vote))
_INSERT = {name: dialect.insert(_ballot).from_select(["vote_id", "proposal_version", *WRITTEN], _STILL_OPEN)
           .on_conflict_do_nothing(index_elements=["vote_id", "voter_key"])
           for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
# The token's last use, written when due (at most every API_TOKEN_USE_GRANULARITY, as
# accounts.services.api_token_used): decided in SQL, by `used_before`.
_TOKEN_USED = (update(_token)
               .where(_token.c.id == bindparam("token_id"),
                      or_(_token.c.last_used_at.is_(None), _token.c.last_used_at <= bindparam("used_before")))
               .values(last_used_at=bindparam("used_at")))
# On PostgreSQL the same statement also reads the notices that asked for the ballot and writes the token's last use,
# as its WITH (rolled back with it when nothing is inserted), and, once the ballot is in, takes the community's
# audit chain's lock and reads its last hash (audit.PG_HEAD, in RETURNING: only for a row inserted): up to three
# round trips fewer. SQLite has no such WITH (statements of their own there) and no chain lock (one writer at a
# time).
INSERT = {"sqlite": OnDriver(_INSERT["sqlite"].returning(_ballot.c.id)),
          "postgresql": OnDriver(_INSERT["postgresql"].add_cte(READ_ABOUT_PG.cte("answered"))
                                 .add_cte(_TOKEN_USED.cte("used"))
                                 .returning(_ballot.c.id, audit.PG_HEAD.label("head")))}
ANSWERED = OnDriver(READ_ABOUT)  # SQLite's statements of their own
TOKEN_USED = OnDriver(_TOKEN_USED)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def bearer(authorization: str) -> str:
    scheme, _sep, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def ordinary(vote_id: int, token: str, body: Any):
    """The read of the short way: the row of an ordinary new ballot (what `cast` needs), or None for the full
    way. In a request that reads first (db.reads_first) its transaction stays a read transaction."""
    if not token or not isinstance(body, dict) or len(body) != 1 or body.get("choice") not in YES_NO:
        return None
    session = db.session
    if session.get_bind().dialect.name not in INSERT:
        return None
    now = utcnow()
    row = READ.first(session.connection(), {"token_hash": _sha256(token), "now": now, "vote_id": vote_id})
    return row if _ordinary(row, now) else None


def cast(row, choice: str) -> dict | None:
    """The writes of the short way for a row of `ordinary`: committed, and the answer's body (201); or nothing
    written (rolled back) and None for the full way. On SQLite the read transaction becomes the write
    transaction here (db.to_writing)."""
    session = db.session
    receipt = new_receipt(row.vote_id)  # before the lock: nothing another writer could change
    writing = write_intent.set(True)
    try:
        connection = session.connection()
        to_writing(connection)
        answer = _write(connection, row, choice, receipt)
        if answer is None:
            session.rollback()
        else:
            session.commit()
        return answer
    finally:
        write_intent.reset(writing)


def _ordinary(row, now) -> bool:
    """What the full way would accept without a question: an active user, a member of the vote's community,
    a proposal vote by persons, open (not just due to open or close), its session out of its draft, and the
    user's person in the vote's frozen electorate (a ballot it already has is found by the INSERT)."""
    return (row is not None and row.is_active_account and row.vote_id is not None and row.role is not None
            and row.kind == VoteKind.PROPOSAL and row.basis == VoteBasis.PERSON and row.phase != Phase.DRAFT
            and row.opened_at is not None and row.closed_at is None
            and (row.closes_at is None or row.closes_at > now)
            and row.voter_key is not None and row.person_id in (row.person_ids or []))


def _write(connection, row, choice: str, receipt: tuple[str, str]) -> dict | None:
    now = utcnow()
    code, digest = receipt
    postgres = connection.dialect.name == "postgresql"
    token_use = {"token_id": row.token_id, "used_at": now, "used_before": now - API_TOKEN_USE_GRANULARITY}
    created = INSERT[connection.dialect.name].first(connection, {
        "vote_id": row.vote_id, "now": now, "voter_key": row.voter_key, "choice": choice,
        "source": BallotSource.ONLINE, "cast_by_id": row.user_id, "entered_by_id": None, "receipt_hash": digest,
        "changes": 0, "cast_at": now, "updated_at": now, "advisory": row.advisory, "building": row.building,
        "age_band": row.age_band, "tenure": row.tenure, "area_cents": row.area_cents,
        **(telling.voted_parameters(row.user_id, row.vote_id, now) | audit.pg_head_parameters(row.community_id)
           | token_use if postgres else {})})
    if created is None:
        # Closed meanwhile (the full way answers it, and stores the decision when it is due), or the voter key
        # has a ballot: a change, or a household's or a paper form's conflict.
        return None
    if not postgres:  # the token's last use when due (a statement saved when it is not), the notices read
        if row.last_used_at is None or row.last_used_at <= token_use["used_before"]:
            TOKEN_USED.run(connection, token_use)
        ANSWERED.run(connection, telling.voted_parameters(row.user_id, row.vote_id, now))
    # The audit event last: on PostgreSQL the community's chain stays locked from the INSERT's RETURNING to the
    # commit.
    data = {"advisory": row.advisory} if row.secret else {"advisory": row.advisory, "choice": choice}
    audit.append(connection, row.user_id, "ballot.cast", "Vote", row.vote_id, community_id=row.community_id,
                 head=(created.head or audit.GENESIS) if postgres else None, **data)
    return {"vote_id": row.vote_id, "receipt": code, "receipt_hash": digest, "choice": choice, "changed": False,
            "advisory": row.advisory}

