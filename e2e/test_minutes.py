"""The minutes in a browser: a resident reads the published minutes on a phone; the secretary drafts."""

from __future__ import annotations

from sqlalchemy import select

from e2e.conftest import assert_accessible, sign_in

PASSWORD = "yishi-2026"


def publish_demo_minutes(app) -> int:
    from deliberation.accounts.models import User
    from deliberation.consultations import services as consultations
    from deliberation.consultations.demo import TITLE
    from deliberation.consultations.models import Consultation, Phase
    from deliberation.extensions import db
    from deliberation.minutes import services

    with app.app_context():
        consultation = db.session.execute(select(Consultation).where(Consultation.title == TITLE)).scalar_one()
        secretary = db.session.execute(select(User).where(User.username == "shuji")).scalar_one()
        if consultation.effective_phase.order < Phase.CLOSED.order:
            consultations.move_phase(db.session, secretary, consultation, Phase.CLOSED)
        services.save_draft(db.session, secretary, consultation, host="王书记", recorder="李干事",
                            closing_notes="经联席会议讨论并表决，同意按方案一修改稿实施。\n物业服务中心负责施工协调。")
        services.publish(db.session, secretary, consultation)
        db.session.commit()
        return consultation.id


def test_a_resident_reads_the_minutes_on_a_phone(live_server, phone):
    consultation_id = publish_demo_minutes(live_server.app)
    sign_in(phone, live_server.url, "resident1", PASSWORD)
    phone.goto(f"{live_server.url}/consultations/{consultation_id}/minutes")
    assert phone.locator("h1.doc-title").inner_text().startswith("党群服务站")
    assert phone.locator(".minutes-actions a").count() == 7
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways: {width}px"
    assert_accessible(phone, "minutes-phone")
    with phone.expect_navigation():
        phone.click("#care-toggle")
    assert_accessible(phone, "minutes-phone-care")
    phone.goto(f"{live_server.url}/consultations/{consultation_id}/minutes/document")
    assert_accessible(phone, "minutes-document-phone")


def test_the_secretary_drafts_on_a_desktop(live_server, desktop):
    from deliberation.consultations.demo import TITLE
    from deliberation.consultations.models import Consultation
    from deliberation.extensions import db

    with live_server.app.app_context():
        consultation_id = db.session.execute(select(Consultation.id).where(Consultation.title == TITLE)).scalar_one()
    sign_in(desktop, live_server.url, "shuji", PASSWORD)
    desktop.goto(f"{live_server.url}/consultations/{consultation_id}/minutes")
    desktop.fill("#closing_notes", "同意按方案一修改稿实施。")
    desktop.fill("#recorder", "李干事")
    with desktop.expect_navigation():
        desktop.click("text=保存草稿")
    assert "纪要草稿已保存" in desktop.content()
    assert "同意按方案一修改稿实施。" in desktop.locator(".minutes-doc").inner_text()
    assert_accessible(desktop, "minutes-draft-desktop")
