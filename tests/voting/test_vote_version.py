"""A vote is about one version: it records the proposal version it asks about and shows it, and no new
version is published while a vote on the proposal is open."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.consultations.proposals import add_version
from deliberation.errors import Conflict
from deliberation.voting.casting import cast_ballot
from deliberation.voting.lifecycle import close_vote, open_vote
from deliberation.voting.models import Ballot


def test_the_vote_records_the_version_at_the_opening(session, make_vote, proposals, secretary, residents):
    vote = make_vote(open_now=False)
    assert vote.proposal_version == 1
    add_version(session, secretary, proposals[0], "方案一：原址改造（修订）", "新内容", "根据意见修改")
    open_vote(session, secretary, vote)
    session.commit()
    assert vote.proposal_version == 2
    cast_ballot(session, residents["wang"], vote, "agree")
    assert session.execute(select(Ballot.proposal_version)).scalar_one() == 2


@pytest.mark.parametrize(("state", "refused"), [
    pytest.param("draft", False, id="draft_vote_takes_the_new_version_when_it_opens"),
    pytest.param("open", True, id="open_vote_refuses_a_new_version"),
    pytest.param("closed", False, id="closed_vote_lets_the_proposal_move_on"),
])
def test_a_new_version_while_voting_is_open_is_refused(session, make_vote, proposals, secretary, state, refused):
    vote = make_vote(open_now=state != "draft")
    if state == "closed":
        close_vote(session, secretary, vote)
        session.commit()
    if refused:
        with pytest.raises(Conflict, match="表决结束前不能发布新版本"):
            add_version(session, secretary, proposals[0], "新标题", "新内容", "修改")
    else:
        assert add_version(session, secretary, proposals[0], "新标题", "新内容", "修改").number == 2


@pytest.mark.parametrize("kind", ["single", "approval", "ranked"])
def test_a_variant_of_an_open_choice_vote_keeps_its_version(session, make_vote, proposals, secretary, kind):
    vote = make_vote(kind=kind, option_proposal_ids=[p.id for p in proposals[:2]])
    assert [o.proposal_version for o in vote.options] == [1, 1]
    with pytest.raises(Conflict):
        add_version(session, secretary, proposals[1], "方案二（修订）", "新内容", "修改")
    session.rollback()
    assert add_version(session, secretary, proposals[2], "方案三（修订）", "新内容", "修改").number == 2


def test_the_page_refuses_with_the_message_and_the_audit_keeps_it(client, session, make_vote, proposals, login,
                                                                 secretary):
    vote = make_vote()
    login("shuji")
    response = client.post(f"/proposals/{proposals[0].id}/versions/new",
                           data={"title": "新标题", "body": "新内容", "change_note": "修改"})
    assert response.status_code == 422
    assert "表决结束前不能发布新版本" in response.get_data(as_text=True)
    refused = session.execute(select(AuditEvent.data).where(AuditEvent.action == "proposal.version_refused")
                              ).scalars().all()
    assert len(refused) == 1 and refused[0]["status"] == 409
    assert len(proposals[0].versions) == 1
    detail = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert "表决针对第 1 版" in detail


def test_the_api_refuses_with_409(client, session, make_vote, proposals, api_token, secretary):
    vote = make_vote()
    shown = client.get(f"/api/v1/votes/{vote.id}", headers=api_token("shuji")).get_json()
    assert shown["proposal_version"] == 1 and "年满18周岁的居民" in shown["electorate_text"]
    response = client.post(f"/api/v1/proposals/{proposals[0].id}/versions", headers=api_token("shuji"),
                           json={"title": "新标题", "body": "新内容", "change_note": "修改"})
    assert response.status_code == 409
    assert "表决结束前不能发布新版本" in response.get_json()["error"]["message"]
    assert session.execute(select(AuditEvent.action).where(AuditEvent.action == "proposal.version_refused")
                           ).scalars().all() == ["proposal.version_refused"]
