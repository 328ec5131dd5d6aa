"""Votes through the services: electorate, casting, changing, closing, secrecy, results."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from deliberation.audit import AuditEvent
from deliberation.errors import Conflict, Forbidden, Invalid
from deliberation.voting.casting import cast_ballot
from deliberation.voting.electorate import electorate_size
from deliberation.voting.labels import rule_text
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.models import Ballot, VoteState, VoteVoter
from deliberation.voting.paper import PaperEntry, enter_paper_ballots
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


def test_cast_then_change(session, make_vote, residents):
    vote = make_vote()
    first = cast_ballot(session, residents["wang"], vote, "agree")
    assert first.created and len(first.receipt) == 11
    second = cast_ballot(session, residents["wang"], vote, "disagree")
    assert not second.created
    session.commit()
    assert session.execute(select(func.count(Ballot.id)).where(Ballot.vote_id == vote.id)).scalar() == 1
    actions = session.execute(select(AuditEvent.action, AuditEvent.data).where(
        AuditEvent.action.like("ballot.%")).order_by(AuditEvent.id)).all()
    assert [(a, d.get("choice")) for a, d in actions] == [("ballot.cast", "agree"), ("ballot.change", "disagree")]


def test_refusals(session, make_vote, residents, outsider, secretary):
    vote = make_vote()
    with pytest.raises(Forbidden):
        cast_ballot(session, secretary, vote, "agree")  # no person on the roster
    with pytest.raises(Invalid):
        cast_ballot(session, residents["wang"], vote, "maybe")
    draft = make_vote(open_now=False)
    with pytest.raises(Conflict):
        cast_ballot(session, residents["wang"], draft, "agree")


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


def test_secret_paper_entries_keep_choices_out_of_the_audit(session, make_vote, residents, secretary):
    vote = make_vote(secret=True, rule_name="civil_code_ordinary")
    cast_ballot(session, residents["li"], vote, "agree")
    building = residents["li"].person.household.unit.building
    outcomes = enter_paper_ballots(session, secretary, vote, building, [
        PaperEntry("101", "2", line=1), PaperEntry("102", "1", line=2)])
    assert [o.status for o in outcomes] == ["conflict", "recorded"]
    session.commit()
    data = session.execute(select(AuditEvent.data).where(AuditEvent.action.like("ballot.%"))).scalars().all()
    assert len(data) == 3 and all("choice" not in d for d in data)


def test_online_ballot_after_a_paper_form_is_refused_not_overwritten(session, make_vote, residents, secretary):
    vote = make_vote(rule_name="civil_code_ordinary")
    building = residents["li"].person.household.unit.building
    [outcome] = enter_paper_ballots(session, secretary, vote, building,
                                             [PaperEntry("101室", "不同意", line=1)])
    assert outcome.status == "recorded" and outcome.receipt
    session.commit()
    with pytest.raises(Conflict):
        cast_ballot(session, residents["li"], vote, "agree")
    session.rollback()
    ballot = session.execute(select(Ballot).where(Ballot.vote_id == vote.id)).scalar_one()
    assert ballot.choice == "disagree" and ballot.source == "paper" and ballot.entered_by_id == secretary.id
