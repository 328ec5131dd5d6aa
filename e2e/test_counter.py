"""Help at the counter (帮办): the secretary at her desk records, for a resident who came in, a survey answer and a
ballot of an open vote, each with how the resident agreed; the resident later opens them on a 375 px phone in
关怀版, sees "由 … 代为录入（…）" and changes both themselves. A secret vote is listed with its paper form instead.
axe is clean on every page, in the ordinary mode and in 关怀版."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from deliberation.demo import DEMO_PASSWORD
from e2e.conftest import assert_accessible, first_proposal, sign_in

pytestmark = pytest.mark.e2e

VOTE_TITLE = "是否同意在服务站门口加装无障碍坡道"
SURVEY_TITLE = "老年助餐点需求小调查"


def _setting(server) -> dict:
    """An open vote that is not secret, a named survey, the demo's secret vote opened; resident1 and their name."""
    from deliberation.accounts.models import Community, User
    from deliberation.extensions import db
    from deliberation.surveys import builder
    from deliberation.voting import services as voting
    from deliberation.voting.demo import TITLE as SECRET_TITLE
    from deliberation.voting.lifecycle import VoteInput, create_vote
    from deliberation.voting.models import Vote

    consultation_id, proposal_id = first_proposal(server)
    with server.app.app_context():
        session = db.session
        secretary = session.execute(select(User).where(User.username == "shuji")).scalar_one()
        community = session.execute(select(Community).where(Community.name == "银杏居民区")).scalar_one()
        from deliberation.consultations.models import Consultation

        consultation = session.get(Consultation, consultation_id)
        vote = create_vote(session, secretary, consultation, VoteInput(title=VOTE_TITLE, proposal_id=proposal_id))
        voting.open_vote(session, secretary, vote)
        secret = session.execute(select(Vote).where(Vote.title == SECRET_TITLE)).scalar_one()
        voting.open_vote(session, secretary, secret)
        survey = builder.create_survey(session, secretary, community, builder.SurveyInput(title=SURVEY_TITLE))
        builder.add_question(session, secretary, survey, builder.QuestionInput(
            "single", "您需要助餐点送餐上门吗？", required=True, options=["需要", "不需要"]))
        builder.publish_survey(session, secretary, survey)
        session.commit()
        resident = session.execute(select(User).where(User.username == "resident1")).scalar_one()
        found = {"community": community.id, "vote": vote.id, "survey": survey.id, "name": resident.person.name,
                 "secretary": secretary.display_name}
        db.session.remove()
    return found


def _care(page, on: bool) -> None:
    if (page.get_attribute("#care-toggle", "aria-pressed") == "true") != on:
        with page.expect_navigation():
            page.click("#care-toggle")


def _both_modes(page, name: str) -> None:
    """axe in the ordinary mode and in 关怀版, leaving the page as it found it."""
    was_care = page.get_attribute("#care-toggle", "aria-pressed") == "true"
    _care(page, False)
    assert_accessible(page, f"{name}")
    _care(page, True)
    assert_accessible(page, f"{name}-care")
    _care(page, was_care)


def test_the_secretary_records_at_the_counter_and_the_resident_changes_it_on_a_phone(live_server, desktop, phone):
    url = live_server.url
    s = _setting(live_server)
    marker = re.compile(rf"由 主持人 {re.escape(s['secretary'])} 于 \d+月\d+日 代为录入（(本人到场|电话确认|书面委托)）")

    # At the desk: find the resident, see what they can be helped with.
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    desktop.goto(f"{url}/communities/{s['community']}")
    with desktop.expect_navigation():
        desktop.click("text=代为录入")
    desktop.fill("#q", s["name"])
    with desktop.expect_navigation():
        desktop.click("button[type=submit].primary")
    _both_modes(desktop, "counter-search")
    with desktop.expect_navigation():
        desktop.locator("ul.residents a", has_text=s["name"]).first.click()
    body = desktop.inner_text("main")
    assert VOTE_TITLE in body and SURVEY_TITLE in body and "请该居民填写纸质表决单" in body  # the secret vote
    _both_modes(desktop, "counter-resident")

    # The survey answer, the resident present (本人到场).
    with desktop.expect_navigation():
        desktop.click(f"text={SURVEY_TITLE}")
    _both_modes(desktop, "counter-survey")
    desktop.check("input[name=consent][value=in_person]")
    desktop.locator("fieldset.question label.option", has_text="不需要").click()
    with desktop.expect_navigation():
        desktop.click("button[type=submit].primary")
    assert "已为" in desktop.inner_text(".flashes")

    # The ballot, the resident's wish confirmed by phone; a form without a consent is refused first.
    with desktop.expect_navigation():
        desktop.click(f"text={VOTE_TITLE}")
    _both_modes(desktop, "counter-ballot")
    desktop.check("#choice-agree")
    with desktop.expect_navigation():
        desktop.click("button[type=submit].primary")
    assert "请选择居民同意的方式" in desktop.inner_text("main")
    desktop.check("input[name=consent][value=phone]")
    desktop.check("#choice-agree")
    with desktop.expect_navigation():
        desktop.click("button[type=submit].primary")
    assert "回执码" in desktop.inner_text(".flashes")

    # Later, on the resident's phone in 关怀版: the ballot shows who typed it in; they change it themselves.
    sign_in(phone, url, "resident1", DEMO_PASSWORD)
    phone.goto(f"{url}/votes/{s['vote']}")
    _care(phone, True)
    shown = phone.inner_text(".assisted-marker")
    assert marker.search(shown) and "电话确认" in shown
    assert phone.evaluate("document.documentElement.scrollWidth") <= 376
    _both_modes(phone, "counter-resident-vote")
    with phone.expect_navigation():
        phone.click("button.vote-button.disagree")
    assert "不同意" in phone.inner_text("#my-choice") and phone.locator(".assisted-marker").count() == 0

    # The survey answer likewise.
    phone.goto(f"{url}/surveys/{s['survey']}/answer")
    assert "本人到场" in phone.inner_text(".assisted-marker")
    _both_modes(phone, "counter-resident-survey")
    phone.locator("fieldset.question label.option", has_text="需要").first.click()
    with phone.expect_navigation():
        phone.click("button[name=action][value=submit]")
    phone.goto(f"{url}/surveys/{s['survey']}/answer")
    assert phone.locator(".assisted-marker").count() == 0
    assert phone.locator("input[type=radio][value='0']").is_checked()  # 需要, as they chose

    # The notification said who recorded what, and that they may change it.
    phone.goto(f"{url}/notifications")
    notes = phone.inner_text("main")
    assert f"{s['secretary']} 已代您录入" in notes and "您可以自行修改" in notes
