"""The demo vote: a draft civil-code vote on plan one, with all residents' advice beside it."""

from __future__ import annotations

from deliberation.voting.demo import load_demo_votes
from deliberation.voting.electorate import electorate_size, voter_for
from deliberation.voting.lifecycle import open_vote
from deliberation.voting.models import VoteState


def test_demo_vote_is_a_draft_civil_code_vote(session, consultation, proposals, secretary, residents):
    [vote] = load_demo_votes(session, consultation, secretary)
    session.commit()
    assert vote.state == VoteState.DRAFT and vote.rule_name == "civil_code_ordinary"
    assert vote.basis == "owner" and vote.advisory_all and vote.proposal_id == proposals[0].id
    open_vote(session, secretary, vote)
    assert electorate_size(session, vote) == 3  # the owners
    assert voter_for(session, vote, residents["tenant"]).advisory


def test_open_twice_and_close_a_draft_answer_409(client, api_token, make_vote, secretary):
    draft = make_vote(open_now=False)
    headers = api_token("shuji")
    assert client.post(f"/api/v1/votes/{draft.id}/close", headers=headers).status_code == 409
    assert client.post(f"/api/v1/votes/{draft.id}/open", headers=headers).status_code == 200
    assert client.post(f"/api/v1/votes/{draft.id}/open", headers=headers).status_code == 409
    assert client.post(f"/api/v1/votes/{draft.id}/close", headers=headers).status_code == 200
    assert client.post(f"/api/v1/votes/{draft.id}/close", headers=headers).status_code == 200  # idempotent
