"""No global lock on the audit log (issue 21, item 5), shown with two app processes against one PostgreSQL.

While a transaction that appended to 银杏's chain stays open, a ballot cast in 梧桐 on one process is
answered at once, and a ballot cast in 银杏 on the other waits, on the advisory lock of 银杏's chain
(seen in pg_locks and pg_stat_activity), until that transaction ends. Appends of different communities
never wait for each other.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.audit import AuditEvent

DEADLINE = 30  # seconds: a bound, not a stopwatch; the machine may be busy


def _open_vote(session, make_community, make_user, name: str):
    """A community with an open vote and a resident who may cast, and that resident's API token."""
    from deliberation.accounts.services import issue_api_token
    from deliberation.consultations import services as consultations
    from deliberation.consultations.models import Phase
    from deliberation.voting import services as voting

    community = make_community(name)
    moderator = make_user(f"mod_{community.id}", community, role="moderator")
    resident = make_user(f"voter_{community.id}", community)
    consultation = consultations.create_consultation(session, moderator, community, consultations.ConsultationInput(
        title="大门门禁更换", background="两个居民区同时表决"))
    proposal = consultations.create_proposal(session, moderator, consultation, "更换门禁", "更换三处大门的门禁")
    consultations.move_phase(session, moderator, consultation, Phase.COMMENTING)
    consultations.move_phase(session, moderator, consultation, Phase.VOTING)
    vote = voting.create_vote(session, moderator, consultation, voting.VoteInput(
        title="是否更换门禁", proposal_id=proposal.id, rule_name="simple_majority", basis="person"))
    voting.open_vote(session, moderator, vote)
    token = issue_api_token(session, resident, timedelta(days=1))
    session.commit()
    return community.id, vote.id, token


def _cast(url: str, vote_id: int, token: str) -> requests.Response:
    return requests.post(f"{url}/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"},
                         headers={"Authorization": f"Bearer {token}"}, timeout=DEADLINE * 2)


def _waiters(session, chain: int) -> tuple[int, int]:
    """(sessions waiting for the lock of this chain, backends waiting on any advisory lock)."""
    session.rollback()  # a fresh snapshot of the statistics
    on_chain = session.execute(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = :key AND objid = :chain AND objsubid = 2"), {"key": audit._PG_LOCK_KEY, "chain": chain}).scalar()
    advisory = session.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND wait_event = 'advisory'")).scalar()
    return on_chain, advisory


def test_a_held_chain_holds_up_its_own_community_on_the_other_process_and_no_other(
        hosts, clean_limits, session, make_community, make_user, app):
    first, second = hosts
    a, vote_a, token_a = _open_vote(session, make_community, make_user, "银杏居民区")
    b, vote_b, token_b = _open_vote(session, make_community, make_user, "梧桐居民区")
    holder_engine = create_engine(session.get_bind().url)
    answers: dict[str, requests.Response] = {}
    try:
        with Session(holder_engine) as holder:
            # A request of 银杏 still inside its transaction: it has appended to 银杏's chain.
            audit.record(holder, None, "test.held_open", community_id=a)

            started = time.monotonic()
            cast_b = _cast(first.url, vote_b, token_b)
            assert cast_b.status_code == 201, cast_b.text
            assert time.monotonic() - started < DEADLINE

            waiting = threading.Thread(target=lambda: answers.setdefault("a", _cast(second.url, vote_a, token_a)))
            waiting.start()
            deadline = time.monotonic() + DEADLINE
            while _waiters(session, a) == (0, 0) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _waiters(session, a) == (1, 1), "the ballot of 银杏 did not wait on its chain's lock"
            assert _waiters(session, b)[0] == 0 and "a" not in answers
            holder.commit()
        waiting.join(timeout=DEADLINE)
        assert answers["a"].status_code == 201, answers["a"].text
    finally:
        holder_engine.dispose()
    session.rollback()
    casts = session.execute(select(AuditEvent.chain, AuditEvent.action).where(
        AuditEvent.action.in_(["ballot.cast", "test.held_open"])).order_by(AuditEvent.id)).all()
    assert [tuple(row) for row in casts] == [(a, "test.held_open"), (b, "ballot.cast"), (a, "ballot.cast")]
    assert audit.verify(session).ok
