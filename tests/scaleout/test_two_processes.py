"""Scale-out, shown: two app processes on different ports against one PostgreSQL and one Redis.

A ballot cast on one shows on the hall display served by the other within 2 s; a rate limit
(LOGIN_RATE_LIMIT, set low for both) counts the requests of both; two simultaneous bookings of one
slot, one to each process, give one booking and one 409. Nothing a process needs lives in another
process's memory.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from datetime import time as clock_time
from datetime import timedelta

import pytest
import requests

from tests.conftest import PASSWORD
from tests.scaleout.conftest import LOGIN_LIMIT, login_attempt, sign_in


@pytest.fixture
def voting_setup(session, make_community, make_user):
    """An open vote (one person, one ballot) with a moderator and a resident who may vote."""
    from deliberation.consultations import services as consultations
    from deliberation.consultations.models import Phase
    from deliberation.voting import services as voting

    community = make_community("银杏居民区")
    moderator = make_user("moderator", community, role="moderator")
    resident = make_user("voter", community)
    consultation = consultations.create_consultation(session, moderator, community, consultations.ConsultationInput(
        title="大门门禁更换", background="两台进程的表决"))
    proposal = consultations.create_proposal(session, moderator, consultation, "更换门禁", "更换三处大门的门禁")
    consultations.move_phase(session, moderator, consultation, Phase.COMMENTING)
    consultations.move_phase(session, moderator, consultation, Phase.VOTING)
    vote = voting.create_vote(session, moderator, consultation, voting.VoteInput(
        title="是否更换门禁", proposal_id=proposal.id, rule_name="simple_majority", basis="person"))
    voting.open_vote(session, moderator, vote)
    session.commit()
    return vote.id, moderator, resident


def _token(session, user) -> str:
    from deliberation.accounts.services import issue_api_token

    token = issue_api_token(session, user, timedelta(days=1))
    session.commit()
    return token


DEADLINE = 30  # seconds: how long anything here may take on a machine kept busy by other work


def _read_events(response: requests.Response, events: queue.Queue) -> None:
    """Figures events of a server-sent event stream, put on a queue as they arrive."""
    name = None
    try:
        for line in response.iter_lines(chunk_size=1, decode_unicode=True):
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name == "figures":
                events.put((time.monotonic(), json.loads(line.split(":", 1)[1])))
    except (requests.RequestException, AttributeError, ValueError):
        pass  # the stream was closed by the test


def test_a_ballot_cast_on_one_process_shows_on_the_hall_display_of_the_other(
        hosts, clean_limits, session, shared_redis, voting_setup):
    first, second = hosts
    vote_id, moderator, resident = voting_setup
    token = _token(session, resident)
    pubsub = shared_redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(f"deliberation:vote:{vote_id}")

    display = sign_in(second.url, moderator.username, PASSWORD)
    stream = display.get(f"{second.url}/votes/{vote_id}/live", stream=True, timeout=(5, 30))
    assert stream.status_code == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    events: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_read_events, args=(stream, events), daemon=True)
    reader.start()
    try:
        _at, figures = events.get(timeout=DEADLINE)
        assert figures["participants"] == 0

        cast = requests.post(f"{first.url}/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"},
                             headers={"Authorization": f"Bearer {token}"}, timeout=DEADLINE)
        assert cast.status_code == 201, cast.text

        # How soon is the hall stream's own test (tests/voting/test_pages.py): a second's poll, or at
        # once on a publication. Here: that it shows at all, on the other process, and that the
        # ballot was published through Redis. A deadline, not a stopwatch: the machine may be busy.
        deadline = time.monotonic() + DEADLINE
        seen = False
        while not seen and time.monotonic() < deadline:
            try:
                _at, figures = events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen = figures["participants"] == 1
        assert seen, f"the other process's hall display did not show the ballot within {DEADLINE} s"
        assert figures["online"] == 1

        # The ballot was announced through Redis, where every process's streams listen.
        message = None
        deadline = time.monotonic() + DEADLINE
        while message is None and time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.2)
        assert message is not None and message["channel"] == f"deliberation:vote:{vote_id}".encode()
    finally:
        stream.close()
        pubsub.close()


def test_rate_limits_count_the_requests_of_both_processes(hosts, clean_limits, make_community, make_user):
    """LOGIN_RATE_LIMIT allows 4 sign-ins a minute per address: 2 + 2 on two processes use it up."""
    first, second = hosts
    make_user("limited", make_community())
    for host in (first, second) * (LOGIN_LIMIT // 2):
        _http, answer = login_attempt(host.url, "limited", PASSWORD)
        assert answer.status_code == 302, answer.text[:300]
    for host in (first, second):
        _http, refused = login_attempt(host.url, "limited", PASSWORD)
        assert refused.status_code == 429, f"{host.url} let one more sign-in through: limits are per process"


def test_a_booking_conflict_is_caught_across_processes(hosts, clean_limits, session, make_community, make_user):
    from deliberation.booking.models import local_to_utc
    from deliberation.booking.rooms import create_room
    from deliberation.booking.schedule import local_today
    from deliberation.booking.setup import set_max_future_bookings, set_opening_hours

    first, second = hosts
    community = make_community()
    moderator = make_user("stationmaster", community, role="moderator")
    residents = [make_user("dancer", community), make_user("painter", community)]
    room = create_room(session, moderator, community, name="多功能会议室", capacity=30)
    set_opening_hours(session, moderator, room, [(d, clock_time(0), clock_time(0)) for d in range(7)])
    set_max_future_bookings(session, moderator, community, 50)
    session.commit()
    tokens = [_token(session, user) for user in residents]
    room_id = room.id
    start = local_to_utc(local_today() + timedelta(days=3), clock_time(9))

    for slot in range(5):
        starts = start + timedelta(hours=slot)
        body = {"title": "排练", "attendance": 10, "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat()}
        barrier = threading.Barrier(2)
        answers: list[requests.Response] = []

        def book(host, token, body=body, barrier=barrier, answers=answers):
            barrier.wait()
            answers.append(requests.post(f"{host.url}/api/v1/rooms/{room_id}/bookings", json=body,
                                         headers={"Authorization": f"Bearer {token}"}, timeout=30))

        threads = [threading.Thread(target=book, args=(host, token)) for host, token in zip(hosts, tokens, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        refused = next(a for a in answers if a.status_code == 409).json()["error"]
        kept = next(a for a in answers if a.status_code == 201).json()
        assert refused["conflict"]["id"] == kept["id"]

    from sqlalchemy import func, select

    from deliberation.booking.models import Booking

    session.rollback()
    assert session.execute(select(func.count(Booking.id)).where(Booking.room_id == room_id)).scalar() == 5
