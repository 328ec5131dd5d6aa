"""The result posted, then announced, walked through: after the close a voter's phone (375 px, normal and 关怀版)
shows the preliminary result with its window, the receipt check one tap away and the objection form; the voter
objects, the secretary answers with a recount, and once the window has run announces the result."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deliberation.demo import DEMO_PASSWORD
from e2e.conftest import assert_accessible, first_proposal, open_vote, sign_in

pytestmark = pytest.mark.e2e


def _run_window(server, vote_id: int) -> None:
    """The objection window has run: its end moved into the past (the clock is never touched)."""
    from deliberation.db import utcnow
    from deliberation.extensions import db
    from deliberation.voting.models import Vote

    with server.app.app_context():
        vote = db.session.get(Vote, vote_id)
        vote.objections_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        db.session.remove()


def test_a_voter_objects_to_the_preliminary_result_and_the_secretary_announces(live_server, desktop, phone):
    url = live_server.url
    consultation_id, proposal_id = first_proposal(live_server)
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    vote_url, vote_id = open_vote(desktop, url, consultation_id, proposal_id, "是否同意方案一（结果公示）",
                                  "simple_majority")
    sign_in(phone, url, "resident1", DEMO_PASSWORD)
    phone.goto(vote_url)
    with phone.expect_navigation():
        phone.click("button.vote-button:text-is('同意')")

    desktop.goto(vote_url)
    with desktop.expect_navigation():
        desktop.click("#close-vote")
    with desktop.expect_navigation():
        desktop.click("#confirm-action")
    assert "初步结果（公示中，至" in desktop.inner_text("#preliminary-result")

    # The voter's phone: the preliminary result, the receipt check and the objection form.
    phone.goto(vote_url)
    panel = phone.inner_text("#announcement")
    assert "初步结果（公示中，至" in panel and "结果公示中" in panel
    assert phone.get_attribute("#receipt-check", "href").startswith(f"/votes/{vote_id}/receipts")
    assert phone.locator("#lodge-objection").count() == 1
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways: {width}px"
    assert_accessible(phone, "announcement-preliminary-phone")
    with phone.expect_navigation():
        phone.click("#care-toggle")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(phone, "announcement-preliminary-phone-care")
    with phone.expect_navigation():
        phone.click("#care-toggle")

    phone.check("#kind-0")
    phone.fill("#reason", "我投了同意，请核对")
    with phone.expect_navigation():
        phone.click("#lodge-objection")
    assert "异议已提交" in phone.inner_text("main")

    # The secretary answers with a recount; the announcement waits for the window.
    desktop.goto(vote_url)
    assert "1 条待答复" in desktop.inner_text("#objections-link")
    with desktop.expect_navigation():
        desktop.click("#objections-link")
    with desktop.expect_navigation():
        desktop.click("a.button:has-text('答复')")
    desktop.check("#accepted-0")
    desktop.fill("#answer", "已重新计票，您的选票已计入")
    desktop.check("#recount")
    with desktop.expect_navigation():
        desktop.click("#answer-objection")
    assert "与公示结果一致" in desktop.inner_text("main")
    assert_accessible(desktop, "announcement-objections-desktop")

    phone.goto(vote_url)
    assert "已重新计票" in phone.inner_text("#announcement")

    _run_window(live_server, vote_id)
    desktop.goto(vote_url)
    with desktop.expect_navigation():
        desktop.click("#announce-vote")
    assert "确认公告" in desktop.inner_text("h1")
    with desktop.expect_navigation():
        desktop.click("#confirm-action")
    assert "已公告" in desktop.inner_text("main") and desktop.locator("#preliminary-result").count() == 0
    phone.goto(vote_url)
    assert "已公告" in phone.inner_text("#announcement") and phone.locator("#lodge-objection").count() == 0
