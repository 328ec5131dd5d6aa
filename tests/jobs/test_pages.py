"""The moderator's 消息发送记录 and a resident's choice of channels on their account page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.jobs.models import Channel, Delivery, DeliveryStatus


@pytest.fixture
def failed(session, texting):
    delivery = Delivery(key="n1:sms", user_id=texting.id, channel=Channel.SMS, address="13800138000",
                        subject="【议事平台】投票开始了", body="【议事平台】投票开始了", status=DeliveryStatus.FAILED,
                        attempts=5, last_error="SmsError: HTTP 500")
    session.add(delivery)
    session.commit()
    return delivery


def test_the_moderator_sees_what_failed_and_why(client, login, secretary, community, failed):
    login("shuji")
    page = client.get(f"/communities/{community.id}/deliveries?status=failed").get_data(as_text=True)
    assert "消息发送记录" in page and "SmsError: HTTP 500" in page and "重新发送" in page
    assert "wangayi" in page
    sent_only = client.get(f"/communities/{community.id}/deliveries?status=sent").get_data(as_text=True)
    assert "SmsError" not in sent_only
    assert f"/communities/{community.id}/deliveries" in client.get(f"/communities/{community.id}").get_data(
        as_text=True)


def test_trying_again_makes_it_pending_and_is_audited(app, client, login, session, secretary, community, failed):
    app.config["DELIVER_AFTER_COMMIT"] = False
    login("shuji")
    response = client.post(f"/communities/{community.id}/deliveries/{failed.id}/retry")
    assert response.status_code == 302
    session.rollback()
    delivery = session.get(Delivery, failed.id)
    session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "delivery.retry")).scalar_one()
    assert (event.actor_id, event.object_id, event.community_id) == (secretary.id, failed.id, community.id)
    again = client.post(f"/communities/{community.id}/deliveries/{failed.id}/retry", follow_redirects=True)
    assert "只有发送失败的消息可以重新发送" in again.get_data(as_text=True)


def test_another_communitys_moderator_gets_404_and_a_resident_403(client, login, make_user, other_community,
                                                                 community, failed):
    make_user("mod_b", other_community, role="moderator")
    login("mod_b")
    assert client.get(f"/communities/{community.id}/deliveries").status_code == 404
    assert client.post(f"/communities/{other_community.id}/deliveries/{failed.id}/retry").status_code == 404
    client.post("/logout")
    login("wangayi")
    assert client.get(f"/communities/{community.id}/deliveries").status_code == 403


def test_a_resident_chooses_channels_and_sees_plain_errors(client, login, session, texting, make_user, community):
    login("wangayi")
    response = client.post("/account/channels", data={"email": "wang@example.org", "by_email": "y",
                                                      "digest": "y"})
    assert response.status_code == 302
    session.refresh(texting)
    assert (texting.email, texting.notify_email, texting.notify_sms, texting.notify_digest) == (
        "wang@example.org", True, False, True)

    refused = client.post("/account/channels", data={"email": "不是邮箱", "by_email": "y"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "请填写有效的电子邮箱" in page and 'value="不是邮箱"' in page

    no_channel = client.post("/account/channels", data={"digest": "y"})
    assert no_channel.status_code == 422
    assert "请至少选择其中一种" in no_channel.get_data(as_text=True)

    make_user("shuji", community, role="moderator")  # a moderator holds no person of the roster: no phone
    client.post("/logout")
    login("shuji")
    no_phone = client.post("/account/channels", data={"by_sms": "y"})
    assert no_phone.status_code == 422 and "名册中没有您的手机号" in no_phone.get_data(as_text=True)


def test_the_api_tells_a_user_their_channels(client, api_token, session, texting):
    texting.notify_digest = True
    session.commit()
    me = client.get("/api/v1/me", headers=api_token("wangayi")).get_json()
    assert (me["notify_email"], me["notify_sms"], me["notify_digest"]) == (True, True, True)
