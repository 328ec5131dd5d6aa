"""A resident books 书画室 on a phone and finds it in the calendar; the secretary sets up a room."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from deliberation.accounts.models import Community
from deliberation.booking import schedule
from deliberation.booking.models import Room
from deliberation.demo import DEMO_PASSWORD
from deliberation.extensions import db
from e2e.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.e2e


def open_community(page) -> None:
    """From the home page to 银杏居民区 (a member of one community may land there directly)."""
    link = page.locator("main a:has-text('银杏居民区')")
    if link.count():
        with page.expect_navigation():
            link.first.click()


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def first_day_of(live_server, room_name: str, days_ahead: int, hours: tuple[time, time] | None = None) -> date:
    """The first day at least `days_ahead` days from today (Shanghai) on which the demo's room is not
    closed (the demo closes every room on 国庆节, 1 October) and, given hours, is open for all of them.
    Read from the server's database, so a day holds every day of the year."""
    with live_server.app.app_context():
        room = db.session.execute(select(Room).join(Community).where(
            Community.name == "银杏居民区", Room.name == room_name)).scalar_one()
        first = schedule.local_today() + timedelta(days=days_ahead)
        closed = schedule.closed_days(db.session, room, first, first + timedelta(days=366))
        day = next(day for day in (first + timedelta(days=n) for n in range(367)) if day not in closed
                   and (hours is None or schedule.within_opening_hours(room, *schedule.local_slot(day, *hours))))
        db.session.remove()
    return day


def test_a_resident_books_the_calligraphy_room_on_a_phone_and_sees_it_in_the_calendar(live_server, phone):
    url = live_server.url
    # Two days ahead or the first open day after, mid-morning: the demo's 书画班 meets on Thursday
    # afternoons, the dance team on Tuesday evenings, so this slot is free whatever weekday it is.
    day = first_day_of(live_server, "书画室", 2, (time(10), time(11, 30)))

    sign_in(phone, url, "resident1", DEMO_PASSWORD)
    open_community(phone)
    submit(phone, "main a:has-text('场地预约')")
    assert "书画室" in phone.inner_text("main")
    assert_accessible(phone, "booking-rooms-phone")
    # No page is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    submit(phone, ".room:has(h2:has-text('书画室')) a.button.primary")
    assert "预约“书画室”" in phone.inner_text("h1")
    phone.fill("#date", day.isoformat())
    phone.fill("#start", "10:00")
    phone.fill("#end", "11:30")
    phone.fill("#title", "老年书法练习")
    phone.fill("#attendance", "6")
    assert_accessible(phone, "booking-form-phone")
    submit(phone, "button[type=submit].primary.wide")

    # The room's week calendar, opened at the booked week, shows the booking on its day.
    assert "已预约“老年书法练习”" in phone.inner_text(".flashes")
    day_card = phone.locator(f".day:has(h2:has-text('{day.isoformat()}'))")
    assert "10:00–11:30" in day_card.inner_text() and "老年书法练习" in day_card.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(phone, "booking-room-week-phone")

    # The same slot again is refused, naming the booking in the way, and the form keeps what was typed.
    phone.goto(f"{url}{phone.url.split(url, 1)[1].split('?')[0]}/book?date={day.isoformat()}")
    phone.fill("#start", "11:00")
    phone.fill("#end", "12:00")
    phone.fill("#title", "第二次练习")
    phone.fill("#attendance", "3")
    submit(phone, "button[type=submit].primary.wide")
    assert "老年书法练习" in phone.inner_text(".conflict")
    assert phone.input_value("#title") == "第二次练习"
    assert_accessible(phone, "booking-conflict-phone")

    # "My bookings" lists it with a cancel button.
    phone.goto(f"{url}/bookings/mine")
    mine = phone.inner_text("main")
    assert "老年书法练习" in mine and "书画室" in mine and "已确认" in mine
    assert_accessible(phone, "booking-mine-phone")

    # The whole station's week shows it with the room's name.
    phone.goto(f"{url}/")
    open_community(phone)
    submit(phone, "main a:has-text('场地预约')")
    submit(phone, "a:has-text('全站本周日程')")
    phone.goto(phone.url.split("?")[0] + f"?week={day.isoformat()}")
    station = phone.locator(f".day:has(h2:has-text('{day.isoformat()}'))").inner_text()
    assert "老年书法练习" in station and "书画室" in station
    assert_accessible(phone, "booking-station-week-phone")

    # 关怀版: large text, every screen still one column and accessible.
    submit(phone, "#care-toggle")
    assert phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(phone, "booking-station-week-phone-care")
    phone.goto(f"{url}/bookings/mine")
    assert "老年书法练习" in phone.inner_text("main")
    assert_accessible(phone, "booking-mine-phone-care")
    phone.click("main a:has-text('书画室')")
    phone.wait_for_load_state()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(phone, "booking-room-week-phone-care")
    submit(phone, "a.button.primary:has-text('预约这个场地')")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(phone, "booking-form-phone-care")

    # Cancelling frees the slot.
    phone.goto(f"{url}/bookings/mine")
    submit(phone, ".booking:has-text('老年书法练习') a.danger")
    assert "确认取消“老年书法练习”" in phone.inner_text("h1")  # nothing happens before the second step
    submit(phone, "#confirm-action")
    assert "已取消“老年书法练习”" in phone.inner_text(".flashes")


def test_the_secretary_sets_up_a_room_at_desktop_width(live_server, desktop):
    url = live_server.url
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    open_community(desktop)
    submit(desktop, "main a:has-text('场地预约')")
    submit(desktop, "a:has-text('场地设置')")
    assert "书画室" in desktop.inner_text("main")
    assert_accessible(desktop, "booking-setup-desktop")

    submit(desktop, "a.button:has-text('设置“书画室”')")
    assert desktop.input_value("#name") == "书画室"
    assert desktop.get_by_label("舞蹈房").is_checked()  # the demo's noisy neighbour
    assert not desktop.get_by_label("乒乓房").is_checked()
    assert_accessible(desktop, "booking-room-setup-desktop")

    # Sunday: open in the evening past midnight too.
    desktop.click("#hours fieldset:nth-of-type(7) summary")
    desktop.fill("#days-6-opens2", "22:00")
    desktop.fill("#days-6-closes2", "01:00")
    submit(desktop, "button:has-text('保存开放时间')")
    assert "已保存“书画室”的开放时间" in desktop.inner_text(".flashes")
    assert desktop.input_value("#days-6-closes2") == "01:00"

    # A bad closed date keeps what was typed and says why next to the field.
    desktop.fill("#reason", "消防检查")
    submit(desktop, "button:has-text('设为不开放')")
    assert "请选择日期" in desktop.inner_text("#closed")
    assert desktop.input_value("#reason") == "消防检查"
    assert_accessible(desktop, "booking-room-setup-error-desktop")
    day = first_day_of(live_server, "书画室", 30)  # not one the demo already closed
    desktop.fill("#day", day.isoformat())
    submit(desktop, "button:has-text('设为不开放')")
    assert day.isoformat() in desktop.inner_text(".closed-list")

    submit(desktop, "#care-toggle")
    assert_accessible(desktop, "booking-room-setup-desktop-care")
    # The same page narrowed to a phone stays one column, nothing wider than the screen.
    desktop.set_viewport_size({"width": 375, "height": 740})
    assert desktop.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(desktop, "booking-room-setup-narrow-care")
    desktop.set_viewport_size({"width": 1280, "height": 900})

    desktop.goto(url + "/")
    open_community(desktop)
    submit(desktop, "main a:has-text('场地预约')")
    submit(desktop, "a:has-text('场地设置')")
    submit(desktop, "a.button:has-text('登记的团队')")
    assert "星光舞蹈队" in desktop.inner_text("main")
    assert_accessible(desktop, "booking-teams-desktop-care")


def test_booking_works_on_a_phone_without_javascript(live_server, browser):
    """The week calendar and the form are plain links and forms: no script is needed to book."""
    url = live_server.url
    day = first_day_of(live_server, "书画室", 3, (time(9, 30), time(10)))
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, url, "resident2", DEMO_PASSWORD)
        open_community(page)
        submit(page, "main a:has-text('场地预约')")
        submit(page, "main h2 a:has-text('书画室')")
        page.goto(page.url.split("?")[0] + f"?week={day.isoformat()}")
        submit(page, f".day:has(h2:has-text('{day.isoformat()}')) a:has-text('预约这一天')")
        assert page.input_value("#date") == day.isoformat()
        page.fill("#start", "09:30")
        page.fill("#end", "10:00")
        page.fill("#title", "读报小组")
        page.fill("#attendance", "4")
        submit(page, "button[type=submit].primary.wide")
        assert "读报小组" in page.locator(f".day:has(h2:has-text('{day.isoformat()}'))").inner_text()
    finally:
        context.close()
