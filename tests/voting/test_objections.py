"""Objections to a posted roll and to a preliminary result: the windows, who may lodge, the answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deliberation.audit import AuditEvent
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound
from deliberation.voting import objections
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.models import ObjectionStage, VoteObjection

ROLL, RESULT = ObjectionStage.ROLL, ObjectionStage.RESULT


def _post_roll(session, vote, *, days_left: float):
    now = utcnow()
    vote.roll_posted_at = now - timedelta(days=1)
    vote.roll_until = now + timedelta(days=days_left)
    session.commit()


@pytest.mark.parametrize(("posted", "days_left", "opened", "takes"), [
    (False, 3, False, False),  # not posted
    (True, 3, False, True),  # inside the period
    (True, -0.001, False, False),  # the period has run
    (True, 3, True, False),  # the vote has opened: the roll is frozen
])
def test_roll_window(session, make_vote, posted, days_left, opened, takes):
    vote = make_vote(open_now=opened, basis="owner", rule_name="civil_code_ordinary")
    if posted:
        _post_roll(session, vote, days_left=days_left)
    assert vote.objections_open(ROLL) is takes


@pytest.mark.parametrize(("closed", "hours_left", "announced", "takes"), [
    (False, 1, False, False),  # still open
    (True, 1, False, True),  # preliminary, inside the window
    (True, -0.01, False, False),  # the window has run
    (True, 1, True, False),  # announced: final
])
def test_result_window(session, secretary, make_vote, closed, hours_left, announced, takes):
    vote = make_vote()
    if closed:
        close_vote(session, secretary, vote)
        vote.objections_until = utcnow() + timedelta(hours=hours_left)
        vote.announced_at = utcnow() if announced else None
        session.commit()
    assert vote.objections_open(RESULT) is takes


def test_a_resident_objects_to_the_roll_and_is_answered(session, secretary, residents, make_vote):
    vote = make_vote(open_now=False, basis="owner", rule_name="civil_code_ordinary")
    _post_roll(session, vote, days_left=7)
    wang = residents["wang"]
    unit_id = wang.person.household.unit_id
    objection = objections.lodge(session, wang, vote, ROLL, "area", "  302室面积应为 90.20 ㎡ ", unit_id=unit_id)
    session.commit()
    assert objection.reason == "302室面积应为 90.20 ㎡"
    assert objections.unanswered(session, vote, ROLL) == 1
    with pytest.raises(Conflict):
        objections.refuse_while_unanswered(session, vote, ROLL)
    assert objections.listing(session, residents["li"], vote, ROLL) == []  # another's objection stays theirs
    assert [o.id for o in objections.listing(session, wang, vote, ROLL)] == [objection.id]

    with pytest.raises(Forbidden):
        objections.answer(session, wang, objection, True, "")
    with pytest.raises(Invalid):  # a rejection says why
        objections.answer(session, secretary, objection, False, "   ")
    objections.answer(session, secretary, objection, False, "产证面积为 88.50 ㎡，以产证为准")
    session.commit()
    assert objection.accepted is False and objection.answered_by_id == secretary.id
    assert objections.unanswered(session, vote, ROLL) == 0
    objections.refuse_while_unanswered(session, vote, ROLL)
    with pytest.raises(Conflict):
        objections.answer(session, secretary, objection, True, "")
    actions = [e.action for e in session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions[-2:] == ["vote.objection.lodge", "vote.objection.answer"]


@pytest.mark.parametrize(("kind", "reason", "error"), [
    ("area", "", Invalid),
    ("ballot", "不在名单中", Invalid),  # a result stage's kind
    ("area", "长" * 1001, Invalid),
])
def test_bad_roll_objections_write_nothing(session, residents, make_vote, kind, reason, error):
    vote = make_vote(open_now=False, basis="owner", rule_name="civil_code_ordinary")
    _post_roll(session, vote, days_left=7)
    with pytest.raises(error):
        objections.lodge(session, residents["wang"], vote, ROLL, kind, reason)
    session.rollback()
    assert session.query(VoteObjection).count() == 0


def test_objections_outside_the_window_or_the_community(session, residents, make_vote, outsider, secretary):
    vote = make_vote(open_now=False, basis="owner", rule_name="civil_code_ordinary")
    with pytest.raises(Conflict):  # not posted yet
        objections.lodge(session, residents["wang"], vote, ROLL, "area", "面积不对")
    _post_roll(session, vote, days_left=7)
    with pytest.raises(Forbidden):
        objections.lodge(session, outsider, vote, ROLL, "area", "面积不对")
    with pytest.raises(Forbidden):  # a secretary without a person of the roster
        objections.lodge(session, secretary, vote, ROLL, "area", "面积不对")
    objection = objections.lodge(session, residents["wang"], vote, ROLL, "other", "名册有误")
    session.commit()
    with pytest.raises(NotFound):
        objections.get(session, residents["li"], vote, objection.id)
    assert objections.get(session, secretary, vote, objection.id) is objection


def test_only_the_electorate_objects_to_a_preliminary_result(session, secretary, residents, make_vote):
    vote = make_vote(basis="owner", rule_name="civil_code_ordinary")
    close_vote(session, secretary, vote)
    vote.objections_until = utcnow() + timedelta(days=3)
    session.commit()
    with pytest.raises(Forbidden):  # a tenant is not an owner
        objections.lodge(session, residents["tenant"], vote, RESULT, "ballot", "我没有投票")
    objection = objections.lodge(session, residents["li"], vote, RESULT, "ballot", "我投了票，名单中没有")
    session.commit()
    assert objection.stage == RESULT and objections.unanswered(session, vote, RESULT) == 1
    assert objections.unanswered(session, vote, ROLL) == 0
