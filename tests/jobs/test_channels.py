"""Each resident's channels respected per notification, and the daily digest: a day's items once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from deliberation.consultations.notifications import notify
from deliberation.jobs import deliver
from deliberation.jobs.digest import LOCAL, send_digests
from deliberation.jobs.models import Channel, Delivery, DeliveryStatus


@pytest.fixture(autouse=True)
def _not_sent_yet(app):
    app.config["DELIVER_AFTER_COMMIT"] = False  # these tests look at what is queued; sending is tested apart
    app.config["SMTP_URL"] = "smtp://mail.example.org:25"


def _deliveries(session):
    return session.execute(select(Delivery).order_by(Delivery.id)).scalars().all()


@pytest.mark.parametrize(("email", "by_email", "by_sms", "digest", "smtp", "expected"), [
    pytest.param(None, False, False, False, True, [], id="site_only"),
    pytest.param("a@example.org", True, False, False, True, [(Channel.EMAIL, "a@example.org", "pending")],
                 id="email"),
    pytest.param("a@example.org", True, False, False, False, [], id="email_but_no_mail_server"),
    pytest.param("a@example.org", False, False, False, True, [], id="address_but_email_not_chosen"),
    pytest.param(None, False, True, False, True, [(Channel.SMS, "13800138000", "pending")], id="sms"),
    pytest.param("a@example.org", True, True, False, True,
                 [(Channel.EMAIL, "a@example.org", "pending"), (Channel.SMS, "13800138000", "pending")],
                 id="email_and_sms"),
    pytest.param(None, False, True, True, True, [(Channel.DIGEST, "", "held")], id="digest_instead"),
    pytest.param(None, False, False, True, True, [], id="digest_without_a_channel"),
])
def test_a_notification_goes_by_the_channels_the_resident_chose(app, session, make_user, community, email,
                                                                 by_email, by_sms, digest, smtp, expected):
    if not smtp:
        app.config["SMTP_URL"] = None
    user = make_user("wangayi", community)
    user.email, user.notify_email, user.notify_sms, user.notify_digest = email, by_email, by_sms, digest
    session.commit()
    notify(session, [user.id], "vote", "投票开始了", "/votes/1")
    session.commit()
    assert [(d.channel, d.address, d.status.value) for d in _deliveries(session)] == expected


def test_the_same_notification_is_never_queued_twice(session, texting):
    notify(session, [texting.id], "vote", "投票开始了", "/votes/1")
    session.commit()
    (delivery,) = _deliveries(session)
    notification = {"id": int(delivery.key.split(":")[0][1:]), "user_id": texting.id, "text": "投票开始了",
                    "link": "/votes/1"}
    assert deliver.queue(session, [notification]) == 0
    session.commit()
    assert len(_deliveries(session)) == 1


def test_a_message_named_by_its_caller_is_queued_once_for_every_notification_saying_it(session, texting):
    twice = [{"id": 1, "user_id": texting.id, "text": "投票明天截止", "link": "/votes/1", "key": "remind:v1:u1"},
             {"id": 2, "user_id": texting.id, "text": "投票明天截止", "link": "/votes/1", "key": "remind:v1:u1"}]
    assert deliver.queue(session, twice[:1]) == 1
    assert deliver.queue(session, twice[1:]) == 0
    session.commit()
    assert [d.key for d in _deliveries(session)] == ["remind:v1:u1:sms"]


@pytest.mark.parametrize(("site_url", "request_from", "expected"), [
    pytest.param("https://yishi.example.org", None, "https://yishi.example.org/votes/12", id="the_scheduler"),
    pytest.param("https://yishi.example.org", "http://forged.example.com", "https://yishi.example.org/votes/12",
                 id="a_request_whatever_its_host_header_says"),
    pytest.param(None, "http://192.168.1.20:5000", "http://192.168.1.20:5000/votes/12",
                 id="a_request_without_site_url"),
    pytest.param(None, None, "/votes/12", id="neither"),
])
def test_a_link_sent_outside_the_site_carries_the_sites_address(app, site_url, request_from, expected):
    app.config["SITE_URL"] = site_url
    if request_from is None:
        assert deliver.absolute("/votes/12") == expected
        return
    with app.test_request_context("/votes/12/ballot", base_url=request_from):
        assert deliver.absolute("/votes/12") == expected


def _local(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=LOCAL).astimezone(UTC)


def test_the_digest_holds_a_days_items_once_and_not_the_next_days(app, session, texting, make_user, community):
    reader = make_user("lishu", community)
    reader.email, reader.notify_email, reader.notify_digest = "li@example.org", True, True
    texting.notify_digest = True
    session.commit()
    last = 0
    for text, when in [("三号第一条", _local(3, 10)), ("三号第二条", _local(3, 21)), ("四号早上", _local(4, 7))]:
        notify(session, [texting.id, reader.id], "vote", text, "/votes/1")
        session.execute(update(Delivery).where(Delivery.id > last).values(created_at=when))
        last = session.execute(select(func.max(Delivery.id))).scalar()
    session.commit()
    assert send_digests(session, _local(4, 7)) == 0  # before eight in the morning nothing goes out
    session.commit()

    assert send_digests(session, _local(4, 9)) == 2  # one SMS, one e-mail
    session.commit()
    assert send_digests(session, _local(4, 9)) == 0  # a second run the same day adds nothing
    session.commit()

    digests = {d.channel: d for d in _deliveries(session) if d.key.startswith("digest:")}
    assert set(digests) == {Channel.SMS, Channel.EMAIL}
    sms, email = digests[Channel.SMS], digests[Channel.EMAIL]
    assert (sms.key, sms.address, sms.status) == (f"digest:2026-12-03:{texting.id}:sms", "13800138000",
                                                  DeliveryStatus.PENDING)
    assert "12月3日" in sms.body and "2 条" in sms.body and len(sms.body) < 100
    assert email.address == "li@example.org"
    assert email.body.count("三号第一条") == 1 and email.body.count("三号第二条") == 1
    assert "四号早上" not in email.body
    held = session.execute(select(Delivery.body).where(Delivery.status == DeliveryStatus.HELD)).scalars().all()
    assert len(held) == 2 and all("四号早上" in body for body in held)  # waiting for the fifth's digest

    assert send_digests(session, _local(5, 8)) == 2
    session.commit()
    fifth = {d.channel: d.body for d in _deliveries(session) if d.key.startswith("digest:2026-12-04")}
    assert "四号早上" in fifth[Channel.EMAIL] and "三号" not in fifth[Channel.EMAIL]
    assert "12月4日" in fifth[Channel.SMS] and "1 条" in fifth[Channel.SMS]
