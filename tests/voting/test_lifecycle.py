"""A vote's life through the operations: the rule shown in draft, the opening, the close, secrecy at the close."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.errors import Forbidden
from deliberation.voting.casting import cast_ballot
from deliberation.voting.electorate import electorate_size
from deliberation.voting.labels import rule_text
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.models import Ballot, VoteState, VoteVoter
from deliberation.voting.results import vote_result


def test_rule_preview_is_plain_chinese(session, make_vote):
    vote = make_vote(open_now=False, rule_name="civil_code_ordinary")
    assert rule_text(vote) == "需参与表决的业主专有面积和人数均达到三分之二以上，且同意的面积和人数均过半数"
    assert vote.basis == "owner"  # the civil-code presets count the owners
    assert vote.state == VoteState.DRAFT


def test_opening_freezes_the_electorate(session, make_vote, residents):
    vote = make_vote()
    keys = set(session.execute(select(VoteVoter.voter_key).where(VoteVoter.vote_id == vote.id)).scalars())
    assert keys == {f"p:{u.person_id}" for u in residents.values()}
    assert vote.state == VoteState.OPEN


def test_civil_code_vote_passes_and_result_is_stored(session, make_vote, residents, secretary):
    vote = make_vote(rule_name="civil_code_ordinary")
    owners = [residents[k] for k in ("wang", "li", "zhao")]
    assert electorate_size(session, vote) == 3
    with pytest.raises(Forbidden):
        cast_ballot(session, residents["tenant"], vote, "agree")
    cast_ballot(session, owners[0], vote, "agree")
    cast_ballot(session, owners[1], vote, "agree")
    cast_ballot(session, owners[2], vote, "disagree")
    close_vote(session, secretary, vote)
    session.commit()
    report = vote_result(session, owners[0], vote)
    assert report.decision.agreed
    assert [c.name for c in report.decision.checks] == [
        "participation_area", "participation_headcount", "approval_area", "approval_headcount"]
    assert report.participants == 3 and report.electorate == 3
    assert dict(report.tally_rows) == {"同意": 2, "不同意": 1, "弃权": 0}
    assert vote.decision["decision"]["agreed"] is True
    # closing twice changes nothing
    stored = json.dumps(vote.decision, sort_keys=True)
    close_vote(session, secretary, vote)
    assert json.dumps(vote.decision, sort_keys=True) == stored


def test_secret_vote_unlinks_at_close(session, make_vote, residents, secretary):
    vote = make_vote(secret=True)
    cast_ballot(session, residents["wang"], vote, "agree")
    cast_ballot(session, residents["li"], vote, "disagree")
    session.commit()
    events = session.execute(select(AuditEvent.data).where(AuditEvent.action == "ballot.cast")).scalars().all()
    assert events and all("choice" not in data for data in events)
    close_vote(session, secretary, vote)
    session.commit()
    ballots = session.execute(select(Ballot).where(Ballot.vote_id == vote.id)).scalars().all()
    assert len(ballots) == 2
    assert all(b.voter_key is None and b.cast_by_id is None for b in ballots)
    took_part = set(session.execute(select(VoteVoter.voter_key).where(
        VoteVoter.vote_id == vote.id, VoteVoter.took_part.is_(True))).scalars())
    assert took_part == {f"p:{residents['wang'].person_id}", f"p:{residents['li'].person_id}"}
    report = vote_result(session, residents["wang"], vote)
    assert dict(report.tally_rows) == {"同意": 1, "不同意": 1, "弃权": 0}
