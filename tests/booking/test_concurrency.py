"""Never double-booked: 50 simultaneous overlapping bookings through the real app, exactly one wins.

Each thread has its own test client; its requests push a fresh app context in that thread, so
each gets its own database session and connection, as separate app processes would.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, func, select

from deliberation.booking.models import ACTIVE_STATUSES, Booking
from deliberation.extensions import db

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


def _post_while_another_books(app, path: str, body: dict, headers: dict, *, room_id: int, neighbour_id: int,
                              starts_at, ends_at) -> tuple:
    """POST the request; once it has read its checks on bookings, at the very moment it turns to writing (BEGIN
    IMMEDIATE), another writer (a plain engine, outside this process's line) books the slot. The answer, and the
    id of the other booking (None if the request never turned to writing)."""
    from deliberation.booking.models import BookingStatus

    other = create_engine(db.engine.url)
    checked: list[str] = []
    taken: list[int] = []

    def book_meanwhile(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT") and "FROM bookings" in statement:
            checked.append(statement)  # the request is reading its checks
        if statement == "BEGIN IMMEDIATE" and checked and not taken:
            with other.begin() as connection:
                taken.append(connection.execute(Booking.__table__.insert().values(
                    room_id=room_id, booked_by_id=neighbour_id, title="先来的活动", attendance=4,
                    starts_at=starts_at, ends_at=ends_at, status=BookingStatus.APPROVED)).inserted_primary_key[0])

    event.listen(db.engine, "before_cursor_execute", book_meanwhile)
    try:
        response = app.test_client().post(path, headers=headers, json=body)
    finally:
        event.remove(db.engine, "before_cursor_execute", book_meanwhile)
        other.dispose()
    return response, (taken[0] if taken else None)


def test_a_slot_taken_between_the_reads_and_the_write_lock_is_refused(
        app, session, is_postgres, make_user, community, make_room, api_token, slot
):
    """SQLite: a booking reads its checks outside the write lock (db.reads_first). Another writer that books the
    slot in between — here at the very moment the request turns to writing — is seen by the checks made again
    under the lock: 409 naming that booking, never a second booking."""
    if is_postgres:
        pytest.skip("PostgreSQL checks under the community's advisory lock, in one transaction")
    room_id = make_room("棋牌室", capacity=10).id
    neighbour_id = make_user("lishushu", community).id
    headers = api_token(make_user("wangayi", community).username)
    starts_at, ends_at = slot(4, "09:00", "11:00")
    session.commit()
    session.close()
    body = {"title": "后到的活动", "attendance": 5, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()}
    response, taken = _post_while_another_books(app, f"/api/v1/rooms/{room_id}/bookings", body, headers,
                                                room_id=room_id, neighbour_id=neighbour_id,
                                                starts_at=starts_at, ends_at=ends_at)
    assert taken, ("the request never turned from reading to writing", response.status_code, response.get_json())
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["conflict"]["id"] == taken
    live = session.execute(select(func.count(Booking.id)).where(Booking.room_id == room_id,
                                                                Booking.status.in_(ACTIVE_STATUSES))).scalar()
    assert live == 1


def test_a_series_date_taken_between_the_reads_and_the_write_lock_is_reported_not_double_booked(
        app, session, is_postgres, make_user, community, make_room, api_token, slot, monday
):
    """SQLite: a weekly series reads its checks outside the write lock too. Another writer that books one of
    its dates in between is seen by the checks made again under the lock: that date is reported as not
    booked, naming the other booking, and the series books only its other dates, never a second booking."""
    if is_postgres:
        pytest.skip("PostgreSQL checks under the community's advisory lock, in one transaction")
    room_id = make_room("活动室", capacity=10).id
    neighbour_id = make_user("lishushu", community).id
    headers = api_token(make_user("wangayi", community).username)
    tuesdays = [monday + timedelta(days=offset) for offset in (1, 8, 15)]
    starts_at, ends_at = slot(8, "09:00", "11:00")  # the series' second Tuesday
    session.commit()
    session.close()
    body = {"title": "每周练习", "attendance": 5, "weekday": 1, "start_time": "09:00", "end_time": "11:00",
            "first_day": monday.isoformat(), "until": (monday + timedelta(weeks=3)).isoformat(),
            "book_free_dates": True}
    response, taken = _post_while_another_books(app, f"/api/v1/rooms/{room_id}/series", body, headers,
                                                room_id=room_id, neighbour_id=neighbour_id,
                                                starts_at=starts_at, ends_at=ends_at)
    assert taken, ("the request never turned from reading to writing", response.status_code, response.get_json())
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    [not_booked] = answer["not_booked"]
    assert not_booked["date"] == tuesdays[1].isoformat()
    assert not_booked["conflict"]["id"] == taken
    assert [b["starts_at"][:10] for b in answer["bookings"]] == [tuesdays[0].isoformat(), tuesdays[2].isoformat()]
    live = session.execute(select(func.count(Booking.id)).where(
        Booking.room_id == room_id, Booking.status.in_(ACTIVE_STATUSES),
        Booking.starts_at < ends_at, Booking.ends_at > starts_at)).scalar()
    assert live == 1
