"""Results: the aggregate queries agree with a recomputation from raw ballots through rules.tally;
variants (one choice, approval, Schulze with its pairwise table); households; owners of several units."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from sqlalchemy import select

from deliberation import rules
from deliberation.accounts.models import Building, Household, Ownership, Person, Unit
from deliberation.errors import Conflict, Invalid
from deliberation.voting.casting import cast_ballot, my_ballot
from deliberation.voting.electorate import electorate_size
from deliberation.voting.lifecycle import close_vote, due, refresh
from deliberation.voting.models import Ballot, VoteVoter
from deliberation.voting.results import ballot_record_digest, consultation_results, report_for, vote_result
from tests.announced import close_and_announce


@pytest.fixture
def crowd(session, make_user, community):
    """Thirty owners and residents in three buildings, born across the age bands."""
    users = []
    for n in range(30):
        user = make_user(f"jumin{n:02d}", community, building=f"{n % 3 + 1}号楼", room=f"{n + 1:02d}02",
                         tenure=("owner", "tenant", "family")[n % 3])
        user.person.birth_year = 1940 + n * 2
        users.append(user)
    session.commit()
    return users


@pytest.mark.parametrize("rule_name", ["simple_majority", "quorum_majority", "cross_group_majority",
                                       "civil_code_major"])
def test_result_equals_a_recomputation_from_raw_ballots(session, make_vote, crowd, rule_name):
    vote = make_vote(rule_name=rule_name, group="building")
    rng = random.Random(7)
    for user in crowd:
        if rng.random() < 0.8:
            try:
                cast_ballot(session, user, vote, rng.choice(("agree", "agree", "disagree", "abstain")))
            except Exception as error:  # tenants in a civil-code vote are outside the electorate
                assert rule_name == "civil_code_major" and "名册" in str(error)
    session.commit()
    report = report_for(session, vote)
    voters = session.execute(select(VoteVoter).where(VoteVoter.vote_id == vote.id,
                                                     VoteVoter.advisory.is_(False))).scalars().all()
    electorate = [rules.Voter(v.voter_key, area=Decimal(v.area_cents) / 100,
                              groups={"building": v.building, "age": v.age_band, "tenure": v.tenure})
                  for v in voters]
    ballots = dict(session.execute(select(Ballot.voter_key, Ballot.choice)
                                   .where(Ballot.vote_id == vote.id)).all())
    expected = rules.decide(rules.Rule(vote.rule_name, vote.rule_params), rules.tally(electorate, ballots))
    assert report.decision.tally == expected.tally
    assert report.decision.agreed == expected.agreed
    assert report.decision.checks == expected.checks
    assert report.decision.summary == expected.summary
    assert report.participants == len(ballots)
    building_rows = dict(report.breakdown["building"])
    assert sum(row["同意"] for row in building_rows.values()) == list(ballots.values()).count("agree")


def test_age_bands_and_tenure_in_the_breakdown(session, make_vote, crowd):
    vote = make_vote()
    for user in crowd[:6]:
        cast_ballot(session, user, vote, "agree")
    report = report_for(session, vote)
    ages = [value for value, _counts in report.breakdown["age"]]
    assert ages == ["18-34", "35-59", "60+"]
    tenures = dict(report.breakdown["tenure"])
    assert set(tenures) == {"owner", "tenant", "family"}
    assert sum(c["同意"] for c in tenures.values()) == 6


def test_a_cross_group_vote_names_each_age_band_in_words_and_keeps_its_code(session, make_vote, crowd):
    """The breakdown and the check names carry codes; the check labels name the groups as people do."""
    vote = make_vote(rule_name="cross_group_majority", group="age")
    for user in crowd:
        cast_ballot(session, user, vote, "agree")
    checks = [c for c in report_for(session, vote).decision.checks if c.name.startswith("group:")]
    assert {c.name for c in checks} == {"group:18-34", "group:35-59", "group:60+"}
    assert {c.label for c in checks} == {"年龄段“18–34岁”群体", "年龄段“35–59岁”群体", "年龄段“60岁以上”群体"}


def test_owner_of_several_units_counts_once_with_the_sum_of_areas(session, make_vote, residents, community):
    wang = residents["wang"]
    building = session.execute(select(Building).where(Building.name == "3号楼")).scalar_one()
    second = Unit(building=building, room="1801", area=Decimal("60.25"))
    session.add(second)
    session.add(Ownership(person_id=wang.person_id, unit=second))
    session.commit()
    vote = make_vote(rule_name="civil_code_ordinary")
    row = session.get(VoteVoter, (vote.id, f"o:{wang.person_id}"))
    assert row.area_cents == 8850 + 6025
    assert electorate_size(session, vote) == 3
    cast_ballot(session, wang, vote, "agree")
    report = report_for(session, vote)
    area_check = report.decision.checks[0]
    assert area_check.numerator == Decimal("148.75")
    assert area_check.denominator == Decimal("148.75") + Decimal("88.50") * 2


def test_household_first_member_speaks_for_the_household(session, make_vote, residents, make_user, community):
    wang = residents["wang"]
    partner = make_user("wangshushu", community, tenure="family")
    partner.person.household_id = wang.person.household_id
    session.commit()
    vote = make_vote(basis="household")
    cast_ballot(session, wang, vote, "agree")
    with pytest.raises(Conflict):
        cast_ballot(session, partner, vote, "disagree")
    voter, ballot = my_ballot(session, partner, vote)
    assert ballot is not None and ballot.choice == "agree" and ballot.cast_by_id == wang.id
    assert session.execute(select(Ballot).where(Ballot.vote_id == vote.id)).scalars().all() == [ballot]


def test_one_choice_between_variants(session, make_vote, residents, proposals):
    vote = make_vote(kind="single", option_proposal_ids=[p.id for p in proposals[:2]])
    keys = [o.key for o in vote.options]
    cast_ballot(session, residents["wang"], vote, keys[0])
    cast_ballot(session, residents["li"], vote, keys[1])
    cast_ballot(session, residents["zhao"], vote, keys[1])
    with pytest.raises(Invalid):
        cast_ballot(session, residents["tenant"], vote, "999")
    report = report_for(session, vote)
    assert report.decision is None
    assert report.choice_result["winners"] == ["方案二：并入车棚"]
    assert dict(report.tally_rows) == {"方案一：原址改造": 1, "方案二：并入车棚": 2}


def test_approval_tie_is_reported_as_a_tie(session, make_vote, residents, proposals):
    vote = make_vote(kind="approval", option_proposal_ids=[p.id for p in proposals])
    a, b, c = (o.key for o in vote.options)
    cast_ballot(session, residents["wang"], vote, [a, b])
    cast_ballot(session, residents["li"], vote, [b, a])
    cast_ballot(session, residents["zhao"], vote, [c])
    report = report_for(session, vote)
    assert report.choice_result["tie"] is True
    assert report.choice_result["winners"] == ["方案一：原址改造", "方案二：并入车棚"]
    stored = session.execute(select(Ballot.choice).where(Ballot.voter_key == f"p:{residents['li'].person_id}")).scalar()
    assert json.loads(stored) == [a, b]  # canonical order


def test_ranked_ballots_by_schulze_with_the_pairwise_table(session, make_vote, residents, proposals, secretary):
    vote = make_vote(kind="ranked", option_proposal_ids=[p.id for p in proposals])
    a, b, c = (o.key for o in vote.options)
    cast_ballot(session, residents["wang"], vote, [b, a, c])
    cast_ballot(session, residents["li"], vote, [b, [a, c]])
    cast_ballot(session, residents["zhao"], vote, [a, b, c])
    cast_ballot(session, residents["tenant"], vote, [c])
    with pytest.raises(Invalid):
        cast_ballot(session, residents["family"], vote, [a, a])
    close_vote(session, secretary, vote)
    session.commit()
    report = vote_result(session, residents["wang"], vote)
    result = report.choice_result
    assert result["winners"] == ["方案二：并入车棚"]
    assert result["pairwise"]["方案二：并入车棚"]["方案一：原址改造"] == 2
    assert result["pairwise"]["方案一：原址改造"]["方案二：并入车棚"] == 1
    assert result["ranking"][0] == ["方案二：并入车棚"]
    # First choices: each ballot once; none of these put two options first together.
    assert dict(report.tally_rows) == {"方案一：原址改造": 1, "方案二：并入车棚": 2, "方案三：暂缓": 1, "并列第一": 0}


def test_digest_changes_with_the_ballots_and_names_no_one(session, make_vote, residents, consultation):
    vote = make_vote()
    empty = ballot_record_digest(session, consultation)
    cast_ballot(session, residents["wang"], vote, "agree")
    after = ballot_record_digest(session, consultation)
    assert empty != after and len(after) == 64
    assert ballot_record_digest(session, consultation) == after


def test_scheduled_close_stores_the_decision(session, make_vote, residents, secretary):
    from datetime import timedelta

    from deliberation.db import utcnow

    vote = make_vote()
    cast_ballot(session, residents["wang"], vote, "agree")
    vote.closes_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert due(vote)
    with pytest.raises(Conflict):
        cast_ballot(session, residents["li"], vote, "agree")
    session.rollback()
    refresh(session, vote)
    session.commit()
    assert vote.closed_at == vote.closes_at and vote.decision["decision"]["agreed"] is True


def test_consultation_results_for_the_minutes(session, make_vote, residents, secretary, consultation):
    first = make_vote(title="第一项")
    make_vote(title="第二项", show_running=True)
    cast_ballot(session, residents["wang"], first, "agree")
    close_and_announce(session, secretary, first)
    reports = consultation_results(session, residents["li"], consultation)
    assert [r.vote.title for r in reports] == ["第一项", "第二项"]
    assert reports[0].decision.agreed and reports[0].final and not reports[1].final
    assert reports[0].rule_text.startswith("需")
    hidden = make_vote(title="第三项")
    assert hidden.id not in [r.vote.id for r in consultation_results(session, residents["li"],
                                                                              consultation)]


def test_electorate_excludes_other_households_members_not_in_scope(session, make_vote, residents, outsider):
    vote = make_vote()
    keys = set(session.execute(select(VoteVoter.voter_key).where(VoteVoter.vote_id == vote.id)).scalars())
    assert f"p:{outsider.person_id}" not in keys
    assert session.get(Person, outsider.person_id) is not None
    assert session.execute(select(Household)).scalars().first() is not None
