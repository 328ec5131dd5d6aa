"""The result posted, then announced: the objection window set at the close, objections and their answers, a
recount, the announcement, and the minutes binding only once announced (voting.announcement)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from deliberation.audit import AuditEvent
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound
from deliberation.minutes import contents as minutes_contents
from deliberation.minutes import services as minutes_services
from deliberation.voting import announcement, casting, objections
from deliberation.voting.lifecycle import VoteInput, close_vote, create_vote
from deliberation.voting.models import Ballot, ObjectionStage, Vote, VoteObjection
from tests.announced import close_and_announce, run_window

RESULT = ObjectionStage.RESULT


def _actions(session) -> list[str]:
    return [e.action for e in session.query(AuditEvent).order_by(AuditEvent.id)]


def _owners_vote(make_vote, residents, **fields):
    """An owners' vote (Civil Code, ordinary matter): wang, li and zhao are its electorate."""
    return make_vote(rule_name="civil_code_ordinary", **fields)


def _cast(session, vote, residents, choices=(("wang", "agree"), ("li", "agree"), ("zhao", "disagree"))):
    for name, choice in choices:
        casting.cast_ballot(session, residents[name], vote, choice)
    session.commit()


# -- the window's length ------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "basis", "expected"), [
    pytest.param(None, "owner", 3, id="default_three_days"),
    pytest.param("", "person", 3, id="empty_is_the_default"),
    pytest.param(0, "person", 0, id="zero_for_a_residents_consultation"),
    pytest.param(0, "household", 0, id="zero_for_households"),
    pytest.param(1, "owner", 1, id="an_owners_vote_one_day"),
    pytest.param(30, "owner", 30, id="thirty_days_at_most"),
    pytest.param(0, "owner", Invalid, id="an_owners_vote_binds_so_never_zero"),
    pytest.param(31, "person", Invalid, id="more_than_thirty"),
    pytest.param(-1, "person", Invalid, id="negative"),
    pytest.param("三", "person", Invalid, id="not_a_number"),
])
def test_objection_days(days, basis, expected):
    if expected is Invalid:
        with pytest.raises(Invalid) as raised:
            announcement.check_days(days, basis)
        assert "objection_days" in raised.value.fields
    else:
        assert announcement.check_days(days, basis) == expected


def test_a_civil_code_vote_cannot_skip_the_window(session, secretary, consultation, proposals):
    """The Civil Code rules make it an owners' vote whatever basis the form sent: 0 days is refused."""
    with pytest.raises(Invalid):
        create_vote(session, secretary, consultation, VoteInput(
            title="表决", proposal_id=proposals[0].id, rule_name="civil_code_major", basis="person",
            objection_days=0))
    session.rollback()
    assert session.query(Vote).count() == 0


# -- the close ----------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [3, 7])
def test_the_close_posts_the_result_for_the_window(session, secretary, make_vote, days):
    vote = make_vote(objection_days=days)
    close_vote(session, secretary, vote)
    session.commit()
    assert vote.objections_until == vote.closed_at + timedelta(days=days)
    assert vote.is_preliminary() and vote.announced_at is None
    close = session.query(AuditEvent).filter_by(action="vote.close").one()
    assert close.data["objections_until"] == vote.objections_until.isoformat() and close.data["announced"] is False


def test_an_advisory_vote_with_no_window_is_announced_at_the_close(session, secretary, make_vote):
    vote = make_vote(objection_days=0)
    close_vote(session, secretary, vote)
    session.commit()
    assert vote.announced_at == vote.closed_at == vote.objections_until
    assert vote.announced_by_id == secretary.id and not vote.is_preliminary()
    assert not vote.objections_open(RESULT)


def test_a_scheduled_close_posts_the_result_too(session, make_vote):
    from deliberation.voting.lifecycle import refresh

    vote = make_vote(objection_days=2)
    vote.closes_at = utcnow() - timedelta(minutes=5)
    session.commit()
    refresh(session, vote)
    session.commit()
    assert vote.closed_at == vote.closes_at and vote.objections_until == vote.closes_at + timedelta(days=2)


@pytest.mark.parametrize(("days", "offset", "takes", "due"), [
    pytest.param(0, timedelta(0), False, False, id="zero_days_announced_at_once"),
    pytest.param(3, -timedelta(minutes=1), True, False, id="inside_the_window"),
    pytest.param(3, timedelta(0), False, True, id="exactly_at_objections_until"),
    pytest.param(3, timedelta(minutes=1), False, True, id="after_the_window"),
])
def test_the_windows_edges(session, secretary, make_vote, days, offset, takes, due):
    vote = make_vote(objection_days=days)
    close_vote(session, secretary, vote)
    session.commit()
    now = vote.objections_until + offset
    assert vote.objections_open(RESULT, now=now) is takes
    assert announcement.due(vote, now=now) is due


# -- objections and answers ---------------------------------------------------------------------


def test_a_voter_objects_and_the_moderator_answers(session, secretary, residents, make_vote):
    vote = _owners_vote(make_vote, residents)
    _cast(session, vote, residents)
    close_vote(session, secretary, vote)
    session.commit()
    objection = announcement.lodge(session, residents["li"], vote, "ballot", "我投了同意，回执清单里没有")
    session.commit()
    assert [o.id for o in objections.listing(session, residents["li"], vote, RESULT)] == [objection.id]
    assert objections.listing(session, residents["wang"], vote, RESULT) == []
    with pytest.raises(Forbidden):
        announcement.answer(session, residents["wang"], vote, objection.id, True, "好")
    session.rollback()
    with pytest.raises(Invalid):  # a rejection says why
        announcement.answer(session, secretary, vote, objection.id, False, " ")
    session.rollback()
    with pytest.raises(Invalid):  # a recount follows an accepted objection only
        announcement.answer(session, secretary, vote, objection.id, False, "核对无误", recount=True)
    session.rollback()
    answered = announcement.answer(session, secretary, vote, objection.id, False, "回执码 K7Q 在清单第 2 行")
    session.commit()
    assert answered.accepted is False and answered.correction is None
    with pytest.raises(Conflict):
        announcement.answer(session, secretary, vote, objection.id, True, "")
    assert _actions(session)[-2:] == ["vote.objection.lodge", "vote.objection.answer"]


@pytest.mark.parametrize(("who", "until", "error"), [
    pytest.param("tenant", timedelta(days=1), Forbidden, id="not_of_the_electorate"),
    pytest.param("li", -timedelta(seconds=1), Conflict, id="after_the_window"),
    pytest.param("li", timedelta(0), Conflict, id="exactly_at_the_end"),
])
def test_objections_refused_write_nothing(session, secretary, residents, make_vote, who, until, error):
    vote = _owners_vote(make_vote, residents)
    close_vote(session, secretary, vote)
    vote.objections_until = utcnow() + until
    session.commit()
    with pytest.raises(error):
        announcement.lodge(session, residents[who], vote, "ballot", "我的票不在名单中")
    session.rollback()
    assert session.query(VoteObjection).count() == 0


def test_an_objection_of_another_vote_is_not_found(session, secretary, residents, make_vote):
    first, second = make_vote(), make_vote(title="第二个表决")
    for vote in (first, second):
        close_vote(session, secretary, vote)
    session.commit()
    objection = announcement.lodge(session, residents["li"], first, "count", "票数不对")
    session.commit()
    with pytest.raises(NotFound):
        announcement.answer(session, secretary, second, objection.id, True, "")


# -- the recount --------------------------------------------------------------------------------


def test_an_accepted_objection_records_a_recount(session, secretary, residents, make_vote):
    """The stored ballots disagree with the posted result (li's ballot was counted as a disagreement): the
    recount stores the ballots' result and keeps the old and the new figures."""
    vote = _owners_vote(make_vote, residents)
    _cast(session, vote, residents, (("wang", "agree"), ("li", "disagree"), ("zhao", "disagree")))
    close_vote(session, secretary, vote)
    session.commit()
    assert vote.decision["decision"]["agreed"] is False
    session.execute(update(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == f"o:{residents['li'].person_id}")
                    .values(choice="agree"))
    objection = announcement.lodge(session, residents["li"], vote, "ballot", "我投的是同意")
    session.commit()
    answered = announcement.answer(session, secretary, vote, objection.id, True, "核对属实，已重新计票", recount=True)
    session.commit()
    correction = answered.correction
    assert correction["recount"] is True and correction["changed"] is True and correction["decision_changed"] is True
    assert correction["old"]["agreed"] is False and correction["new"]["agreed"] is True
    assert dict(correction["old"]["tally"])["同意"] == 1 and dict(correction["new"]["tally"])["同意"] == 2
    session.refresh(vote)
    assert vote.decision["decision"]["agreed"] is True and vote.is_preliminary()
    recount = session.query(AuditEvent).filter_by(action="vote.recount").one()
    assert recount.data["changed"] is True and recount.data["old"]["agreed"] is False


def test_a_recount_that_confirms_changes_nothing(session, secretary, residents, make_vote):
    vote = _owners_vote(make_vote, residents)
    _cast(session, vote, residents)
    close_vote(session, secretary, vote)
    session.commit()
    stored = dict(vote.decision)
    objection = announcement.lodge(session, residents["wang"], vote, "count", "请复核")
    session.commit()
    answered = announcement.answer(session, secretary, vote, objection.id, True, "已复核", recount=True)
    session.commit()
    assert answered.correction["changed"] is False and answered.correction["old"] == answered.correction["new"]
    assert vote.decision == stored


def test_a_secret_votes_recount_checks_the_unlinked_ballots(session, secretary, residents, make_vote):
    """Ballots lost their voter and facts at the close: the recount counts them by choice and channel."""
    vote = _owners_vote(make_vote, residents, secret=True)
    _cast(session, vote, residents)
    close_vote(session, secretary, vote)
    session.commit()
    assert session.execute(select(Ballot.voter_key).where(Ballot.vote_id == vote.id)).scalars().all() == [None] * 3
    objection = announcement.lodge(session, residents["zhao"], vote, "count", "请复核票数")
    session.commit()
    answered = announcement.answer(session, secretary, vote, objection.id, True, "已复核", recount=True)
    session.commit()
    correction = answered.correction
    assert correction["secret"] is True and correction["changed"] is False
    assert correction["new"] == {"ballots": 3, "online": 3, "paper": 0, "tally": [["同意", 2], ["不同意", 1], ["弃权", 0]]}


# -- the announcement ---------------------------------------------------------------------------


def test_announce_refused_while_the_window_runs_or_an_objection_waits(session, secretary, residents, make_vote):
    vote = _owners_vote(make_vote, residents)
    with pytest.raises(Conflict):  # still open
        announcement.announce(session, secretary, vote)
    session.rollback()
    _cast(session, vote, residents)
    close_vote(session, secretary, vote)
    session.commit()
    with pytest.raises(Conflict, match="期满后才能公告"):
        announcement.announce(session, secretary, vote)
    session.rollback()
    objection = announcement.lodge(session, residents["li"], vote, "ballot", "没有我的票")
    session.commit()
    run_window(session, vote)
    with pytest.raises(Conflict, match="尚未答复"):
        announcement.announce(session, secretary, vote)
    session.rollback()
    with pytest.raises(Forbidden):
        announcement.announce(session, residents["wang"], vote)
    session.rollback()
    assert vote.announced_at is None
    announcement.answer(session, secretary, vote, objection.id, False, "清单第 1 行即是")
    announcement.announce(session, secretary, vote)
    session.commit()
    assert vote.announced_at is not None and vote.announced_by_id == secretary.id and not vote.is_preliminary()
    with pytest.raises(Conflict, match="已于"):
        announcement.announce(session, secretary, vote)
    assert _actions(session)[-1] == "vote.announce"


def test_no_recount_once_announced(session, secretary, residents, make_vote):
    vote = _owners_vote(make_vote, residents)
    close_and_announce(session, secretary, vote)
    with pytest.raises(Conflict):
        announcement._recount(session, secretary, vote)


# -- the minutes --------------------------------------------------------------------------------


def _minutes_vote(contents, vote):
    return next(v for v in contents.votes if v.title == vote.title)


def test_minutes_bind_only_an_announced_result(session, secretary, residents, make_vote, consultation):
    vote = _owners_vote(make_vote, residents)
    _cast(session, vote, residents)
    close_vote(session, secretary, vote)
    session.commit()
    preliminary = minutes_contents.assemble(session, secretary, consultation)
    section = _minutes_vote(preliminary, vote)
    assert section.outcome == "初步结果（公示中），尚未公告" and section.final is False
    assert preliminary.outcome == "表决结果公示中，尚未公告"  # no binding conclusion yet

    run_window(session, vote)
    announcement.announce(session, secretary, vote)
    session.commit()
    final = minutes_contents.assemble(session, secretary, consultation)
    section = _minutes_vote(final, vote)
    assert section.final is True and section.outcome == minutes_contents.AGREED
    assert final.outcome == minutes_contents.AGREED


def test_minutes_are_not_published_while_a_result_is_preliminary(session, secretary, residents, make_vote,
                                                                   consultation):
    from deliberation.consultations import services as consultation_services
    from deliberation.consultations.models import Phase

    vote = _owners_vote(make_vote, residents)
    _cast(session, vote, residents)
    close_vote(session, secretary, vote)
    consultation_services.move_phase(session, secretary, consultation, Phase.CLOSED)
    minutes_services.save_draft(session, secretary, consultation, closing_notes="结语")
    session.commit()
    with pytest.raises(Conflict, match="公示中"):
        minutes_services.publish(session, secretary, consultation)
    session.rollback()
    run_window(session, vote)
    announcement.announce(session, secretary, vote)
    published = minutes_services.publish(session, secretary, consultation)
    session.commit()
    assert published.data["outcome"] == minutes_contents.AGREED
