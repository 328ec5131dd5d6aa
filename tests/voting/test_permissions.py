"""Who may do what with a vote: the model's can_* answers that pages, templates and the API call."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.accounts.models import Building, FloorCaptain
from deliberation.audit import AuditEvent, refusal_recorded
from deliberation.errors import Conflict, NotFound
from deliberation.voting.casting import cast_ballot
from deliberation.voting.electorate import voter_for
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.paper import entry_building


def _building(session, community, name):
    return session.execute(
        select(Building).where(Building.community_id == community.id, Building.name == name)
    ).scalar_one()


def test_results_are_public_once_closed_or_while_running_results_are_shown(session, make_vote, residents,
                                                                             secretary):
    hidden = make_vote()
    running = make_vote(show_running=True)
    draft = make_vote(open_now=False)
    assert not hidden.results_public and not hidden.can_see_results(residents["wang"])
    assert hidden.can_see_results(secretary)
    assert running.results_public and running.can_see_results(residents["wang"])
    assert draft.can_see_results(secretary) and not draft.can_see_results(residents["wang"])
    close_vote(session, secretary, hidden)
    session.commit()
    assert hidden.results_public and hidden.can_see_results(residents["wang"])


def test_ballot_list_only_for_moderators_of_an_open_vote_once_opened(make_vote, residents, secretary):
    assert make_vote().can_see_ballots(secretary)
    assert not make_vote().can_see_ballots(residents["wang"])
    assert not make_vote(secret=True).can_see_ballots(secretary)
    assert not make_vote(open_now=False).can_see_ballots(secretary)


def test_can_cast_needs_an_open_vote_and_ones_own_row(session, make_vote, residents, secretary):
    vote = make_vote()
    wang, li = residents["wang"], residents["li"]
    assert vote.can_cast(wang, voter_for(session, vote, wang))
    assert not vote.can_cast(wang, None)
    assert not vote.can_cast(wang, voter_for(session, vote, li))  # someone else's row
    assert not vote.can_cast(secretary, voter_for(session, vote, secretary))  # not on the roster
    close_vote(session, secretary, vote)
    session.commit()
    assert not vote.can_cast(wang, voter_for(session, vote, wang))


@pytest.mark.parametrize(("building_name", "expected"), [("3号楼", True), ("5号楼", False)])
def test_floor_captain_enters_paper_forms_of_their_building_only(session, make_vote, residents, secretary,
                                                                 community, building_name, expected):
    vote = make_vote()
    captain = residents["li"]
    session.add(FloorCaptain(user_id=captain.id, building_id=_building(session, community, "3号楼").id))
    session.commit()
    building = _building(session, community, building_name)
    assert vote.can_enter_paper(captain, building) is expected
    assert vote.can_enter_paper(captain)  # some building of the community
    assert vote.can_enter_paper(secretary, building)
    assert not vote.can_enter_paper(residents["wang"])


def test_floor_captain_of_another_community_enters_nothing_here(session, make_vote, outsider, other_community):
    vote = make_vote()
    session.add(FloorCaptain(user_id=outsider.id, building_id=_building(session, other_community, "1号楼").id))
    session.commit()
    assert not vote.can_enter_paper(outsider)
    assert not vote.can_enter_paper(outsider, _building(session, other_community, "1号楼"))


def test_entry_building_is_one_of_the_votes_community(session, make_vote, residents, outsider, community,
                                                     other_community):
    vote = make_vote()
    here = _building(session, community, "3号楼")
    assert entry_building(session, vote, here.id) == here
    with pytest.raises(NotFound):
        entry_building(session, vote, _building(session, other_community, "1号楼").id)
    with pytest.raises(NotFound):
        entry_building(session, vote, None)


def test_a_refusal_is_recorded_on_its_own_and_the_refused_work_rolled_back(session, make_vote, residents):
    draft = make_vote(open_now=False)
    wang = residents["wang"]
    with pytest.raises(Conflict), refusal_recorded(session, wang, "ballot.refused", draft):
        session.add(FloorCaptain(user_id=wang.id, building_id=_building(session, draft.consultation.community,
                                                                       "3号楼").id))
        cast_ballot(session, wang, draft, "agree")
    assert session.execute(select(FloorCaptain)).first() is None
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "ballot.refused")).scalar_one()
    assert event.object_id == draft.id and event.community_id == draft.community_id
    assert event.data["status"] == 409


def test_links_of_the_vote_page_follow_the_state(session, make_vote, residents, secretary, community):
    captain = residents["li"]
    session.add(FloorCaptain(user_id=captain.id, building_id=_building(session, community, "5号楼").id))
    session.commit()
    draft, running = make_vote(open_now=False), make_vote()
    assert [draft.can_open_result(secretary), draft.can_enter_paper_now(secretary), draft.can_follow_up(secretary)] \
        == [False, False, False]
    assert [running.can_enter_paper_now(captain), running.can_follow_up(captain)] == [True, True]
    assert not running.can_open_result(captain)  # running results are not shown
    assert not running.can_follow_up(residents["wang"])
    close_vote(session, secretary, running)
    session.commit()
    assert [running.can_open_result(captain), running.can_enter_paper_now(captain),
            running.can_follow_up(captain)] == [True, False, True]
