"""The session page stays cheap however many comments it has: a fixed number of statements (one for the
page of comments, one for their replies, one for the viewer's supports; eligibility asked once), fewer
again when the shared comment list comes from the cache, and the reply and report forms written out only
for the comment chosen by a link."""

from __future__ import annotations

import re

from sqlalchemy import inspect

from deliberation.consultations import comments, proposals, sessions
from deliberation.db import utcnow
from deliberation.extensions import db
from deliberation.surveys import builder
from deliberation.surveys.builder import SurveyInput
from deliberation.voting.lifecycle import VoteInput, create_vote
from tests.statements import recorded

# The signed-in user with their roles (one statement), the session with its community, its rounds, its eligibility
# for the viewer and whether it has proposals, joint meetings, votes and surveys (one statement: eligibility asked
# once), the proposals with their versions, ideas and pictures (4), the comments' count, the page of comments,
# their replies, the viewer's supports (with whether they have comments waiting for review), the viewer's own and
# supported comments of the page and the official answers to them. No votes, surveys nor joint meetings: none is
# asked for. No staircases: the session is open to the whole community.
PAGE_STATEMENTS = 12
# From the cache: neither the comments' count, nor the page of comments, nor their replies.
CACHED_STATEMENTS = PAGE_STATEMENTS - 3


def _fresh(session, obj):
    """The object in the current session (the page requests start with an empty one)."""
    return session.get(type(obj), inspect(obj).identity[0])


def _comments(session, consultation, authors, n, viewer, secretary):
    consultation, viewer, secretary = (_fresh(session, o) for o in (consultation, viewer, secretary))
    authors = [_fresh(session, a) for a in authors]
    proposal = proposals.create_proposal(session, secretary, consultation, "方案一", "正文")
    made = []
    for i in range(n):
        author = authors[i % len(authors)]
        comment = comments.post_comment(session, author, consultation, f"第 {i + 1} 条意见",
                                        proposal_id=proposal.id if i % 3 == 0 else None)
        made.append(comment)
        comments.post_comment(session, authors[(i + 1) % len(authors)], consultation, f"回复 {i + 1}",
                              parent_id=comment.id)
    for comment in made[: n // 2]:
        if comment.author_id != viewer.id:
            comments.support_comment(session, viewer, comment)
    session.commit()
    return made


def _without_tokens(html: str) -> str:
    """The page with its CSRF tokens blanked: a token carries the second it was signed, so two renderings of the
    same page differ in it whenever a second turns between them."""
    return re.sub(r'(name="csrf_token" value=")[^"]*"', r'\1"', html)


def _page(client, consultation_id, query=""):
    db.session.remove()  # a request starts with an empty session, as it does outside the tests
    with recorded(skip=("BEGIN",)) as statements:
        response = client.get(f"/consultations/{consultation_id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True), statements


def test_the_session_page_takes_the_same_few_statements_for_any_number_of_comments(
        client, session, consultation, round_, resident, neighbour, make_user, community, login, secretary):
    authors = [neighbour] + [make_user(f"jumin{n}", community, building="3号楼", room=f"7{n}1") for n in range(4)]
    consultation_id = consultation.id
    _comments(session, consultation, authors, 4, resident, secretary)
    login("wangayi")
    _page(client, consultation_id)  # warm: the first request of a client loads more than the page
    _few_html, few = _page(client, consultation_id)  # the shared list from the cache
    _comments(session, consultation, authors, 16, resident, secretary)
    many_html, rendered = _page(client, consultation_id)  # the comments changed: rendered again
    again_html, many = _page(client, consultation_id)
    assert _without_tokens(again_html) == _without_tokens(many_html)
    assert many_html.count('class="comment') >= 20
    assert len(many) == len(few), (few, many)
    assert len(rendered) == PAGE_STATEMENTS, "\n".join(s.replace("\n", " ")[:150] for s in rendered)
    assert len(many) == CACHED_STATEMENTS, "\n".join(s.replace("\n", " ")[:150] for s in many)
    for statements in (rendered, many):
        assert sum(s.startswith("SELECT comment_supports.") for s in statements) == 1
        assert sum("FROM ownerships" in s for s in statements) == 1  # eligibility asked once, not twice
        assert not any(s.startswith("SELECT buildings.id, buildings.name") for s in statements)  # not shown
    # The page and the replies, then the viewer's own and supported comments of the page and the official
    # answers their own questions got (their state: 已收到 / 已答复).
    assert sum(s.lstrip().startswith("SELECT comments.") for s in rendered) == 4
    assert sum(s.lstrip().startswith("SELECT comments.") for s in many) == 2


def test_reply_and_report_forms_only_for_the_chosen_comment(client, session, consultation, round_, resident,
                                                           neighbour, make_user, community, login, secretary):
    authors = [neighbour, make_user("jumin", community, building="3号楼", room="901")]
    made = _comments(session, consultation, authors, 6, resident, secretary)
    chosen, round_number = made[2].id, made[2].round.number
    consultation_id = consultation.id
    login("wangayi")
    page, _statements = _page(client, consultation_id)
    assert 'id="reply-' not in page and 'id="report-' not in page
    base = f"/consultations/{consultation_id}?round={round_number}&amp;sort=supported"
    assert f'href="{base}&amp;reply={chosen}#comment-{chosen}"' in page
    assert f'href="{base}&amp;report={chosen}#comment-{chosen}"' in page
    page, _statements = _page(client, consultation_id, f"?reply={chosen}")
    assert re.findall(r'id="reply-(\d+)"', page) == [str(chosen)]
    assert f'action="/comments/{chosen}/replies"' in page
    page, _statements = _page(client, consultation_id, f"?report={chosen}")
    assert re.findall(r'id="report-(\d+)"', page) == [str(chosen)]
    response = client.post(f"/comments/{chosen}/replies", data={"body": ""})
    assert response.status_code == 422
    assert re.findall(r'id="reply-(\d+)"', response.get_data(as_text=True)) == [str(chosen)]



PARTS = ("proposals", "joint_meetings", "votes", "surveys")


def _asks_for(table: str, statement: str) -> bool:
    """The statement reads the session's rows of the table (not the rows that another part names, nor whether there
    are any: the session's own statement asks that)."""
    words = " ".join(statement.split())
    return words.startswith(f"SELECT {table}.") and f"FROM {table} WHERE {table}.consultation_id = " in words


def test_a_part_the_session_has_none_of_is_not_asked_for(client, session, consultation, round_, resident, secretary,
                                                         login):
    """Whether the session has proposals, joint meetings, votes and surveys comes with the session itself: the page
    asks for a part only when there is one, and shows each once there is."""
    consultation_id = consultation.id
    login("wangayi")
    _page(client, consultation_id)
    page, statements = _page(client, consultation_id)
    for table in PARTS:
        assert not any(_asks_for(table, s) for s in statements), table
    # The signed-in user, the session (with what it has, and that the viewer has neither supports nor comments
    # waiting for review in it): nothing else.
    assert len(statements) == 2, "\n".join(s.replace("\n", " ")[:150] for s in statements)
    assert "还没有方案。" in page and "暂无联席会议记录。" in page and "还没有表决。" in page

    consultation, secretary = _fresh(session, consultation), _fresh(session, secretary)
    proposal = proposals.create_proposal(session, secretary, consultation, "加装电梯方案", "正文")
    sessions.add_meeting(session, secretary, consultation, utcnow(), "居民区会议室", "街道、物业、居民代表")
    create_vote(session, secretary, consultation, VoteInput(title="是否同意加装电梯", proposal_id=proposal.id))
    builder.create_survey(session, secretary, consultation.community, SurveyInput(
        title="电梯使用需求调查", consultation_id=consultation.id))
    session.commit()
    login("shuji")  # the votes and surveys are drafts: a moderator sees them
    page, statements = _page(client, consultation_id)
    for table in PARTS:
        assert sum(_asks_for(table, s) for s in statements) == 1, table
    for shown in ("加装电梯方案", "居民区会议室", "是否同意加装电梯", "电梯使用需求调查"):
        assert shown in page, shown


def test_the_viewers_facts_are_asked_for_once_they_have_any(client, session, consultation, round_, resident,
                                                            neighbour, secretary, login):
    """Whether the viewer supports any comment of the session, or has one waiting for review, comes with the
    session: a viewer with neither is not asked for their supports, one with either is, and sees them."""
    consultation_id = consultation.id
    consultation, neighbour, resident = (_fresh(session, o) for o in (consultation, neighbour, resident))
    theirs = comments.post_comment(session, neighbour, consultation, "楼道里需要加装扶手")
    session.commit()
    login("wangayi")
    page, statements = _page(client, consultation_id)
    assert not any(s.startswith("SELECT comment_supports.") for s in statements)
    assert "已支持" not in page
    comments.support_comment(session, _fresh(session, resident), _fresh(session, theirs))
    session.commit()
    page, statements = _page(client, consultation_id)
    assert sum(s.startswith("SELECT comment_supports.") for s in statements) == 1
    assert "已支持 1 · 取消" in page
    # A comment of hers waiting for review: shown to her among the others (her list rendered for her alone).
    consultation = _fresh(session, consultation)
    consultation.pre_moderation = True
    comments.post_comment(session, _fresh(session, resident), consultation, "建议在一楼放几把椅子")
    comments.withdraw_support(session, _fresh(session, resident), _fresh(session, theirs))
    session.commit()
    page, _statements = _page(client, consultation_id)
    assert "建议在一楼放几把椅子" in page and "已支持" not in page
