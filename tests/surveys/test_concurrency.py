"""One response each, even when the same resident submits from several devices at the same moment."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from deliberation.surveys.models import Answer, Participation, Response
from tests.surveys.conftest import full_answers

THREADS = 8


def test_simultaneous_first_submissions_give_one_response(app, session, resident, survey, api_token):
    headers = api_token("wangayi")
    body = {"answers": [
        {"question_id": qid, "choices": a.choices, "value": a.value, "ranking": a.ranking, "text": a.text}
        for qid, a in full_answers(survey).items()]}
    survey_id = survey.id
    session.commit()
    session.close()
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def attempt(n: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            response = client.post(f"/api/v1/surveys/{survey_id}/responses", json=body, headers=headers)
            results[n] = (response.status_code, response.get_json())
        except BaseException as error:  # reported below
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
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "conflict"
    assert session.execute(select(func.count(Response.id))).scalar() == 1
    assert session.execute(select(func.count(Participation.id))).scalar() == 1
    assert session.execute(select(func.count(Answer.id))).scalar() == 8
