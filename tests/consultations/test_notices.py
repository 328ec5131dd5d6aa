"""Notifications in the recipient's language; a report tells the moderators; a wish's answer and a reply tell
their author — each with the link to the page."""

from __future__ import annotations

import pytest
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from deliberation.consultations import comments, ideas
from deliberation.consultations.models import Notification
from deliberation.consultations.notifications import notify


def notes(session, kind: str) -> dict[int, Notification]:
    return {n.user_id: n for n in session.execute(select(Notification).where(Notification.kind == kind)).scalars()}


@pytest.fixture
def english(make_user, community, session):
    """A resident who reads the site in English."""
    user = make_user("mary", community, building="3号楼", room="305")
    user.locale = "en"
    session.commit()
    return user


@pytest.mark.parametrize("message", [
    pytest.param(_l("您的心愿“%(title)s”收到了答复", title="长椅"), id="a_lazy_string"),
    pytest.param(lambda: _("您的心愿“%(title)s”收到了答复", title="长椅"), id="a_callable"),
])
def test_a_message_is_worded_in_each_readers_language(session, resident, english, message):
    assert notify(session, [resident.id, english.id], "idea", message, "/ideas/1") == 2
    got = notes(session, "idea")
    assert got[resident.id].text == "您的心愿“长椅”收到了答复"
    assert got[english.id].text == "Your wish “长椅” received an answer"
    assert got[english.id].link == got[resident.id].link == "/ideas/1"


def test_a_plain_string_is_kept_as_it_was_worded(session, resident, english):
    notify(session, [resident.id, english.id], "idea", "已经写好的话", "")
    assert {n.text for n in notes(session, "idea").values()} == {"已经写好的话"}


def test_a_report_tells_the_moderators_in_their_language_and_nobody_else(
        session, make_user, community, consultation, round_, resident, neighbour, secretary):
    deputy = make_user("fushuji", community, role="moderator")
    deputy.locale = "en"
    comment = comments.post_comment(session, neighbour, consultation, "王阿姨就是个骗子")
    session.commit()
    comments.report_comment(session, resident, comment, "人身攻击")
    got = notes(session, "report")
    assert set(got) == {secretary.id, deputy.id}
    assert got[secretary.id].text == f"“{consultation.title}”中的一条意见被举报，理由：人身攻击"
    assert got[deputy.id].text == f"A comment in “{consultation.title}” was reported, reason: 人身攻击"
    assert got[secretary.id].link == f"/communities/{community.id}/moderation"


def test_an_answered_wish_tells_its_author_in_their_language(session, community, english, secretary):
    idea = ideas.post_idea(session, english, community, "小区里加几张休息长椅", "从菜场回来没地方坐")
    session.commit()
    ideas.answer_idea(session, secretary, idea, "下个月加装 4 张长椅")
    got = notes(session, "idea")
    assert list(got) == [english.id]
    assert got[english.id].text == "Your wish “小区里加几张休息长椅” received an answer"
    assert got[english.id].link == f"/ideas/{idea.id}"


def test_a_reply_tells_the_author_of_the_comment_in_their_language(
        session, consultation, round_, english, neighbour):
    first = comments.post_comment(session, english, consultation, "希望晚上也开放")
    session.commit()
    reply = comments.post_comment(session, neighbour, consultation, "同意", parent_id=first.id)
    got = notes(session, "reply")
    assert list(got) == [english.id]
    assert got[english.id].text == f"Someone replied to your comment in “{consultation.title}”"
    assert got[english.id].link == f"/consultations/{consultation.id}#comment-{reply.id}"
