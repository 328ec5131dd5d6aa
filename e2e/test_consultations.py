"""A secretary runs a consultation on a desktop; residents follow, ask and are answered on a 375px phone."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from deliberation.accounts.models import Community
from deliberation.booking.schedule import local_today
from deliberation.db import utcnow
from deliberation.demo import DEMO_PASSWORD
from deliberation.extensions import db
from e2e.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.e2e

TITLE = "党群服务站升级改造方案征询（二期）"
QUESTION = "这次升级真的有必要吗？现在的服务站还能用。"
ANSWER = "有必要：现服务站只有 60 平方米，没有无障碍卫生间，老人活动只能挤在走廊。"
ABUSE = "写这个方案的人都是骗子，滚出小区！"


def _picture(path, fmt: str, colour) -> str:
    """A small real picture drawn with Pillow, saved as a file the browser uploads."""
    image = Image.new("RGB", (320, 200), colour)
    for x in range(40, 280):
        image.putpixel((x, 100), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, format=fmt)
    path.write_bytes(out.getvalue())
    return str(path)


def _both_modes(page, name: str) -> None:
    """axe-clean in the ordinary and the 关怀版 (large text) mode; the page is left in ordinary mode."""
    assert_accessible(page, name)
    with page.expect_navigation():
        page.click("#care-toggle")
    assert page.get_attribute("#care-toggle", "aria-pressed") == "true"
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    assert_accessible(page, name + "-care")
    with page.expect_navigation():
        page.click("#care-toggle")
    assert page.get_attribute("#care-toggle", "aria-pressed") == "false"


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _flash(page) -> str:
    return page.inner_text(".flashes")


def _comment_id(page, text: str) -> str:
    return page.locator("article.comment", has_text=text).first.get_attribute("id")


def _phone_for(browser):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog fired: {dialog.message}"))
    return context, page


def _no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 376


def test_a_secretary_runs_a_consultation_and_a_resident_follows_it_on_a_phone(
    live_server, desktop, phone, browser, tmp_path
):
    url = live_server.url
    live_server.app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    with live_server.app.app_context():
        community_id = db.session.execute(select(Community.id).where(Community.name == "银杏居民区")).scalar()
        db.session.remove()
    front = _picture(tmp_path / "正立面效果图.png", "PNG", (190, 40, 40))
    hall = _picture(tmp_path / "活动室.jpg", "JPEG", (40, 120, 190))
    extension = _picture(tmp_path / "扩建方案.jpg", "JPEG", (60, 160, 80))

    # -- The secretary sets the session up on a desktop. -------------------------------------------
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    desktop.goto(f"{url}/communities/{community_id}")
    _submit(desktop, "text=议事与征询")
    _both_modes(desktop, "consultations-list-desktop")
    _submit(desktop, "text=发起议事")
    _both_modes(desktop, "consultation-new-desktop")
    desktop.fill("#title", TITLE)
    desktop.fill("#background", "服务站面积小、设施旧，没有无障碍设施。经居民代表提议，征询两个改造方案。")
    desktop.fill("#participants", "居委会、业委会、物业、街道社区服务办、居民代表")
    _submit(desktop, "button:has-text('保存')")
    assert "议事已创建" in _flash(desktop)
    consultation_path = desktop.url.removeprefix(url)

    # Two variants, each with pictures uploaded as real files.
    variants = [
        ("方案一：原址改造", "在原址重新布局：\n\n- 一楼改为无障碍接待区\n- 二楼设老年活动室\n", [front, hall]),
        ("方案二：与物业用房合并扩建", "把相邻的物业用房并入服务站，面积增至 150 平方米。\n", [extension]),
    ]
    proposal_paths = []
    for title, body, files in variants:
        desktop.goto(url + consultation_path)
        _submit(desktop, "text=添加方案")
        desktop.fill("#title", title)
        desktop.fill("#body", body)
        desktop.check("#is_variant")
        desktop.set_input_files("#pictures", files)
        _submit(desktop, "button:has-text('发布')")
        assert "方案已发布" in _flash(desktop)
        proposal_paths.append(desktop.url.removeprefix(url))
        pictures = desktop.locator(".pictures img")
        assert pictures.count() == len(files)
        pictures.first.scroll_into_view_if_needed()
        desktop.wait_for_function("[...document.querySelectorAll('.pictures img')].every(i => i.naturalWidth > 0)")
    _both_modes(desktop, "proposal-desktop")

    # Comments open: the session moves on and round 1 takes comments for a week.
    desktop.goto(url + consultation_path)
    desktop.select_option("#phase", "commenting")
    _submit(desktop, "button:has-text('推进阶段')")
    assert "征求意见" in _flash(desktop)
    desktop.click("summary:has-text('开设新一轮意见征集')")
    closes = (utcnow() + timedelta(days=7, hours=8)).strftime("%Y-%m-%dT%H:%M")  # typed in Shanghai time
    desktop.fill("#closes_at", closes)
    _submit(desktop, "button:has-text('开设')")
    assert "第 1 轮意见征集已开设" in _flash(desktop)
    _both_modes(desktop, "consultation-detail-desktop")

    # A joint meeting books the station's meeting room; the first slot is taken, the form says by what.
    start = local_today() + timedelta(days=1)
    saturday = (start + timedelta(days=(5 - start.weekday()) % 7)).isoformat()
    desktop.click("summary:has-text('记录一次联席会议')")
    desktop.fill("#held_at", f"{saturday}T14:00")
    desktop.fill("#ends_at", f"{saturday}T16:00")
    desktop.fill("#place", "党群服务站多功能会议室")
    desktop.fill("#attendees", "街道社区服务办、物业、业委会、居民代表 6 人")
    desktop.select_option("#room_id", label="多功能会议室（40 人）")
    desktop.fill("#attendance", "12")
    _submit(desktop, "button:has-text('保存会议记录')")
    assert "已被“居委会、业委会、物业三方联席会议”" in _flash(desktop)
    assert desktop.locator("#meeting-form[open] #held_at-error").count() == 1
    assert desktop.input_value("#attendees") == "街道社区服务办、物业、业委会、居民代表 6 人"
    assert_accessible(desktop, "meeting-conflict-desktop")  # care mode reloads the page: checked below
    desktop.fill("#held_at", f"{saturday}T16:30")
    desktop.fill("#ends_at", f"{saturday}T18:00")
    _submit(desktop, "button:has-text('保存会议记录')")
    assert "场地已预约" in _flash(desktop)
    assert "已预约场地：多功能会议室（已确认）" in desktop.inner_text("#meetings")
    # The same refusal in the 关怀版: a second meeting in the slot just booked.
    with desktop.expect_navigation():
        desktop.click("#care-toggle")
    desktop.click("summary:has-text('记录一次联席会议')")
    desktop.fill("#held_at", f"{saturday}T17:00")
    desktop.fill("#ends_at", f"{saturday}T18:00")
    desktop.fill("#place", "多功能会议室")
    desktop.fill("#attendees", "居民代表")
    desktop.select_option("#room_id", label="多功能会议室（40 人）")
    desktop.fill("#attendance", "5")
    _submit(desktop, "button:has-text('保存会议记录')")
    assert "联席会议：" + TITLE in _flash(desktop)
    assert_accessible(desktop, "meeting-conflict-desktop-care")
    desktop.goto(url + consultation_path)
    with desktop.expect_navigation():
        desktop.click("#care-toggle")
    assert desktop.get_attribute("#care-toggle", "aria-pressed") == "false"

    # -- A resident finds it on a phone and asks a question. ---------------------------------------
    sign_in(phone, url, "resident1", DEMO_PASSWORD)
    phone.goto(f"{url}/communities/{community_id}/consultations")
    _both_modes(phone, "consultations-list-phone")
    _submit(phone, f"a:has-text('{TITLE}')")
    assert phone.url.removeprefix(url) == consultation_path
    assert phone.locator("article.proposal").count() == 2
    _no_horizontal_scroll(phone)
    _both_modes(phone, "consultation-detail-phone")
    phone.fill("#body", QUESTION)
    _submit(phone, "button:has-text('发表意见')")
    assert "意见已发布" in _flash(phone)
    question_id = _comment_id(phone, QUESTION)

    # Another resident posts abuse.
    context, other = _phone_for(browser)
    try:
        sign_in(other, url, "resident2", DEMO_PASSWORD)
        other.goto(url + consultation_path)
        other.fill("#body", ABUSE)
        _submit(other, "button:has-text('发表意见')")
        assert "意见已发布" in _flash(other)
        abuse_id = _comment_id(other, ABUSE)

        # -- The secretary answers officially and hides the abuse. ----------------------------------
        desktop.goto(url + consultation_path + "?sort=newest")
        question = desktop.locator(f"#{question_id}")
        with desktop.expect_navigation():
            question.locator("a:has-text('回复')").click()
        question.locator("textarea[name=body]").fill(ANSWER)
        assert question.locator("input[name=official]").is_checked()
        with desktop.expect_navigation():
            question.locator("button:has-text('发表回复')").click()
        assert "回复已发布" in _flash(desktop)
        abuse = desktop.locator(f"#{abuse_id}")
        abuse.locator("summary:has-text('隐藏')").click()
        abuse.locator("input[name=reason]").fill("人身攻击，违反文明发言约定")
        with desktop.expect_navigation():
            abuse.locator("button:has-text('隐藏这条意见')").click()
        assert "意见已隐藏" in _flash(desktop)
        assert ABUSE in desktop.inner_text(f"#{abuse_id}")  # the moderator still sees the text
        _both_modes(desktop, "consultation-moderated-desktop")

        # The author of the abuse is told, and sees the reason but no longer a public comment.
        other.goto(url + consultation_path)
        assert "您的这条意见已被主持人隐藏" in other.inner_text(f"#{abuse_id}")
        other.goto(f"{url}/notifications")
        assert "已被隐藏" in other.inner_text("main")
    finally:
        context.close()

    # -- The secretary publishes version 2 of the first variant. -----------------------------------
    desktop.goto(url + proposal_paths[0])
    _submit(desktop, "text=发布新版本")
    _both_modes(desktop, "proposal-version-form-desktop")
    desktop.fill("#body", "在原址重新布局：\n\n- 一楼改为无障碍接待区和无障碍卫生间\n- 二楼设老年活动室\n")
    desktop.fill("#change_note", "根据第 1 轮意见增加无障碍卫生间")
    _submit(desktop, "button:has-text('发布')")
    assert "已发布第 2 版" in _flash(desktop)
    assert desktop.locator(".diff ins", has_text="无障碍卫生间").count() >= 1

    # -- The resident follows all of it on the phone. ----------------------------------------------
    phone.goto(url + consultation_path)
    thread = phone.locator("ol.comments > li", has=phone.locator(f"#{question_id}"))
    official = thread.locator("ol.replies article.comment.official")
    assert official.count() == 1
    assert ANSWER in official.inner_text() and "正式答复" in official.inner_text()
    # The answer sits right under the question, before any other reply.
    assert thread.locator("ol.replies > li").first.locator("article.official").count() == 1
    hidden = phone.locator(f"#{abuse_id}")
    assert "此条意见已被主持人隐藏" in hidden.inner_text()
    assert ABUSE not in phone.content()
    first_proposal = proposal_paths[0].rsplit("/", 1)[-1]
    assert "第 2 版" in phone.inner_text(f"#proposal-{first_proposal}")
    _no_horizontal_scroll(phone)
    _both_modes(phone, "consultation-followed-phone")

    phone.goto(f"{url}/notifications")
    assert "收到了正式答复" in phone.inner_text("main")
    _both_modes(phone, "notifications-phone")
    _submit(phone, "main a:has-text('收到了正式答复')")
    assert phone.url.removeprefix(url).startswith(consultation_path)
    assert phone.locator(".official", has_text=ANSWER).count() == 1

    phone.goto(url + proposal_paths[0])
    assert "第 2 版" in phone.inner_text("main")
    assert phone.locator(".pictures img").count() == 2  # the pictures carried over to the new version
    _submit(phone, "a:has-text('与上一版对比')")
    diff = phone.inner_text(".diff")
    assert "根据第 1 轮意见增加无障碍卫生间" in diff
    assert phone.locator(".diff ins", has_text="无障碍卫生间").count() >= 1
    assert phone.locator(".diff del").count() >= 1
    _no_horizontal_scroll(phone)
    _both_modes(phone, "proposal-diff-phone")
    _submit(phone, "a:has-text('第 1 版')")
    assert "这是旧版本" in phone.inner_text("main")
    assert_accessible(phone, "proposal-old-version-phone")
