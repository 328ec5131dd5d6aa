"""Moderation: reports, hiding with a reason, restoring, pre-moderation, blocked words, rate limits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.consultations import comments, moderation
from deliberation.consultations.models import CommentReport, CommentStatus, Notification
from deliberation.errors import Conflict, Forbidden

ABUSE = "王阿姨就是个骗子，大家别信她"


@pytest.fixture
def abusive(session, consultation, round_, neighbour):
    comment = comments.post_comment(session, neighbour, consultation, ABUSE)
    session.commit()
    return comment


def test_a_resident_reports_a_comment_with_a_reason_once(client, login, session, abusive, resident):
    login("wangayi")
    response = client.post(
        f"/comments/{abusive.id}/report", data={"reason": "人身攻击"}, follow_redirects=True
    )
    assert "已举报" in response.text
    again = client.post(f"/comments/{abusive.id}/report", data={"reason": "再举报"}, follow_redirects=True)
    assert "您已经举报过" in again.text
    reports = session.execute(select(CommentReport)).scalars().all()
    assert [(r.reporter_id, r.reason) for r in reports] == [(resident.id, "人身攻击")]


def test_a_report_needs_a_reason(session, abusive, resident):
    from deliberation.errors import Invalid

    with pytest.raises(Invalid):
        comments.report_comment(session, resident, abusive, " ")


def test_the_moderator_sees_reported_comments_in_the_queue(
    client, login, session, abusive, resident, secretary
):
    comments.report_comment(session, resident, abusive, "人身攻击")
    session.commit()
    login("shuji")
    page = client.get(f"/communities/{abusive.consultation.community_id}/moderation").text
    assert ABUSE in page and "人身攻击" in page and "被举报 1 次" in page


def test_hidden_text_is_never_shown_to_residents_but_kept_for_moderators_and_audit(
    client, login, session, abusive, resident, neighbour, secretary
):
    login("shuji")
    response = client.post(f"/comments/{abusive.id}/hide", data={"reason": "人身攻击，违反议事规则"})
    assert response.status_code == 302
    session.refresh(abusive)
    assert abusive.status == CommentStatus.HIDDEN and abusive.body == ABUSE
    assert (
        ABUSE in client.get(f"/consultations/{abusive.consultation_id}").text
    )  # the moderator still reads it
    client.post("/logout")
    for username in ("wangayi", "lishushu"):  # a bystander and the author alike
        login(username)
        page = client.get(f"/consultations/{abusive.consultation_id}").text
        assert ABUSE not in page
        assert "已被主持人隐藏" in page
        listing = client.get(
            f"/api/v1/consultations/{abusive.consultation_id}/comments", headers=_token(client, username)
        ).get_json()
        [item] = listing["items"]
        assert item["body"] is None and item["status"] == "hidden"
        assert ABUSE not in str(listing)
        client.post("/logout")
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "comment.hide")).scalar_one()
    assert event.data["body"] == ABUSE and event.data["reason"] == "人身攻击，违反议事规则"


def test_the_author_is_told_why_a_comment_was_hidden(session, abusive, neighbour, secretary):
    moderation.hide_comment(session, secretary, abusive, "人身攻击")
    note = session.execute(select(Notification).where(Notification.user_id == neighbour.id)).scalar_one()
    assert note.kind == "hidden" and "人身攻击" in note.text


def test_hiding_needs_a_moderator_and_a_reason(session, abusive, resident, secretary):
    from deliberation.errors import Invalid

    with pytest.raises(Forbidden):
        moderation.hide_comment(session, resident, abusive, "我不喜欢")
    with pytest.raises(Invalid):
        moderation.hide_comment(session, secretary, abusive, "")


def test_a_resident_posting_to_the_hide_url_gets_403(client, login, abusive, resident):
    login("wangayi")
    assert client.post(f"/comments/{abusive.id}/hide", data={"reason": "x"}).status_code == 403


def test_restore_publishes_again_and_is_audited(session, abusive, secretary):
    moderation.hide_comment(session, secretary, abusive, "误会")
    moderation.restore_comment(session, secretary, abusive)
    assert abusive.status == CommentStatus.PUBLISHED and abusive.hidden_reason == ""
    with pytest.raises(Conflict):
        moderation.restore_comment(session, secretary, abusive)
    actions = (
        session.execute(
            select(AuditEvent.action).where(AuditEvent.action.like("comment.%")).order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert actions == ["comment.create", "comment.hide", "comment.restore"]


def test_pre_moderation_holds_resident_comments_until_approved(
    session, client, login, make_consultation, open_round, resident, neighbour, secretary
):
    consultation = make_consultation(pre_moderation=True)
    open_round(consultation)
    comment = comments.post_comment(session, resident, consultation, "先审后发的意见")
    own = comments.post_comment(session, secretary, consultation, "主持人的说明")
    session.commit()
    assert comment.status == CommentStatus.PENDING
    assert own.status == CommentStatus.PUBLISHED
    login("lishushu")
    assert "先审后发的意见" not in client.get(f"/consultations/{consultation.id}").text
    assert (
        client.get(
            f"/api/v1/consultations/{consultation.id}/comments", headers=_token(client, "lishushu")
        ).get_json()["total"]
        == 1
    )
    client.post("/logout")
    login("wangayi")
    page = client.get(f"/consultations/{consultation.id}").text
    assert "先审后发的意见" in page and "待审核" in page  # the author sees their own, marked
    moderation.restore_comment(session, secretary, comment)
    session.commit()
    client.post("/logout")
    login("lishushu")
    assert "先审后发的意见" in client.get(f"/consultations/{consultation.id}").text


def test_a_blocked_word_sends_the_comment_to_the_queue(
    client, login, session, consultation, round_, resident, secretary, community
):
    login("shuji")
    client.post(f"/communities/{community.id}/blocked-words", data={"word": "骗子"})
    client.post("/logout")
    login("wangayi")
    response = client.post(
        f"/consultations/{consultation.id}/comments", data={"body": "物业都是骗子"}, follow_redirects=True
    )
    assert "等待主持人审核" in response.text
    client.post("/logout")
    login("shuji")
    queue = client.get(f"/communities/{community.id}/moderation").text
    assert "物业都是骗子" in queue and "待审核" in queue


def test_blocked_words_match_regardless_of_case(
    session, consultation, round_, resident, secretary, community
):
    moderation.add_blocked_word(session, secretary, community, "SB")
    comment = comments.post_comment(session, resident, consultation, "你真是个sb")
    assert comment.status == CommentStatus.PENDING
    with pytest.raises(Conflict):
        moderation.add_blocked_word(session, secretary, community, "SB")


def test_a_pending_comment_of_someone_else_does_not_exist_for_a_resident(
    client, login, session, make_consultation, open_round, resident, neighbour
):
    consultation = make_consultation(pre_moderation=True)
    open_round(consultation)
    comment = comments.post_comment(session, resident, consultation, "待审")
    session.commit()
    login("lishushu")
    assert client.post(f"/comments/{comment.id}/support").status_code == 404
    assert (
        client.post(
            f"/api/v1/comments/{comment.id}/reports", json={"reason": "x"}, headers=_token(client, "lishushu")
        ).status_code
        == 404
    )


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_ENABLED": True}])
def test_posting_comments_is_rate_limited_per_user(
    client, login, session, consultation, round_, resident, neighbour
):
    login("wangayi")
    statuses = [
        client.post(f"/consultations/{consultation.id}/comments", data={"body": f"第{i}条"}).status_code
        for i in range(11)
    ]
    assert statuses == [302] * 10 + [429]
    # The limit is per user, not per address: a neighbour on the same network still posts.
    client.post("/logout")
    login("lishushu")
    assert client.post(f"/consultations/{consultation.id}/comments", data={"body": "我的"}).status_code == 302
    api = client.post(
        f"/api/v1/consultations/{consultation.id}/comments",
        json={"body": "接口"},
        headers=_token(client, "wangayi"),
    )
    assert api.status_code == 429
    assert api.get_json()["error"]["code"] == "rate_limited"


def _token(client, username):
    from tests.conftest import PASSWORD

    token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).get_json()[
        "token"
    ]
    return {"Authorization": f"Bearer {token}"}


def test_one_cannot_report_ones_own_comment(client, login, session, consultation, round_, resident, neighbour):
    mine = comments.post_comment(session, resident, consultation, "我的意见")
    session.commit()
    assert not mine.can_report(resident) and mine.can_report(neighbour)
    with pytest.raises(Forbidden):
        comments.report_comment(session, resident, mine, "自己举报自己")
    session.rollback()
    login("wangayi")
    page = client.get(f"/consultations/{consultation.id}?report={mine.id}").text
    assert f'action="/comments/{mine.id}/report"' not in page


@pytest.mark.parametrize(("word", "status", "message"), [
    pytest.param("", 422, "请填写屏蔽词", id="empty"),
    pytest.param("骗" * 51, 422, "最多 50 个字，请删减一些", id="over_50_characters"),
    pytest.param("骗子", 409, "已存在", id="already_listed"),
])
def test_a_refused_blocked_word_is_shown_again_as_typed(client, login, session, secretary, community, word, status,
                                                        message):
    moderation.add_blocked_word(session, secretary, community, "骗子")
    session.commit()
    login("shuji")
    response = client.post(f"/communities/{community.id}/blocked-words", data={"word": word})
    assert response.status_code == status
    page = response.text
    assert f'<p class="error" id="word-error">{message}</p>' in page
    assert 'id="word"' in page and f'value="{word}"' in page
