"""Comment rounds: who may comment when, threads, supports, official answers, sorting and pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from deliberation.consultations import comments as comment_ops
from deliberation.consultations import proposals, sessions
from deliberation.consultations.models import Comment, CommentSupport, Phase
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid


def test_a_resident_comments_in_the_open_round_and_it_is_shown_escaped(
    client, login, session, consultation, round_, resident
):
    login("wangayi")
    response = client.post(
        f"/consultations/{consultation.id}/comments",
        data={"body": "这次升级真的有必要吗？\n<script>alert(1)</script>"},
    )
    assert response.status_code == 302
    page = client.get(f"/consultations/{consultation.id}").text
    assert "这次升级真的有必要吗？" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    comment = session.execute(select(Comment)).scalar_one()
    assert (comment.round_id, comment.author_id) == (round_.id, resident.id)


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "请填写意见内容"), ("   ", "请填写意见内容"), ("很" * 5001, "不能超过 5000 个字")],
)
def test_empty_or_overlong_comments_are_refused_keeping_nothing(
    client, login, session, consultation, round_, resident, body, message
):
    login("wangayi")
    response = client.post(f"/consultations/{consultation.id}/comments", data={"body": body})
    assert response.status_code == 422
    assert message in response.text
    assert session.execute(select(func.count(Comment.id))).scalar() == 0


def test_the_service_refuses_overlong_text_too(session, consultation, round_, resident):
    with pytest.raises(Invalid):
        comment_ops.post_comment(session, resident, consultation, "字" * 5001)
    comment_ops.post_comment(session, resident, consultation, "字" * 5000)


def test_no_comment_on_a_closed_round(client, login, session, consultation, round_, resident, secretary):
    comment_ops.close_round(session, secretary, round_)
    session.commit()
    with pytest.raises(Conflict, match="已结束或尚未开始"):
        comment_ops.post_comment(session, resident, consultation, "晚到的意见")
    login("wangayi")
    response = client.post(f"/consultations/{consultation.id}/comments", data={"body": "晚到的意见"})
    assert response.status_code == 409
    assert "已结束或尚未开始" in response.text
    assert session.execute(select(func.count(Comment.id))).scalar() == 0


def test_no_comment_before_a_round_opens_or_without_one(session, consultation, resident, secretary):
    with pytest.raises(Conflict):
        comment_ops.post_comment(session, resident, consultation, "还没开始")
    comment_ops.open_round(
        session, secretary, consultation, utcnow() + timedelta(days=3), opens_at=utcnow() + timedelta(days=1)
    )
    with pytest.raises(Conflict):
        comment_ops.post_comment(session, resident, consultation, "还没开始")


def test_no_comment_once_the_session_is_voting(session, consultation, round_, resident, secretary):
    sessions.move_phase(session, secretary, consultation, Phase.VOTING)
    with pytest.raises(Conflict):
        comment_ops.post_comment(session, resident, consultation, "太晚了")


def test_an_ineligible_resident_may_not_comment(session, make_consultation, open_round, neighbour, resident):
    from deliberation.consultations.models import Eligibility

    panel = make_consultation("代表座谈", eligibility=Eligibility.PERSONS, person_ids=[resident.person_id])
    open_round(panel)
    with pytest.raises(Forbidden):
        comment_ops.post_comment(session, neighbour, panel, "我也想说")


def test_a_reply_records_its_thread_and_tells_the_author(session, consultation, round_, resident, neighbour):
    from deliberation.consultations.models import Notification

    question = comment_ops.post_comment(session, resident, consultation, "施工要多久？")
    answer = comment_ops.post_comment(session, neighbour, consultation, "听说三个月", parent_id=question.id)
    deeper = comment_ops.post_comment(session, resident, consultation, "谢谢", parent_id=answer.id)
    assert (answer.thread_id, deeper.thread_id, deeper.parent_id) == (question.id, question.id, answer.id)
    notes = session.execute(select(Notification.user_id, Notification.kind).order_by(Notification.id)).all()
    assert notes == [(resident.id, "reply"), (neighbour.id, "reply")]


def test_a_reply_to_a_comment_of_another_session_is_refused(
    session, make_consultation, open_round, resident, client, login
):
    first = make_consultation("议事甲")
    second = make_consultation("议事乙")
    open_round(first)
    open_round(second)
    elsewhere = comment_ops.post_comment(session, resident, first, "甲的意见")
    session.commit()
    with pytest.raises(Invalid, match="只能回复本次议事中的意见"):
        comment_ops.post_comment(session, resident, second, "串门回复", parent_id=elsewhere.id)
    login("wangayi")
    response = client.post(
        f"/api/v1/consultations/{second.id}/comments",
        json={"body": "串门回复", "parent_id": elsewhere.id},
        headers=_token(client),
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"parent_id": "回复的意见不在本次议事中"}
    assert session.execute(select(func.count(Comment.id))).scalar() == 1


def _token(client, username="wangayi"):
    from tests.conftest import PASSWORD

    token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).get_json()[
        "token"
    ]
    return {"Authorization": f"Bearer {token}"}


def test_one_support_each_withdrawable_counted_in_sql(
    session, client, login, consultation, round_, resident, neighbour
):
    comment = comment_ops.post_comment(session, resident, consultation, "坡道要缓一点")
    session.commit()
    login("lishushu")
    url = f"/comments/{comment.id}/support"
    assert client.post(url).status_code == 302
    second = client.post(url, follow_redirects=True)
    assert "您已经支持过这条意见" in second.text
    session.refresh(comment)
    assert comment.support_count == 1
    assert session.execute(select(func.count(CommentSupport.id))).scalar() == 1
    client.post(url, data={"action": "withdraw"})
    session.refresh(comment)
    assert comment.support_count == 0
    with pytest.raises(Conflict):
        comment_ops.withdraw_support(session, neighbour, comment)


def test_no_support_for_ones_own_comment(session, consultation, round_, resident):
    comment = comment_ops.post_comment(session, resident, consultation, "自己的意见")
    with pytest.raises(Conflict, match="不能支持自己的意见"):
        comment_ops.support_comment(session, resident, comment)


def test_the_official_answer_is_pinned_under_the_question(
    client, login, session, consultation, round_, resident, neighbour, secretary
):
    question = comment_ops.post_comment(session, resident, consultation, "这次升级真的有必要吗？")
    comment_ops.post_comment(session, neighbour, consultation, "我也想知道", parent_id=question.id)
    comment_ops.close_round(session, secretary, round_)  # answers may come after the round has closed
    comment_ops.post_comment(
        session,
        secretary,
        consultation,
        "有必要：活动室太小，卫生间不便轮椅进出。",
        parent_id=question.id,
        official_answer=True,
    )
    session.commit()
    listing = comment_ops.list_comments(session, resident, consultation)
    replies = listing.replies[question.id]
    assert [r.is_official_answer for r in replies] == [True, False]
    login("wangayi")
    page = client.get(f"/consultations/{consultation.id}").text
    assert (
        page.index("这次升级真的有必要吗？")
        < page.index("正式答复")
        < page.index("有必要：活动室太小")
        < page.index("我也想知道")
    )


def test_only_a_moderator_gives_an_official_answer(session, consultation, round_, resident, neighbour):
    question = comment_ops.post_comment(session, resident, consultation, "问题")
    with pytest.raises(Forbidden):
        comment_ops.post_comment(
            session, neighbour, consultation, "冒充答复", parent_id=question.id, official_answer=True
        )


def test_comments_sort_by_support_or_newest_and_are_paginated(
    session, consultation, round_, resident, neighbour, make_user, community
):
    comments = [comment_ops.post_comment(session, resident, consultation, f"意见{i}") for i in range(25)]
    comment_ops.support_comment(session, neighbour, comments[3])
    session.commit()
    first = comment_ops.list_comments(session, resident, consultation, sort="supported", page=1)
    assert first.page.items[0].id == comments[3].id
    assert (first.page.total, len(first.page.items), first.page.pages) == (25, 20, 2)
    newest = comment_ops.list_comments(session, resident, consultation, sort="newest", page=2)
    assert [c.body for c in newest.page.items] == [f"意见{i}" for i in range(4, -1, -1)]


def test_the_comment_records_the_proposal_version_it_was_about(
    session, consultation, round_, resident, secretary
):
    proposal = proposals.create_proposal(session, secretary, consultation, "方案一", "正文")
    first = comment_ops.post_comment(session, resident, consultation, "关于第一版", proposal_id=proposal.id)
    proposals.add_version(session, secretary, proposal, "方案一", "新正文", "修改")
    second = comment_ops.post_comment(session, resident, consultation, "关于第二版", proposal_id=proposal.id)
    assert (first.proposal_version.number, second.proposal_version.number) == (1, 2)


def test_a_proposal_of_another_session_cannot_be_commented_here(
    session, make_consultation, open_round, resident, secretary
):
    here = make_consultation("这里")
    there = make_consultation("那里")
    open_round(here)
    proposal = proposals.create_proposal(session, secretary, there, "别处方案", "正文")
    with pytest.raises(Invalid):
        comment_ops.post_comment(session, resident, here, "意见", proposal_id=proposal.id)


def test_replying_on_the_page(client, login, session, consultation, round_, resident, neighbour):
    question = comment_ops.post_comment(session, resident, consultation, "几点开门？")
    session.commit()
    login("lishushu")
    assert client.post(f"/comments/{question.id}/replies", data={"body": "八点"}).status_code == 302
    empty = client.post(f"/comments/{question.id}/replies", data={"body": ""})
    assert empty.status_code == 422
    assert "请填写回复内容" in empty.text
    reply = session.execute(select(Comment).where(Comment.parent_id == question.id)).scalar_one()
    assert reply.body == "八点" and not reply.is_official_answer


def test_closing_a_round_twice_goes_back_to_the_session_saying_so(client, login, session, consultation, round_,
                                                                 secretary):
    login("shuji")
    assert client.post(f"/rounds/{round_.id}/close").status_code == 302
    again = client.post(f"/rounds/{round_.id}/close")
    assert again.status_code == 302  # a second tap: no bare error page
    page = client.get(again.headers["Location"]).text
    assert "这一轮已经结束" in page and "错误代码" not in page
