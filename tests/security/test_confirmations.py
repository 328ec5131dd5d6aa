"""Actions that cannot be undone ask first: closing a vote, publishing minutes, closing a survey now,
cancelling a booking. The first button is a link to a page (no JavaScript) that says what will
happen; only that page's POST (CSRF token, confirmed=yes) does it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deliberation.booking.models import Booking, BookingStatus
from deliberation.consultations.models import Consultation, Phase
from deliberation.minutes.models import Minutes, MinutesStatus
from deliberation.surveys.models import Survey, SurveyState
from deliberation.voting.models import Vote


def _vote_closed(session, world) -> bool:
    session.rollback()  # a fresh read: SQLite keeps a transaction's snapshot
    return session.get(Vote, world.obj("A", "vote"), populate_existing=True).closed_at is not None


def _minutes_published(session, world) -> bool:
    session.rollback()  # a fresh read: SQLite keeps a transaction's snapshot
    return session.execute(select(func.count(Minutes.id)).where(
        Minutes.consultation_id == world.obj("A", "consultation"), Minutes.status == MinutesStatus.PUBLISHED)
    ).scalar() > 0


def _survey_closed(session, world) -> bool:
    session.rollback()  # a fresh read: SQLite keeps a transaction's snapshot
    return session.get(Survey, world.obj("A", "survey"), populate_existing=True).state == SurveyState.CLOSED


def _booking_cancelled(session, world) -> bool:
    session.rollback()  # a fresh read: SQLite keeps a transaction's snapshot
    return session.get(Booking, world.obj("A", "booking"), populate_existing=True).status == BookingStatus.CANCELLED


def _draft_minutes(session, world) -> None:
    from deliberation.consultations.sessions import move_phase
    from deliberation.minutes import services

    moderator = world.users["mod_a"]
    consultation = session.get(Consultation, world.obj("A", "consultation"))
    move_phase(session, moderator, consultation, Phase.CLOSED)
    services.save_draft(session, moderator, consultation, closing_notes="按方案实施。", host="王书记", recorder="李干事")
    session.commit()


ACTIONS = [
    pytest.param("mod_a", "/votes/{vote}", "/votes/{vote}/close", "确认结束表决", _vote_closed, None,
                 id="close_a_vote"),
    pytest.param("mod_a", "/consultations/{consultation}/minutes?draft=1", "/consultations/{consultation}/minutes/publish",
                 "确认公布第1版纪要", _minutes_published, _draft_minutes, id="publish_minutes"),
    pytest.param("mod_a", "/surveys/{survey}", "/surveys/{survey}/close", "确认立即截止问卷", _survey_closed, None,
                 id="close_a_survey_now"),
    pytest.param("res_a", "/bookings/mine", "/bookings/{booking}/cancel", "确认取消", _booking_cancelled, None,
                 id="cancel_a_booking"),
]


def _urls(world, *templates: str) -> list[str]:
    ids = {kind: world.obj("A", kind) for kind in ("vote", "consultation", "survey", "booking")}
    return [t.format(**ids) for t in templates]


@pytest.mark.parametrize(("actor", "page", "url", "question", "happened", "setup"), ACTIONS)
def test_an_irreversible_action_happens_only_after_its_confirmation_page(
        session, world, clients, actor, page, url, question, happened, setup):
    if setup:
        setup(session, world)
    page, url = _urls(world, page, url)
    client, _headers = clients[actor]
    # the first button is a link to the confirmation page
    assert f'href="{url}"' in client.get(page).get_data(as_text=True)
    confirm = client.get(url)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and question in html and "这一步不能撤销" in html
    assert 'method="post"' in html and 'name="confirmed"' in html
    assert not happened(session, world)
    # a POST that did not come from the confirmation page goes there, and nothing happens
    direct = client.post(url)
    assert direct.status_code == 303 and direct.headers["Location"].split("?")[0].endswith(url)
    assert not happened(session, world)
    assert client.post(url, data={"confirmed": "no"}).status_code == 303
    assert not happened(session, world)
    # the confirmation page's POST does it
    assert client.post(url, data={"confirmed": "yes"}).status_code == 302
    assert happened(session, world)


@pytest.mark.parametrize(("actor", "page", "url", "question", "happened", "setup"), ACTIONS)
def test_a_confirmation_without_its_csrf_token_does_nothing(
        app, session, world, clients, actor, page, url, question, happened, setup):
    if setup:
        setup(session, world)
    _page, url = _urls(world, page, url)
    client, _headers = clients[actor]
    app.config["WTF_CSRF_ENABLED"] = True
    assert 'name="csrf_token"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"confirmed": "yes"}).status_code in (303, 400)
    assert not happened(session, world)


@pytest.mark.parametrize(("actor", "url"), [
    pytest.param("res_a", "/votes/{vote}/close", id="a_resident_cannot_close_a_vote"),
    pytest.param("res_b", "/votes/{vote}/close", id="another_community_does_not_see_it"),
    pytest.param("captain_a", "/bookings/{booking}/cancel", id="only_the_booker_cancels"),
])
def test_the_confirmation_page_is_refused_to_those_who_may_not_act(session, world, clients, actor, url):
    [url] = _urls(world, url)
    client, _headers = clients[actor]
    assert client.get(url).status_code in (403, 404)
    assert client.post(url, data={"confirmed": "yes"}).status_code in (403, 404)
    assert not _vote_closed(session, world) and not _booking_cancelled(session, world)
