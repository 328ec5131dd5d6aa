"""The demo survey loads through the services and reads as a survey under way."""

from __future__ import annotations

from deliberation.surveys import results
from deliberation.surveys.demo import TITLE, load_demo_survey


def test_the_demo_survey(session, client, login, community, secretary, make_user):
    for n in range(6):
        make_user(f"jumin{n}", community, building=f"{n % 2 + 1}号楼", room=f"{n + 1}01")
    survey = load_demo_survey(session, community, secretary, paper_forms=4)
    session.commit()
    assert survey.title == TITLE and survey.anonymous and survey.effective_state == "open"
    assert [q.kind for q in survey.questions] == ["single", "multiple", "scale_1_5", "ranking", "long_text"]
    summary = results.survey_summary(session, survey)
    assert summary.response_count == summary.paper_count == 4
    assert summary.eligible_count == 6 and summary.response_rate == "67%"
    assert sum(r.count for r in summary.questions[0].rows) == 4
    login("shuji")
    assert client.get(f"/surveys/{survey.id}/results").status_code == 200
