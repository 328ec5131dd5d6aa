"""Two moderators publishing the same draft at once: one publication, the others refused (409).

Each thread has its own test client, so its requests get their own session and connection.
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from deliberation.minutes import services
from deliberation.minutes.models import Minutes, MinutesStatus

THREADS = 6


def test_simultaneous_publications_give_one_version(app, session, run, secretary, api_token):
    services.save_draft(session, secretary, run.consultation, closing_notes="同意实施。")
    consultation_id = run.consultation.id
    headers = api_token("shuji")
    session.commit()
    session.close()
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def attempt(n: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            response = client.post(f"/api/v1/consultations/{consultation_id}/minutes/publish", headers=headers)
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
    assert statuses == [201] + [409] * (THREADS - 1), results
    assert all(body["error"]["code"] == "conflict" for status, body in results if status == 409)
    rows = session.execute(select(Minutes.number, Minutes.status)).all()
    assert rows == [(1, MinutesStatus.PUBLISHED)]


def test_the_database_refuses_to_change_a_publication(session, run, secretary):
    import pytest
    from sqlalchemy import update
    from sqlalchemy.exc import DBAPIError

    services.save_draft(session, secretary, run.consultation, closing_notes="同意实施。")
    services.publish(session, secretary, run.consultation)
    session.commit()
    with pytest.raises(DBAPIError):
        session.execute(update(Minutes).values(closing_notes="改"))
    session.rollback()
    assert session.execute(select(Minutes.closing_notes)).scalar_one() == "同意实施。"
