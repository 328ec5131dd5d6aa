"""Never double-booked: 50 simultaneous overlapping bookings through the real app, exactly one wins.

Each thread has its own test client; its requests push a fresh app context in that thread, so
each gets its own database session and connection, as separate app processes would.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from deliberation.booking.models import ACTIVE_STATUSES, Booking

THREADS = 50


def test_fifty_simultaneous_overlapping_bookings_give_one_201_and_forty_nine_409(
        app, session, make_user, community, make_room, api_token, slot
):
    room_id = make_room("书画室", capacity=30).id
    residents = [make_user(f"jumin{n:02d}", community) for n in range(10)]
    tokens = [api_token(user.username) for user in residents]
    base_start, ends_at = slot(2, "10:00", "12:00")
    # Every request overlaps every other one: all of them hold 10:30–12:00.
    bodies = [{"title": f"活动{n}", "attendance": 5, "ends_at": ends_at.isoformat(),
               "starts_at": (base_start + timedelta(minutes=n % 30)).isoformat()} for n in range(THREADS)]
    # The test's own session must not hold the SQLite write lock (or a PostgreSQL snapshot) meanwhile.
    session.commit()
    session.close()

    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, dict] | BaseException | None] = [None] * THREADS

    def attempt(n: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            response = client.post(f"/api/v1/rooms/{room_id}/bookings", json=bodies[n],
                                   headers=tokens[n % len(tokens)])
            results[n] = (response.status_code, response.get_json())
        except BaseException as error:  # reported below, with the thread's number
            results[n] = error

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    failures = [(n, r) for n, r in enumerate(results) if not isinstance(r, tuple)]
    assert not failures, failures
    statuses = sorted(status for status, _body in results)
    assert statuses == [201] + [409] * (THREADS - 1), statuses
    [winner] = [body for status, body in results if status == 201]
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "conflict"
            assert body["error"]["conflict"]["id"] == winner["id"]
            assert winner["title"] in body["error"]["message"]
    live = session.execute(select(func.count(Booking.id)).where(Booking.room_id == room_id,
                                                                Booking.status.in_(ACTIVE_STATUSES))).scalar()
    assert live == 1


PROCESSES = 5
THREADS_PER_PROCESS = 10


def _book_from_another_process(uri: str, room_id: int, jobs: list[tuple[dict, dict]], ready, results) -> None:
    """One app process: its own app, engine and connections; its threads post at the same moment."""
    from deliberation import create_app
    from tests.conftest import base_config

    app = create_app(base_config(uri))
    together = threading.Barrier(len(jobs))
    answers: list = [None] * len(jobs)

    def attempt(n: int) -> None:
        client = app.test_client()
        together.wait(timeout=60)
        body, headers = jobs[n]
        response = client.post(f"/api/v1/rooms/{room_id}/bookings", json=body, headers=headers)
        answers[n] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(jobs))]
    ready.wait(timeout=120)  # every process has built its app
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    results.put(answers)


def test_several_app_processes_booking_at_once_still_give_one_booking(
        app, session, make_user, community, make_room, api_token, slot
):
    """Fifty overlapping requests from five separate processes (ten threads each): one 201, 49 × 409."""
    import multiprocessing

    room_id = make_room("舞蹈房", capacity=30).id
    residents = [make_user(f"jumin{n:02d}", community) for n in range(10)]
    tokens = [api_token(user.username) for user in residents]
    base_start, ends_at = slot(3, "14:00", "16:00")
    jobs = [({"title": f"排练{n}", "attendance": 5, "ends_at": ends_at.isoformat(),
              "starts_at": (base_start + timedelta(minutes=n % 45)).isoformat()}, tokens[n % len(tokens)])
            for n in range(PROCESSES * THREADS_PER_PROCESS)]
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    session.commit()
    session.close()

    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Barrier(PROCESSES)
    queue = spawn.Queue()
    processes = [spawn.Process(target=_book_from_another_process,
                               args=(uri, room_id, jobs[p::PROCESSES], ready, queue)) for p in range(PROCESSES)]
    for process in processes:
        process.start()
    answers = [answer for _ in processes for answer in queue.get(timeout=300)]
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * PROCESSES
    assert None not in answers
    statuses = sorted(status for status, _body in answers)
    assert statuses == [201] + [409] * (len(jobs) - 1), statuses
    [winner] = [body for status, body in answers if status == 201]
    assert all(body["error"]["conflict"]["id"] == winner["id"] for status, body in answers if status == 409)
    live = session.execute(select(func.count(Booking.id)).where(Booking.room_id == room_id,
                                                                Booking.status.in_(ACTIVE_STATUSES))).scalar()
    assert live == 1
