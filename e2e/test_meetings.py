"""A joint meeting's sign-in as people walk it: the secretary records a meeting and shows its QR code; a resident
on a 375 px phone in 关怀版 opens the code's link, signs in, taps 我已到场 once and sees it confirmed; the
secretary's page then counts them. axe is clean in both modes on every page of the journey."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from deliberation.demo import DEMO_PASSWORD
from e2e.conftest import assert_accessible, first_proposal, sign_in

pytestmark = pytest.mark.e2e

PLACE = "居民区活动室（签到测试）"


def _care(page, on: bool) -> None:
    if (page.get_attribute("#care-toggle", "aria-pressed") == "true") != on:
        with page.expect_navigation():
            page.click("#care-toggle")


def _both_modes(page, name: str, *, end_in_care: bool = False) -> None:
    _care(page, False)
    assert_accessible(page, name)
    _care(page, True)
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    assert_accessible(page, name + "-care")
    _care(page, end_in_care)


def test_a_resident_signs_in_to_a_meeting_by_its_code_on_a_phone(live_server, desktop, phone):
    url = live_server.url
    consultation_id, _proposal_id = first_proposal(live_server)

    # The secretary records the meeting, starting now, and opens its page.
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    desktop.goto(f"{url}/consultations/{consultation_id}")
    desktop.click("summary:has-text('记录一次联席会议')")
    now = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    desktop.fill("#held_at", now)
    desktop.fill("#place", PLACE)
    desktop.fill("#attendees", "街道社区服务办、物业、居民代表")
    with desktop.expect_navigation():
        desktop.click("button:has-text('保存会议记录')")
    with desktop.expect_navigation():
        desktop.click(f"#meetings a:has-text('{PLACE}')")
    assert desktop.locator("#sign-in svg").is_visible()  # the code, to project or to print
    assert "暂无签到记录" in desktop.inner_text("#attendance-summary")
    link = desktop.get_attribute("#sign-in-link", "href")  # what the phone's camera reads from the code
    assert link.startswith("http") and "/meetings/sign-in/" in link
    meeting_page = desktop.url
    _both_modes(desktop, "meeting-moderator-desktop")

    # The resident's phone opens the link, is asked to sign in first, and comes back to the meeting.
    phone.goto(url + "/")
    _care(phone, True)
    phone.goto(link)
    assert "/login" in phone.url
    phone.fill("#username", "resident1")
    phone.fill("#password", DEMO_PASSWORD)
    with phone.expect_navigation():
        phone.click("button[type=submit].primary")
    assert "/meetings/sign-in/" in phone.url
    _care(phone, True)  # the resident's own setting follows them once signed in: 关怀版 on
    assert phone.get_attribute("html", "class") == "care"
    assert PLACE in phone.inner_text("main")
    button = phone.locator("#confirm-present")
    box = button.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 48
    assert phone.evaluate("document.documentElement.scrollWidth") <= 376
    _both_modes(phone, "meeting-sign-in-phone", end_in_care=True)

    with phone.expect_navigation():
        phone.click("#confirm-present")
    assert "签到成功" in phone.inner_text(".flashes")
    assert phone.locator("#signed-in").is_visible()
    assert phone.locator("#confirm-present").count() == 0
    _both_modes(phone, "meeting-signed-in-phone", end_in_care=True)
    # Scanning again later says so, and counts nobody twice.
    phone.goto(link)
    assert phone.locator("#signed-in").is_visible() and phone.locator("#confirm-present").count() == 0

    # The secretary's page counts the resident, by role, and names them.
    desktop.goto(meeting_page)
    assert "共 1 人出席：业主 1 人" in desktop.inner_text("#attendance-summary")
    present = desktop.inner_text("#present")
    assert "扫码" in present and present.count("扫码") == 1

    # Staff tick a latecomer without an account from the sheet; the page is clean in both modes too.
    with desktop.expect_navigation():
        desktop.click("a:has-text('按签到表勾选到场人员')")
    _both_modes(desktop, "meeting-attendance-desktop")
    assert desktop.locator("nav.building-choice [aria-current]").count() == 1  # one building at a time
    desktop.locator("#attendance-form input[type=checkbox]:not(:checked)").first.check()
    with desktop.expect_navigation():
        desktop.click("button:has-text('保存签到')")
    assert "新增 1 人" in desktop.inner_text(".flashes")
    assert "共 2 人出席" in desktop.inner_text("#attendance-summary")
