"""The session page's shared comment list (routes/comment_list.py): served from the cache until the
comments change, rendered again after a new comment, a hidden comment, an official answer, a support or in
another language; and whatever it holds, one viewer never sees another's parts — their own comments, their
supports, their pending comments, their CSRF token. Run with the cache in the process and in Redis."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import inspect, update

from deliberation.consultations import comments, moderation
from deliberation.consultations.models import Comment
from deliberation.extensions import db
from tests.conftest import PASSWORD


@pytest.fixture(params=["process", "redis"])
def config_overrides(request):
    # CSRF on, so that each viewer's token is really written into the page.
    settings = {"WTF_CSRF_ENABLED": True}
    if request.param == "redis":
        # A prefix of the test's own: entries of earlier tests (same ids, same versions) are never met.
        settings |= {"REDIS_URL": request.getfixturevalue("redis_url"),
                     "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}:"}
    return settings


def _signed_in(app, username: str):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302
    return client


def _page(client, consultation_id: int) -> str:
    db.session.remove()  # each request starts with an empty session, as outside the tests
    answer = client.get(f"/consultations/{consultation_id}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def _article(page: str, comment_id: int) -> str:
    found = re.search(rf'<article class="comment[^"]*" id="comment-{comment_id}">(.*?)</article>', page, re.S)
    assert found, f"comment {comment_id} not on the page"
    return found.group(1)


def _fresh(obj):
    """The object in the current session (each page request ends with an empty one)."""
    return db.session.get(type(obj), inspect(obj).identity[0])


@pytest.fixture
def posted(session, consultation, round_, neighbour):
    comment = comments.post_comment(session, _fresh(neighbour), _fresh(consultation), "楼道里需要加装扶手")
    session.commit()
    return comment.id


def test_the_list_comes_from_the_cache_until_the_comments_change(app, session, consultation, posted, resident):
    cid = inspect(consultation).identity[0]
    client = _signed_in(app, "wangayi")
    first = _page(client, cid)
    assert "楼道里需要加装扶手" in first
    # Nothing of hers on the list: the shared list as it is, with her token in the forms of its comments.
    assert 'action="/comments/' in first and len(_tokens(first)) == 1
    assert "\x00" not in first and "<!--item" not in first
    # Written behind the services' back, the version unchanged: the page still shows the cached list.
    session.execute(update(Comment).where(Comment.id == posted).values(body="改写过的意见"))
    session.commit()
    assert "楼道里需要加装扶手" in _page(client, cid)
    comments.post_comment(session, _fresh(resident), _fresh(consultation), "建议在一楼放几把椅子")
    session.commit()
    page = _page(client, cid)
    assert "建议在一楼放几把椅子" in page and "改写过的意见" in page


@pytest.mark.parametrize("change", ["new comment", "hidden", "official answer", "support", "restored"])
def test_each_change_of_the_comments_shows_at_once(app, session, consultation, posted, resident, secretary,
                                                   change):
    cid = inspect(consultation).identity[0]
    reader = _signed_in(app, "wangayi")
    other = _signed_in(app, "lishushu")
    before = _page(reader, cid)
    _page(other, cid)
    c, moderator = _fresh(consultation), _fresh(secretary)
    target = db.session.get(Comment, posted)
    if change == "new comment":
        comments.post_comment(session, moderator, c, "居委会会在下周答复")
        expected, gone = "居委会会在下周答复", None
    elif change == "hidden":
        moderation.hide_comment(session, moderator, target, "含有个人信息")
        expected, gone = "此条意见已被主持人隐藏。", "楼道里需要加装扶手"
    elif change == "official answer":
        comments.post_comment(session, moderator, c, "扶手已列入本月维修计划", parent_id=posted, official_answer=True)
        expected, gone = "扶手已列入本月维修计划", None
    elif change == "support":
        comments.support_comment(session, _fresh(resident), target)
        expected, gone = "已支持 1 · 取消", "支持 0"
    else:
        moderation.hide_comment(session, moderator, target, "含有个人信息")
        session.commit()
        assert "此条意见已被主持人隐藏。" in _page(reader, cid)
        moderation.restore_comment(session, _fresh(secretary), db.session.get(Comment, posted))
        expected, gone = "楼道里需要加装扶手", "此条意见已被主持人隐藏。"
    session.commit()
    if change != "restored":
        assert expected not in before
    page = _page(reader, cid)
    assert expected in page
    if gone is not None:
        assert gone not in _article(page, posted)
    if change == "official answer":
        assert "Official answer" not in page and "正式答复" in page
    if change == "support":  # the count is shared, the "supported by me" is the reader's alone
        assert "1 人支持" in _article(_page(other, cid), posted)  # the author's own comment
        assert "已支持" not in _article(_page(other, cid), posted)


def test_a_language_switch_shows_the_list_in_that_language(app, session, consultation, posted, resident):
    cid = inspect(consultation).identity[0]
    client = _signed_in(app, "wangayi")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', _page(client, cid)).group(1)
    assert "支持 0" in _article(_page(client, cid), posted)
    assert client.post("/preferences/language", data={"lang": "en", "csrf_token": token}).status_code == 302
    english = _article(_page(client, cid), posted)
    assert "Support 0" in english and "Report" in english and "支持" not in english
    chinese_reader = _signed_in(app, "lishushu")  # the Chinese entry is still there for the others
    assert "举报" not in _article(_page(chinese_reader, cid), posted)  # their own comment
    assert "0 人支持" in _article(_page(chinese_reader, cid), posted)


def _tokens(page: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', page))


def test_two_viewers_never_see_each_others_parts(app, session, consultation, round_, resident, neighbour,
                                                   secretary):
    cid = inspect(consultation).identity[0]
    c = _fresh(consultation)
    mine = comments.post_comment(session, _fresh(resident), c, "王阿姨的意见").id
    theirs = comments.post_comment(session, _fresh(neighbour), c, "李叔叔的意见").id
    hidden = comments.post_comment(session, _fresh(resident), c, "王阿姨被隐藏的意见").id
    session.commit()
    comments.support_comment(session, _fresh(resident), db.session.get(Comment, theirs))
    moderation.hide_comment(session, _fresh(secretary), db.session.get(Comment, hidden), "涉及他人隐私")
    _fresh(consultation).pre_moderation = True
    session.commit()
    waiting = comments.post_comment(session, _fresh(neighbour), _fresh(consultation), "李叔叔待审核的意见").id
    session.commit()

    wang, li = _signed_in(app, "wangayi"), _signed_in(app, "lishushu")
    for _ in range(2):  # rendered, then from the cache: the same for each of them
        wang_page, li_page = _page(wang, cid), _page(li, cid)
        # Her own comment: no support button and no report link for her; both for him.
        assert "举报" not in _article(wang_page, mine) and 'aria-pressed' not in _article(wang_page, mine)
        assert "举报" in _article(li_page, mine) and 'aria-pressed="false"' in _article(li_page, mine)
        # Her support of his comment is hers alone.
        assert 'aria-pressed="true"' in _article(wang_page, theirs)
        assert "aria-pressed" not in _article(li_page, theirs)
        # The reason her comment was hidden is told to her, not to him.
        assert "涉及他人隐私" in _article(wang_page, hidden) and "涉及他人隐私" not in li_page
        # His comment waiting for review: on his page, not on hers.
        assert "李叔叔待审核的意见" in li_page and f"comment-{waiting}" not in wang_page
        # Each page carries its viewer's own CSRF token only.
        assert len(_tokens(wang_page)) == 1 and len(_tokens(li_page)) == 1
        assert _tokens(wang_page) != _tokens(li_page)
        assert "\x00" not in wang_page and "<!--item" not in wang_page


def test_a_moderator_sees_hidden_texts_a_resident_never_does(app, session, consultation, posted, resident,
                                                              secretary):
    cid = inspect(consultation).identity[0]
    moderation.hide_comment(session, _fresh(secretary), db.session.get(Comment, posted), "含有个人信息")
    session.commit()
    resident_page = _page(_signed_in(app, "wangayi"), cid)
    moderator_page = _page(_signed_in(app, "shuji"), cid)
    assert "楼道里需要加装扶手" in moderator_page and "已隐藏（仅主持人可见）" in moderator_page
    assert "楼道里需要加装扶手" not in resident_page
    assert "楼道里需要加装扶手" not in _page(_signed_in(app, "wangayi"), cid)
