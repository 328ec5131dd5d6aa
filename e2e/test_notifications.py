"""Notices people wait for: a comment a resident reports appears among the secretary's unread notices on her
home, and leads to the moderation queue; a booking the secretary declines, with her note, appears in the
resident's notices on his phone. axe-core finds nothing serious on the pages shown."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from deliberation.demo import DEMO_PASSWORD
from e2e.conftest import assert_accessible, first_proposal, sign_in

pytestmark = pytest.mark.e2e


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def pending_booking(server, username: str, title: str) -> tuple[int, int]:
    """A booking of a room that needs approval, made by the resident through the service: (booking id, the
    community's id)."""
    from deliberation.accounts.models import User
    from deliberation.booking.bookings import create_booking
    from deliberation.booking.models import BookingStatus, Room
    from deliberation.booking.schedule import local_slot, local_today
    from deliberation.errors import DomainError
    from deliberation.extensions import db

    with server.app.app_context():
        resident = db.session.execute(select(User).where(User.username == username)).scalar_one()
        community_id = resident.memberships[0].community_id
        room = db.session.execute(select(Room).where(Room.community_id == community_id, Room.needs_approval)
                                  .order_by(Room.id)).scalars().first()
        assert room is not None, "the demo has a room that needs approval"
        for days in range(10, 24):  # the first free daytime hour in a fortnight's time
            for hour in (10, 14, 16):
                starts_at, ends_at = local_slot(local_today() + timedelta(days=days), time(hour), time(hour + 1))
                try:
                    booking = create_booking(db.session, resident, room, title=title, attendance=6,
                                             starts_at=starts_at, ends_at=ends_at)
                except DomainError:
                    db.session.rollback()
                    continue
                assert booking.status == BookingStatus.PENDING
                db.session.commit()
                found = booking.id, community_id
                db.session.remove()
                return found
    raise AssertionError("no free hour for the booking")


def test_a_reported_comment_appears_on_the_secretarys_home(live_server, desktop, phone):
    url = live_server.url
    consultation_id, _proposal_id = first_proposal(live_server)

    sign_in(phone, url, "resident1", DEMO_PASSWORD)
    phone.goto(f"{url}/consultations/{consultation_id}")
    submit(phone, "a.small-button:has-text('举报')")
    phone.fill("input[name=reason]", "与议题无关的广告")
    submit(phone, "button:has-text('提交举报')")
    assert "已举报" in phone.inner_text(".flashes")

    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    desktop.goto(url + "/")
    notices = desktop.locator("#door-notices")
    report = notices.locator("a", has_text="与议题无关的广告")
    assert "被举报" in report.inner_text()
    assert_accessible(desktop, "notices-moderator-home")
    submit(desktop, "#door-notices a:has-text('与议题无关的广告')")
    assert desktop.url.endswith("/moderation")
    assert "与议题无关的广告" in desktop.inner_text("main")


def test_a_declined_booking_shows_in_the_residents_notices(live_server, desktop, phone):
    url = live_server.url
    booking_id, community_id = pending_booking(live_server, "resident1", "楼组读书会")

    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    desktop.goto(f"{url}/communities/{community_id}/rooms/queue")
    desktop.fill(f"#note-{booking_id}", "当天有联席会议")
    submit(desktop, f"form:has(#note-{booking_id}) button:has-text('拒绝')")
    assert "已拒绝" in desktop.inner_text(".flashes")

    sign_in(phone, url, "resident1", DEMO_PASSWORD)
    assert "楼组读书会" in phone.inner_text("#door-notices")
    phone.goto(f"{url}/notifications")
    notice = phone.locator("main li", has_text="楼组读书会").first
    assert "未获批准" in notice.inner_text() and "当天有联席会议" in notice.inner_text()
    assert_accessible(phone, "notices-resident-declined-booking")
    submit(phone, "main li:has-text('楼组读书会') a")
    assert phone.url.endswith("/bookings/mine")
