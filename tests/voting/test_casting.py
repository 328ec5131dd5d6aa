"""Casting online: a ballot, changing it, refusals, and a paper form already entered for the voter."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deliberation.audit import AuditEvent
from deliberation.errors import Conflict, Forbidden, Invalid
from deliberation.voting.casting import cast_ballot
from deliberation.voting.models import Ballot
from deliberation.voting.paper import PaperEntry, enter_paper_ballots


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
