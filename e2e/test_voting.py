"""The secretary opens a civil-code vote; three residents vote on phones; paper forms are entered; the
hall display updates; the vote closes and the result page explains why it passed or failed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from deliberation.demo import DEMO_PASSWORD
from e2e.conftest import assert_accessible, first_proposal, post_roll_and_let_it_run, sign_in

pytestmark = pytest.mark.e2e


def _phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog fired: {dialog.message}"))
    return context, page


def _care(page, on: bool) -> None:
    pressed = page.get_attribute("#care-toggle", "aria-pressed") == "true"
    if pressed != on:
        with page.expect_navigation():
            page.click("#care-toggle")


def test_civil_code_vote_from_opening_to_result(live_server, browser, desktop, phone):
    url = live_server.url
    consultation_id, proposal_id = first_proposal(live_server)

    # The secretary creates the owners' vote under the Civil Code, with the residents' advice beside it.
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    desktop.goto(f"{url}/consultations/{consultation_id}/votes/new")
    assert "需参与表决的业主专有面积和人数均达到三分之二以上" in desktop.inner_text("main")
    assert_accessible(desktop, "voting-create-desktop")
    desktop.fill("#title", "是否同意方案一（业主表决）")
    desktop.select_option("#proposal_id", str(proposal_id))
    desktop.check("#rule-civil_code_ordinary")
    desktop.check("#advisory_all")
    with desktop.expect_navigation():
        desktop.click("button[type=submit].primary")
    assert "表决已创建" in desktop.inner_text(".flashes")
    vote_url = desktop.url
    vote_id = int(re.search(r"/votes/(\d+)", vote_url).group(1))
    assert "同意的面积和人数均过半数" in desktop.inner_text(".rule")

    # An owners' vote opens only after its roll was posted (表决权人名册公示): the first try is refused.
    with desktop.expect_navigation():
        desktop.click("#open-vote")
    assert "请先公示名册" in desktop.inner_text(".flashes")
    desktop.goto(f"{url}/votes/{vote_id}/roll/post")
    with desktop.expect_navigation():
        desktop.click("#post-roll-next")
    with desktop.expect_navigation():
        desktop.click("#confirm-action")
    assert "表决权人名册已公示" in desktop.inner_text(".flashes")

    # A resident reads the roll on a phone, in large text: units, masked names, areas, the totals.
    reader_context, reader = _phone(browser)
    sign_in(reader, url, "resident2", DEMO_PASSWORD)
    reader.goto(f"{url}/votes/{vote_id}")
    with reader.expect_navigation():
        reader.click("#roll-link")
    _care(reader, True)
    expect(reader.locator("#roll-totals")).to_contain_text("专有面积")
    assert "*" in reader.inner_text("#roll-table tbody tr:first-child")
    assert reader.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(reader, "voting-roll-phone-care")
    reader_context.close()

    post_roll_and_let_it_run(desktop, live_server, vote_id)
    with desktop.expect_navigation():
        desktop.click("#open-vote")
    assert "表决已开启" in desktop.inner_text(".flashes")
    owners = int(re.search(r"已固定：(\d+)", desktop.inner_text(".flashes")).group(1))
    assert owners > 1000
    assert_accessible(desktop, "voting-vote-moderator-desktop")

    # The hall display, on a projector.
    hall = desktop.context.new_page()
    hall.goto(f"{url}/votes/{vote_id}/hall")
    expect(hall.locator("#hall-participants")).to_have_text("0")
    assert hall.locator(".qr svg").count() == 1
    assert_accessible(hall, "voting-hall-desktop")

    # Three residents vote on their phones: the owner's ballot binds, the tenant's and the family
    # member's are advisory.
    contexts = []
    receipts = {}
    for username, choice, page in (("resident1", "同意", phone), ("resident2", "不同意", None),
                                   ("resident3", "同意", None)):
        if page is None:
            context, page = _phone(browser)
            contexts.append(context)
        sign_in(page, url, username, DEMO_PASSWORD)
        page.goto(f"{url}/votes/{vote_id}")
        if username == "resident1":
            assert_accessible(page, "voting-ballot-phone")
        with page.expect_navigation():
            page.click(f"button.vote-button:text-is('{choice}')")
        receipts[username] = page.inner_text("#receipt-code")
        assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", receipts[username])
        assert f"您已投票：{choice}" in page.inner_text("#my-choice")
        if username == "resident1":
            assert_accessible(page, "voting-receipt-phone")
        if username == "resident3":
            assert "参考性表决" in page.inner_text(".ballot")
            _care(page, True)
            assert_accessible(page, "voting-vote-phone-care")

    # The hall display counts the owner within seconds (advisory ballots are not owners' turnout).
    expect(hall.locator("#hall-participants")).to_have_text("1", timeout=5000)

    # Paper forms (征询单) of 12号楼, typed in one go.
    paper = desktop.context.new_page()
    paper.goto(f"{url}/votes/{vote_id}/paper")
    paper.select_option("#building_id", label="12号楼")
    paper.fill("#lines", "2501 1\n2502 2\n2503 同意\n2504 弃权\n9999 1")
    with paper.expect_navigation():
        paper.click("#paper-submit")
    outcomes = paper.inner_text("table.outcomes")
    recorded = len(re.findall(r"已录入", outcomes))
    assert recorded >= 3 and "12号楼9999室不存在" in outcomes
    assert paper.input_value("#lines") == "9999 1"  # only the line that failed stays to be fixed
    assert_accessible(paper, "voting-paper-desktop")
    expect(hall.locator("#hall-participants")).to_have_text(str(1 + recorded), timeout=5000)
    assert_accessible(hall, "voting-hall-updated-desktop")

    # The reconciliation list shows who has not answered.
    paper.goto(f"{url}/votes/{vote_id}/unanswered")
    assert "共 " in paper.inner_text("main")
    assert_accessible(paper, "voting-unanswered-desktop")

    # The secretary closes the vote: the result page explains why it failed.
    desktop.goto(vote_url)
    with desktop.expect_navigation():
        desktop.click("#close-vote")
    assert "确认结束表决" in desktop.inner_text("h1")  # a second page asks first
    with desktop.expect_navigation():
        desktop.click("#confirm-action")
    assert "/result" in desktop.url
    verdict = desktop.inner_text("#binding-verdict")
    assert "未通过" in verdict
    summary = desktop.inner_text("#binding-summary")
    assert "参与表决的专有面积占总面积" in summary and "未达到三分之二" in summary
    checks = desktop.inner_text("table.checks")
    assert "≥ 2/3" in checks and "未达到" in checks
    assert "参考性表决（全体居民）" in desktop.inner_text("main")
    assert_accessible(desktop, "voting-result-desktop")
    _care(desktop, True)
    assert_accessible(desktop, "voting-result-desktop-care")
    expect(hall.locator("[data-field=state_label]")).to_have_text("结果公示中", timeout=5000)

    # A resident checks the receipt against the published list, on the phone.
    phone.goto(f"{url}/votes/{vote_id}/result")
    assert "未通过" in phone.inner_text("#binding-verdict")
    assert_accessible(phone, "voting-result-phone")
    phone.goto(f"{url}/votes/{vote_id}/receipts")
    phone.fill("#code", receipts["resident1"].lower())
    with phone.expect_navigation():
        phone.click("button:has-text('核对')")
    assert "您的选票已计入" in phone.inner_text("#receipt-found")
    assert "同意" in phone.inner_text("#receipt-found")
    _care(phone, True)
    assert_accessible(phone, "voting-receipts-phone-care")
    for context in contexts:
        context.close()
