"""A secret vote watched from the moderator's desk and the hall: turnout only while it runs, the result
once it has closed — on the vote's page and on the hall display, which swaps its QR code for the result."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from deliberation.demo import DEMO_PASSWORD
from e2e.conftest import assert_accessible, first_proposal, open_vote, sign_in

pytestmark = pytest.mark.e2e


def test_a_secret_votes_tally_is_shown_to_nobody_until_the_close(live_server, desktop, phone):
    url = live_server.url
    consultation_id, proposal_id = first_proposal(live_server)
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    vote_url, vote_id = open_vote(desktop, url, consultation_id, proposal_id, "是否同意方案一（无记名）",
                                  "simple_majority", secret=True)

    hall = desktop.context.new_page()
    hall.goto(f"{url}/votes/{vote_id}/hall")
    expect(hall.locator("#hall-participants")).to_have_text("0")

    sign_in(phone, url, "resident1", DEMO_PASSWORD)
    phone.goto(f"{url}/votes/{vote_id}")
    with phone.expect_navigation():
        phone.click("button.vote-button:text-is('同意')")

    # While it runs: turnout on the hall and on the moderator's page, never a tally.
    expect(hall.locator("#hall-participants")).to_have_text("1", timeout=5000)
    assert hall.locator(".hall-tally ul").count() == 0
    assert "无记名表决" in hall.inner_text(".hall-tally")
    assert hall.locator(".qr svg").count() == 1
    desktop.goto(vote_url)
    assert re.search(r"已参与 1 / \d+", desktop.inner_text("#secret-turnout"))
    assert desktop.locator("a:has-text('查看实时结果')").count() == 0
    assert desktop.locator("#vote-outcome").count() == 0
    assert_accessible(desktop, "voting-secret-running-desktop")
    assert desktop.goto(f"{url}/votes/{vote_id}/result").status == 403

    # The close: the result on the result page, the vote's page and the hall (which reloads by itself).
    desktop.goto(vote_url)
    with desktop.expect_navigation():
        desktop.click("#close-vote")
    with desktop.expect_navigation():  # a second page asks first
        desktop.click("#confirm-action")
    assert desktop.inner_text("#binding-verdict").strip().startswith("通过")
    desktop.goto(vote_url)
    assert desktop.inner_text("#vote-outcome .verdict").strip() == "通过"
    expect(hall.locator("#hall-result")).to_be_visible(timeout=5000)
    assert hall.locator(".qr svg").count() == 0 and "扫码投票" not in hall.inner_text("main")
    assert hall.inner_text(".hall-verdict").strip() == "通过"
    assert "同意" in hall.inner_text(".hall-tally")
    assert_accessible(hall, "voting-secret-closed-hall")
