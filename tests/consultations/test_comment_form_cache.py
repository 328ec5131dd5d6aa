"""The session page's comment form (routes/comment_form.py): the blank form kept rendered for the residents of a
session is the form rendered afresh, with each viewer's own CSRF token; a new proposal, a proposal's new title,
pre-moderation turned on and another language show at once; a form that failed comes back for its viewer alone,
with what was typed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import inspect

from deliberation.consultations import proposals
from deliberation.consultations.routes import comment_form
from deliberation.extensions import db
from tests.consultations.test_comment_list_cache import _fresh, _page, _signed_in, _tokens


@pytest.fixture
def config_overrides():
    return {"WTF_CSRF_ENABLED": True}  # each viewer's token really written into the form


@pytest.fixture(autouse=True)
def _none_kept():
    comment_form._kept.clear()  # another test's app may have left a form of the same session id
    yield
    comment_form._kept.clear()


def _form(page: str) -> str:
    found = re.search(r'<form method="post" action="/consultations/\d+/comments".*?</form>', page, re.S)
    assert found, "no comment form on the page"
    return found.group(0)


TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]*)"')


def _without_tokens(html: str) -> str:
    return TOKEN.sub('name="csrf_token" value=""', html)


def _form_tokens(page: str) -> set[str]:
    return set(TOKEN.findall(_form(page)))


def test_the_kept_form_is_the_form_rendered_afresh_with_each_viewers_token(app, session, consultation, round_,
                                                                           resident, neighbour, secretary):
    proposals.create_proposal(session, _fresh(secretary), _fresh(consultation), "方案一：扩建活动室", "正文")
    session.commit()
    cid = inspect(consultation).identity[0]
    hers, his = _signed_in(app, "wangayi"), _signed_in(app, "lishushu")
    rendered = _page(hers, cid)
    assert len(comment_form._kept) == 1
    kept = _page(hers, cid)
    theirs = _page(his, cid)
    assert _without_tokens(_form(kept)) == _without_tokens(_form(rendered)) == _without_tokens(_form(theirs))
    assert "方案一：扩建活动室" in _form(kept) and 'name="parent_id"' in _form(kept)
    for page in (rendered, kept, theirs):
        assert "\x00" not in page
        assert len(_tokens(page)) == 1  # the form's token is the viewer's, as in the page's other forms
        assert _form_tokens(page) == _tokens(page)
    assert _tokens(theirs) != _tokens(kept)


def test_what_the_form_shows_is_shown_at_once(app, session, consultation, round_, resident, secretary):
    cid = inspect(consultation).identity[0]
    client = _signed_in(app, "wangayi")
    form = _form(_page(client, cid))
    assert 'name="proposal_id"' not in form and "审核后公开" not in form  # no proposal to choose yet
    proposal = proposals.create_proposal(session, _fresh(secretary), _fresh(consultation), "方案一", "正文")
    session.commit()
    assert ">方案一</option>" in _form(_page(client, cid))
    proposals.add_version(session, _fresh(secretary), _fresh(proposal), "方案一（修订）", "正文", "改了标题")
    _fresh(consultation).pre_moderation = True
    session.commit()
    form = _form(_page(client, cid))
    assert ">方案一（修订）</option>" in form and "本议事的意见经主持人审核后公开。" in form
    token = _tokens(_page(client, cid)).pop()
    assert client.post("/preferences/language", data={"lang": "en", "csrf_token": token}).status_code == 302
    form = _form(_page(client, cid))
    assert "我的意见" not in form and "方案一（修订）" in form


def test_a_form_that_failed_comes_back_with_what_was_typed(app, session, consultation, round_, resident):
    cid = inspect(consultation).identity[0]
    client = _signed_in(app, "wangayi")
    token = _tokens(_page(client, cid)).pop()
    db.session.remove()
    answer = client.post(f"/consultations/{cid}/comments", data={"body": "太长" * 2600, "csrf_token": token})
    assert answer.status_code == 422
    form = _form(answer.get_data(as_text=True))
    assert "太长太长" in form and 'class="error"' in form
    assert "太长" not in _form(_page(client, cid))  # the kept blank form is untouched
