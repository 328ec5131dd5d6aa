"""One ballot per voter key, whatever arrives at once: 50 simultaneous ballots from one voter and
50 from 50 other voters through the real app give exactly 51 ballots.

Each thread has its own test client; its requests push a fresh app context in that thread, so each
gets its own database session and connection, as separate app processes would.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from deliberation.voting.models import Ballot

THREADS = 50


def test_fifty_from_one_voter_and_fifty_from_fifty_voters_count_fifty_one(
        app, session, make_user, community, make_vote, api_token):
    voters = [make_user(f"jumin{n:02d}", community, building=f"{n % 5 + 1}号楼", room=f"{n + 1:02d}01")
              for n in range(THREADS + 1)]
    vote = make_vote()
    vote_id = vote.id
    tokens = [api_token(user.username) for user in voters]
    requests = [(tokens[0], ("agree", "disagree", "abstain")[n % 3]) for n in range(THREADS)]
    requests += [(tokens[n + 1], "agree") for n in range(THREADS)]
    key = f"p:{voters[0].person_id}"
    session.commit()
    session.close()

    barrier = threading.Barrier(len(requests))
    results: list[tuple[int, dict] | BaseException | None] = [None] * len(requests)

    def attempt(n: int) -> None:
        client = app.test_client()
        headers, choice = requests[n]
        try:
            barrier.wait(timeout=60)
            response = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": choice}, headers=headers)
            results[n] = (response.status_code, response.get_json())
        except BaseException as error:  # reported below, with the thread's number
            results[n] = error

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    failures = [(n, r) for n, r in enumerate(results) if not isinstance(r, tuple)]
    assert not failures, failures
    same_voter = sorted(status for status, _body in results[:THREADS])
    assert same_voter == [200] * (THREADS - 1) + [201], same_voter
    others = [status for status, _body in results[THREADS:]]
    assert others == [201] * THREADS, others
    for status, body in results:
        assert body["receipt"] and body["changed"] is (status == 200)

    count = session.execute(select(func.count(Ballot.id)).where(Ballot.vote_id == vote_id)).scalar()
    assert count == THREADS + 1
    # The one voter's ballot holds the choice of the last request to commit: one of those sent.
    kept = session.execute(select(Ballot).where(Ballot.vote_id == vote_id, Ballot.voter_key == key)).scalar_one()
    assert kept.changes == THREADS - 1
    assert kept.receipt_hash in {body["receipt_hash"] for _s, body in results[:THREADS]}


def test_a_close_racing_with_ballots_counts_exactly_the_ballots_it_accepted(
        app, session, make_user, community, make_vote, api_token):
    voters = [make_user(f"jumin{n:02d}", community, room=f"{n + 1:02d}03") for n in range(20)]
    vote = make_vote(secret=True)
    vote_id = vote.id
    tokens = [api_token(user.username) for user in voters]
    moderator = api_token("shuji")
    session.commit()
    session.close()

    barrier = threading.Barrier(len(tokens) + 1)
    results: list = [None] * (len(tokens) + 1)

    def attempt(n: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=60)
            if n == len(tokens):
                response = client.post(f"/api/v1/votes/{vote_id}/close", headers=moderator)
            else:
                response = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"},
                                       headers=tokens[n])
            results[n] = (response.status_code, response.get_json())
        except BaseException as error:
            results[n] = error

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(results))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert all(isinstance(r, tuple) for r in results), results
    assert results[-1][0] == 200
    statuses = [status for status, _body in results[:-1]]
    assert set(statuses) <= {201, 409}, statuses
    accepted = statuses.count(201)
    stored = app.test_client().get(f"/api/v1/votes/{vote_id}/result", headers=moderator).get_json()
    assert stored["participants"] == accepted
    ballots = session.execute(select(Ballot).where(Ballot.vote_id == vote_id)).scalars().all()
    assert len(ballots) == accepted
    assert all(b.voter_key is None for b in ballots)  # none slipped in after the unlinking
