"""The front door (待我参与): an elderly owner turns on 关怀版 on a 375 px phone, signs in and finds the open vote and a
survey of the whole community on the home page, votes, and the vote leaves the list; a comment she reports shows
up on the secretary's home. axe-core finds nothing serious on either home, in either mode."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from deliberation.demo import DEMO_PASSWORD
from deliberation.formatting import SHANGHAI
from e2e.conftest import assert_accessible, first_proposal, open_vote, sign_in

pytestmark = pytest.mark.e2e

VOTE = "是否同意方案一（待我参与）"
SURVEY = "楼道照明满意度调查"


# How many lines the text of the element takes.
LINES = """(selector) => {
  const range = document.createRange();
  range.selectNodeContents(document.querySelector(selector));
  return range.getClientRects().length;
}"""


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def care_on(page) -> None:
    submit(page, "#care-toggle")
    assert page.get_attribute("#care-toggle", "aria-pressed") == "true"


def standalone_survey(server) -> tuple[int, int]:
    """A survey of the whole community, not part of any session, published by the secretary: (its id, the
    community's id)."""
    from deliberation.accounts.models import User
    from deliberation.db import utcnow
    from deliberation.extensions import db
    from deliberation.surveys import builder
    from deliberation.surveys.builder import QuestionInput, SurveyInput

    with server.app.app_context():
        secretary = db.session.execute(select(User).where(User.username == "shuji")).scalar_one()
        community_id = secretary.moderated_community_ids[0]
        community = secretary.memberships[0].community
        survey = builder.create_survey(db.session, secretary, community, SurveyInput(
            title=SURVEY, intro="晚上楼道够不够亮？", closes_at=utcnow() + timedelta(days=5)))
        builder.add_question(db.session, secretary, survey, QuestionInput(
            "single", "您觉得楼道晚上够亮吗？", required=True, options=["够亮", "偏暗", "很暗"]))
        builder.publish_survey(db.session, secretary, survey)
        db.session.commit()
        found = survey.id, community_id
        db.session.remove()
    return found


def reports_on_desk(page, community_id: int) -> int:
    return int(page.inner_text(f"#desk-reports-{community_id} strong"))


def test_a_resident_finds_what_waits_votes_and_the_vote_leaves(live_server, desktop, phone):
    url = live_server.url
    consultation_id, proposal_id = first_proposal(live_server)
    survey_id, community_id = standalone_survey(live_server)
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    # Closing in two days at 20:00 Shanghai time: "还剩 2 天" on the front door.
    closes = (datetime.now(SHANGHAI) + timedelta(days=2)).strftime("%Y-%m-%dT20:00")
    vote_url, vote_id = open_vote(desktop, url, consultation_id, proposal_id, VOTE, "simple_majority",
                                  closes=closes)
    desktop.goto(url + "/")
    reports_before = reports_on_desk(desktop, community_id)
    assert_accessible(desktop, "frontdoor-moderator-desktop")

    # On her phone the resident turns on 关怀版 on the welcome page, signs in, and lands on the front door in it.
    phone.goto(url + "/")
    assert_accessible(phone, "welcome-phone")
    care_on(phone)
    sign_in(phone, url, "resident1", DEMO_PASSWORD)
    assert phone.url.rstrip("/") == url
    assert phone.get_attribute("#care-toggle", "aria-pressed") == "true"
    votes = phone.inner_text("#door-votes")
    assert VOTE in votes and "还剩 2 天" in votes and f"截止 {closes.replace('T', ' ')}" in votes
    assert SURVEY in phone.inner_text("#door-surveys")
    assert VOTE in phone.inner_text("#door-notices")  # the opening's notice, unread
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(phone, "frontdoor-resident-phone-care")

    # From the list to the ballot, and back: the vote and its notice have left the list, the survey still waits.
    submit(phone, f"#door-votes a:has-text('{VOTE}')")
    assert phone.url.endswith(f"/votes/{vote_id}")
    submit(phone, "button.vote-button:text-is('同意')")
    # The receipt code in 关怀版's large type, on one line: copied or read aloud, it is one word.
    assert phone.evaluate(LINES, "#receipt-code") == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(phone, "vote-receipt-phone-care")
    phone.goto(url + "/")
    assert phone.locator("#door-votes").count() == 0 or VOTE not in phone.inner_text("#door-votes")
    assert phone.locator("#door-notices").count() == 0 or VOTE not in phone.inner_text("#door-notices")
    assert SURVEY in phone.inner_text("#door-surveys")
    submit(phone, f"#door-surveys a:has-text('{SURVEY}')")
    assert phone.url.endswith(f"/surveys/{survey_id}")

    # She reports a comment of the session; the secretary's home counts it.
    phone.goto(f"{url}/consultations/{consultation_id}")
    submit(phone, "a.small-button:has-text('举报')")
    phone.fill("input[name=reason]", "与议题无关的广告")
    submit(phone, "button:has-text('提交举报')")
    assert "已举报" in phone.inner_text(".flashes")
    phone.goto(url + "/")
    submit(phone, "#care-toggle")  # and her front door without 关怀版
    assert_accessible(phone, "frontdoor-resident-phone")

    desktop.goto(url + "/")
    assert reports_on_desk(desktop, community_id) == reports_before + 1
    assert VOTE in desktop.inner_text("#desk")  # closing in a few days: on the moderator's list too
    care_on(desktop)
    assert_accessible(desktop, "frontdoor-moderator-desktop-care")
    desktop.set_viewport_size({"width": 375, "height": 740})
    assert desktop.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(desktop, "frontdoor-moderator-narrow-care")
