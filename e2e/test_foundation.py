"""The secretary imports a roster and issues an invite; a new resident registers and adapts the site."""

from __future__ import annotations

import re

import pytest

from deliberation.demo import DEMO_PASSWORD
from e2e.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.e2e

ROSTER = "楼号,室号,姓名,身份,产权面积,出生年份,手机号\n" \
         "12号楼,1801室,周玉兰,业主,89.5㎡,1951,139 1234 5678\n" \
         "12幢,1801,周建华,家属,,1978,\n" \
         "１２,1802,马晓东,租户,,1992,13612345678\n"


def test_secretary_imports_roster_and_a_new_resident_registers(live_server, desktop, phone, tmp_path):
    url = live_server.url
    roster = tmp_path / "名册.csv"
    roster.write_text(ROSTER, encoding="utf-8-sig")

    # The secretary signs in on a desktop and checks a small roster.
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    desktop.click("text=银杏居民区") if desktop.locator("text=银杏居民区").count() else None
    desktop.click("text=导入名册")
    assert_accessible(desktop, "roster-import-desktop")
    desktop.set_input_files("#file", str(roster))
    desktop.click("text=检查文件")
    assert "有效 3 行" in desktop.inner_text("main")
    assert_accessible(desktop, "roster-report-desktop")
    desktop.click("#confirm-import")
    assert "已导入 3 行" in desktop.inner_text(".flashes")

    # She finds the new owner and prints an invite slip.
    desktop.fill("#q", "周玉兰")
    desktop.click("button:has-text('查找')")
    assert "13912345678" in desktop.inner_text("table")  # the moderator's roster shows phones in full
    desktop.check("input[name=person_id]")
    desktop.click("text=为勾选的居民发放邀请码")
    code = desktop.get_attribute(".slip .code", "data-code")
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert desktop.locator(".slip svg").count() == 1
    assert_accessible(desktop, "invite-slip-desktop")

    # The resident registers on a phone with the code from the slip.
    phone.goto(f"{url}/register")
    assert_accessible(phone, "register-phone")
    phone.fill("#code", code.lower())
    phone.fill("#username", "zhouyulan")
    phone.fill("#password", "yulan-2026")
    phone.fill("#confirm", "yulan-2026")
    phone.click("button[type=submit].primary")
    assert "欢迎，周玉兰" in phone.inner_text(".flashes")
    assert_accessible(phone, "community-phone")

    # 关怀版: large text, remembered.
    with phone.expect_navigation():
        phone.click("#care-toggle")
    font_size = phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_size >= 20
    tap = phone.evaluate("document.querySelector('#care-toggle').getBoundingClientRect().height")
    assert tap >= 48
    assert_accessible(phone, "community-phone-care")
    phone.goto(f"{url}/account")
    assert phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20

    # English, remembered too.
    with phone.expect_navigation():
        phone.click("#lang-switch")
    assert phone.locator("html").get_attribute("lang") == "en"
    assert "Change password" in phone.inner_text("main")
    assert_accessible(phone, "account-phone-care-en")


@pytest.mark.parametrize("path", ["/", "/login", "/register"])
def test_public_pages_are_accessible_in_both_modes(live_server, phone, path):
    phone.goto(live_server.url + path)
    assert_accessible(phone, "public" + path.replace("/", "-"))
    with phone.expect_navigation():
        phone.click("#care-toggle")
    assert phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    assert_accessible(phone, "public-care" + path.replace("/", "-"))


def test_wrong_password_shows_a_clear_message_and_keeps_the_name(live_server, phone):
    sign_in(phone, live_server.url, "shuji", "not the password")
    assert "用户名或密码不正确" in phone.inner_text(".flashes")
    assert phone.input_value("#username") == "shuji"
