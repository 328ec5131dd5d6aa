"""Whom a survey tells what: its opening and its results to those who may answer (in each one's language,
with the page's link), once however it got there, and reminders before the close to those who have not
submitted an answer — never to those who have, online or on paper, named or anonymous."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from deliberation.consultations.models import Notification
from deliberation.consultations.reminders import send_due
from deliberation.db import utcnow
from deliberation.formatting import format_datetime
from deliberation.surveys import answering, builder
from deliberation.surveys.paper import enter_paper_response
from tests.surveys.conftest import full_answers


def told(session, kind: str) -> list[int]:
    return list(session.execute(select(Notification.user_id).where(Notification.kind == kind)
                                .order_by(Notification.user_id, Notification.id)).scalars())


def test_publishing_tells_those_who_may_answer_in_their_language(session, make_survey, resident, neighbour):
    neighbour.locale = "en"
    session.commit()
    survey = make_survey("服务站需求调查", closes_at=utcnow() + timedelta(days=5))
    notes = {n.user_id: n for n in session.execute(select(Notification).where(Notification.kind == "survey"))
             .scalars()}
    assert sorted(notes) == sorted([resident.id, neighbour.id])
    when = format_datetime(survey.closes_at)
    assert notes[resident.id].text == f"新问卷“服务站需求调查”已开始，请在 {when} 前填写"
    assert notes[neighbour.id].text == f"A new survey “服务站需求调查” has opened: please answer before {when}"
    assert {n.link for n in notes.values()} == {f"/surveys/{survey.id}"}


def test_a_scheduled_opening_is_told_when_its_time_comes_and_once(session, make_survey, resident, neighbour):
    survey = make_survey(opens_at=utcnow() + timedelta(days=1), closes_at=utcnow() + timedelta(days=5))
    assert told(session, "survey") == []
    send_due(session, survey.opens_at - timedelta(minutes=1))
    assert told(session, "survey") == []
    send_due(session, survey.opens_at + timedelta(minutes=1))
    send_due(session, survey.opens_at + timedelta(minutes=2))
    assert told(session, "survey") == sorted([resident.id, neighbour.id])


def test_closing_tells_that_the_results_are_out_once(session, make_survey, secretary, resident, neighbour):
    neighbour.locale = "en"
    session.commit()
    survey = make_survey(closes_at=utcnow() + timedelta(days=5))
    builder.close_survey(session, secretary, survey)
    send_due(session, utcnow())
    results = session.execute(select(Notification.user_id, Notification.text, Notification.link).where(
        Notification.kind == "survey", Notification.link.like("%/results"))).all()
    page = f"/surveys/{survey.id}/results"
    assert sorted(results) == sorted([
        (resident.id, f"问卷“{survey.title}”已截止，可以查看结果", page),
        (neighbour.id, f"The survey “{survey.title}” has closed: its results can be seen", page),
    ])


def test_a_close_by_the_clock_tells_the_results_once(session, make_survey, resident, neighbour):
    survey = make_survey(closes_at=utcnow() + timedelta(days=5))
    send_due(session, survey.closes_at + timedelta(minutes=1))
    send_due(session, survey.closes_at + timedelta(minutes=2))
    results = session.execute(select(Notification.user_id).where(
        Notification.kind == "survey", Notification.text.like("%可以查看结果"))).scalars().all()
    assert sorted(results) == sorted([resident.id, neighbour.id])


def take_part(how: str, session, survey, resident, secretary) -> None:
    """The resident takes part this way (or only begins)."""
    if how in ("online", "anonymous_online"):
        answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    elif how in ("draft", "anonymous_draft"):
        answering.save_response(session, resident, survey, {}, submit=False)
    elif how == "paper":
        building = resident.person.household.unit.building
        enter_paper_response(session, secretary, survey, full_answers(survey), building_id=building.id,
                             room="302", person_name=resident.person.name)
    elif how != "nothing":
        raise AssertionError(how)


@pytest.mark.parametrize(("how", "reminded"), [
    pytest.param("online", False, id="answered_online"),
    pytest.param("anonymous_online", False, id="answered_anonymously"),
    pytest.param("paper", False, id="answered_on_paper"),
    pytest.param("draft", True, id="a_draft_is_not_an_answer"),
    pytest.param("anonymous_draft", True, id="an_anonymous_draft_is_not_an_answer"),
    pytest.param("nothing", True, id="not_begun"),
])
def test_only_those_who_have_not_answered_are_reminded_once(session, make_survey, secretary, resident, neighbour,
                                                            how, reminded):
    survey = make_survey(closes_at=utcnow() + timedelta(days=5),
                         anonymity="anonymous" if how.startswith("anonymous") else "named")
    take_part(how, session, survey, resident, secretary)
    session.commit()
    moment = survey.closes_at - timedelta(days=1)
    assert send_due(session, moment - timedelta(minutes=1)) == 0
    send_due(session, moment + timedelta(minutes=1))
    send_due(session, moment + timedelta(minutes=2))
    expected = sorted([neighbour.id, *([resident.id] if reminded else [])])
    assert told(session, "reminder") == expected
    note = session.execute(select(Notification).where(Notification.kind == "reminder")).scalars().first()
    assert note.link == f"/surveys/{survey.id}"


def unread(session, user, link: str) -> list[str]:
    """The kinds of the user's unread notices linking to this page."""
    return sorted(session.execute(select(Notification.kind).where(
        Notification.user_id == user.id, Notification.link == link, Notification.read_at.is_(None))).scalars())


def test_submitting_the_answer_reads_the_notices_that_asked_for_it(session, make_survey, resident, neighbour):
    survey = make_survey(closes_at=utcnow() + timedelta(days=5))
    other = make_survey("楼道照明满意度调查")
    send_due(session, survey.closes_at - timedelta(days=1) + timedelta(minutes=1))
    session.commit()
    page = f"/surveys/{survey.id}"
    assert unread(session, resident, page) == ["reminder", "survey"]
    answering.save_response(session, resident, survey, full_answers(survey, q1=None), submit=False)
    session.commit()
    assert unread(session, resident, page) == ["reminder", "survey"]  # a draft is not an answer yet
    answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    session.commit()
    assert unread(session, resident, page) == []
    assert unread(session, resident, f"/surveys/{other.id}") == ["survey"]  # the other survey still waits
    assert unread(session, neighbour, page) == ["reminder", "survey"]


def test_a_closed_survey_reminds_nobody(session, make_survey, secretary, resident, neighbour):
    survey = make_survey(closes_at=utcnow() + timedelta(days=5))
    builder.close_survey(session, secretary, survey)
    send_due(session, survey.closes_at - timedelta(hours=12))
    assert told(session, "reminder") == []


def test_the_moderator_sets_the_days_in_the_form(client, login, session, make_survey, secretary):
    survey = make_survey(publish=False)
    login(secretary.username)
    page = client.get(f"/surveys/{survey.id}/edit").get_data(as_text=True)
    assert 'name="reminder_days"' in page and 'value="1"' in page
    response = client.post(f"/surveys/{survey.id}/edit", data={
        "title": survey.title, "anonymity": "named", "consultation_id": "0", "reminder_days": "零"})
    assert response.status_code == 422 and "如 3,1" in response.get_data(as_text=True)
    client.post(f"/surveys/{survey.id}/edit", data={
        "title": survey.title, "anonymity": "named", "consultation_id": "0", "reminder_days": "3,1"})
    session.refresh(survey)
    assert survey.reminder_days == "3,1"


def test_the_api_takes_and_shows_the_reminder_days(client, api_token, community, secretary):
    headers = api_token(secretary.username)
    body = {"title": "楼道照明满意度调查", "reminder_days": "1 3"}
    created = client.post(f"/api/v1/communities/{community.id}/surveys", json=body, headers=headers)
    assert created.status_code == 201 and created.get_json()["reminder_days"] == "3,1"
    refused = client.post(f"/api/v1/communities/{community.id}/surveys", json={**body, "reminder_days": "0"},
                          headers=headers)
    assert refused.status_code == 422 and "reminder_days" in refused.get_json()["error"]["fields"]
