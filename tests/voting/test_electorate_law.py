"""Who counts, as the law counts: owners by the Supreme People's Court interpretation on building ownership
(Arts. 8–9: a unit is one person with its registered area; co-owners one; one owner of several units once,
with the summed area; the developer's units together as one), and adults only (Civil Code Art. 17) where
each person or every resident votes. Integration tests: they run on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from deliberation.accounts.models import (
    Building,
    Household,
    Membership,
    Ownership,
    Person,
    Role,
    Tenure,
    Unit,
)
from deliberation.accounts.services import create_user
from deliberation.audit import AuditEvent
from deliberation.errors import Conflict, Forbidden
from deliberation.voting import labels
from deliberation.voting.casting import cast_ballot, my_ballot
from deliberation.voting.electorate import electorate_size, of_age, owner_groups, voter_for
from deliberation.voting.models import Ballot, VoteVoter
from deliberation.voting.paper import PaperEntry, enter_paper_ballots

YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year
PASSWORD = "correct horse battery"


# -- the rules themselves, pure -----------------------------------------------------------------


@pytest.mark.parametrize(("holdings", "developers", "expected"), [
    pytest.param([(1, 10)], [], [([1], [10])], id="one_owner_one_unit"),
    pytest.param([(1, 10), (2, 10)], [], [([1, 2], [10])], id="married_couple_one_unit_is_one_voter"),
    pytest.param([(1, 10), (1, 11), (1, 12)], [], [([1], [10, 11, 12])], id="one_owner_three_units_counts_once"),
    pytest.param([(1, 10), (2, 10), (1, 11)], [], [([1, 2], [10, 11])], id="couple_and_one_spouse_s_second_flat"),
    pytest.param([(1, 10), (2, 11)], [], [([1], [10]), ([2], [11])], id="two_owners_two_voters"),
    pytest.param([(7, 20), (8, 21), (1, 10)], [7, 8], [([1], [10]), ([7, 8], [20, 21])],
                 id="developer_units_together_as_one"),
    pytest.param([(7, 20), (7, 21), (1, 22)], [7], [([1], [22]), ([7], [20, 21])],
                 id="a_sold_unit_is_its_buyer_s"),
    pytest.param([(9, 30)], [9, 99], [([9], [30])], id="a_developer_holding_nothing_adds_nobody"),
    pytest.param([], [], [], id="nobody"),
])
def test_owner_groups_follow_the_interpretation_arts_8_9(holdings, developers, expected):
    assert owner_groups(holdings, developers) == expected


@pytest.mark.parametrize(("born", "expected"), [
    pytest.param(YEAR - 10, False, id="girl_born_2016_is_a_child"),
    pytest.param(YEAR - 17, False, id="seventeen_is_a_minor"),
    pytest.param(YEAR - 18, True, id="turning_18_this_year_counts_as_18"),
    pytest.param(YEAR - 66, True, id="pensioner"),
    pytest.param(None, True, id="unknown_year_included_and_flagged"),
])
def test_of_age_civil_code_art_17(born, expected):
    assert of_age(born, YEAR) is expected


# -- a roster built for each case ------------------------------------------------------------------


@pytest.fixture
def roster(session, community):
    """Builds units and persons: place("12号楼", "301", "90.50") and person("张三", lives=unit, owns=[…])."""
    buildings: dict[str, Building] = {}
    users: dict[str, object] = {}
    households: dict[int, Household] = {}

    def place(building: str, room: str, area: str = "0", staircase: str = "") -> Unit:
        if building not in buildings:
            buildings[building] = Building(community=community, name=building, sort_key=building)
        unit = Unit(building=buildings[building], room=room, area=Decimal(area), staircase=staircase)
        session.add(unit)
        return unit

    def person(name: str, *, lives: Unit | None = None, owns=(), born: int | None = 1970, tenure: str = "owner",
               developer: bool = False, phone: str = "13912345678", login: bool = True) -> Person:
        household = households.setdefault(id(lives), Household(unit=lives)) if lives is not None else None
        found = Person(community=community, name=name, tenure=Tenure(tenure), birth_year=born, phone=phone,
                       household=household, is_developer=developer)
        session.add(found)
        for unit in owns:
            session.add(Ownership(person=found, unit=unit))
        if login:
            user = create_user(session, None, name, PASSWORD, name, person=found)
            session.add(Membership(user=user, community_id=community.id, role=Role.RESIDENT))
            users[name] = user
        session.flush()
        return found

    place.person = person
    place.users = users
    return place


def _couple_flat(roster):
    flat = roster("3号楼", "302", "90.50")
    roster.person("wangjun", lives=flat, owns=[flat])
    roster.person("limei", lives=flat, owns=[flat], tenure="family")
    roster.person("other", lives=roster("3号楼", "303", "70.00"), tenure="tenant")  # a tenant: no deed
    return {"voters": 1, "area": "90.50", "keys_people": [2]}


def _one_owner_three_flats(roster):
    units = [roster("5号楼", room, area) for room, area in (("101", "60.00"), ("102", "70.25"), ("1001", "80.00"))]
    roster.person("zhangwei", lives=units[0], owns=units)
    roster.person("zhaoli", lives=roster("5号楼", "201", "55.00"), tenure="tenant")
    return {"voters": 1, "area": "210.25", "keys_people": [1]}


def _developer_units(roster):
    unsold = [roster("8号楼", room, "100.00") for room in ("101", "102", "103")]
    roster.person("jianshe", owns=unsold[:2], developer=True, login=False)
    roster.person("jianshe2", owns=unsold[2:], developer=True, login=False)
    sold = roster("8号楼", "201", "88.00")
    roster.person("buyer", lives=sold, owns=[sold])
    return {"voters": 2, "area": "388.00", "keys_people": [1, 2]}


def _mixed(roster):
    _couple_flat(roster)
    _one_owner_three_flats(roster)
    _developer_units(roster)
    return {"voters": 4, "area": "688.75", "keys_people": [1, 1, 2, 2]}


@pytest.mark.parametrize("build", [
    pytest.param(_couple_flat, id="co_owned_flat_one_voter_its_area_once"),
    pytest.param(_one_owner_three_flats, id="multi_unit_owner_once_with_summed_area"),
    pytest.param(_developer_units, id="developer_held_units_one_voter"),
    pytest.param(_mixed, id="all_together"),
])
def test_civil_code_electorate_counts_units_as_the_interpretation_does(session, roster, make_vote, build):
    expected = build(roster)
    session.commit()
    vote = make_vote(rule_name="civil_code_major")
    assert electorate_size(session, vote) == expected["voters"]
    rows = session.execute(select(VoteVoter).where(VoteVoter.vote_id == vote.id, VoteVoter.advisory.is_(False))
                           .order_by(VoteVoter.voter_key)).scalars().all()
    assert sorted(len(r.person_ids) for r in rows) == expected["keys_people"]
    area = session.execute(select(func.sum(VoteVoter.area_cents)).where(VoteVoter.vote_id == vote.id)).scalar()
    assert Decimal(area) / 100 == Decimal(expected["area"])
    text = labels.electorate_text(vote)
    assert f"业主共 {expected['voters']} 户，专有面积合计 {Decimal(expected['area']):,.2f} ㎡" in text


def test_the_page_and_the_result_say_how_the_electorate_was_counted(client, session, roster, make_vote, login,
                                                                   secretary):
    _mixed(roster)
    session.commit()
    vote = make_vote(rule_name="civil_code_ordinary")
    login("shuji")
    for path in (f"/votes/{vote.id}", f"/votes/{vote.id}/result"):
        html = client.get(path).get_data(as_text=True)
        assert "本居民区业主共 4 户，专有面积合计 688.75 ㎡" in html
        assert "共有的 1 套房屋，每套计一户" in html and "建设单位持有的 3 套房屋合计一户" in html


# -- co-owners: the first ballot speaks for the unit ----------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [
    pytest.param("wangjun", "limei", id="wife_after_husband"),
    pytest.param("limei", "wangjun", id="husband_after_wife"),
])
def test_a_second_co_owner_is_told_the_unit_has_voted(client, session, roster, make_vote, api_token, first, second):
    _couple_flat(roster)
    session.commit()
    vote = make_vote(rule_name="civil_code_ordinary")
    users = roster.users
    assert cast_ballot(session, users[first], vote, "agree").created
    session.commit()
    response = client.post(f"/api/v1/votes/{vote.id}/ballot", json={"choice": "disagree"},
                           headers=api_token(second))
    assert response.status_code == 409
    assert "本套房屋已由共有人投票" in response.get_json()["error"]["message"]
    ballots = session.execute(select(Ballot.choice).where(Ballot.vote_id == vote.id)).scalars().all()
    assert ballots == ["agree"]
    refused = session.execute(select(AuditEvent.data).where(AuditEvent.action == "ballot.refused")).scalars().all()
    assert len(refused) == 1 and "本套房屋已由共有人投票" in refused[0]["reason"]
    voter, ballot = my_ballot(session, users[second], vote)  # the other sees that the unit has voted
    assert voter is not None and ballot is not None and ballot.cast_by_id == users[first].id
    login_page = client.post("/login", data={"username": second, "password": PASSWORD})
    assert login_page.status_code == 302
    assert "本套房屋已由共有人投票" in client.get(f"/votes/{vote.id}").get_data(as_text=True)


def test_a_co_owner_s_paper_form_signed_by_either_spouse_is_the_unit_s_one_form(session, roster, make_vote,
                                                                              secretary):
    _couple_flat(roster)
    session.commit()
    vote = make_vote(rule_name="civil_code_ordinary")
    building = session.execute(select(Building).where(Building.name == "3号楼")).scalar_one()
    outcomes = enter_paper_ballots(session, secretary, vote, building, [
        PaperEntry("302", "1", name="limei", line=1), PaperEntry("302", "2", name="wangjun", line=2)])
    assert [o.status for o in outcomes] == ["recorded", "conflict"]
    assert session.execute(select(func.count(Ballot.id)).where(Ballot.vote_id == vote.id)).scalar() == 1


def test_a_co_owner_finds_the_unit_s_row(session, roster, make_vote):
    _mixed(roster)
    session.commit()
    vote = make_vote(rule_name="civil_code_ordinary")
    husband, wife = voter_for(session, vote, roster.users["wangjun"]), voter_for(session, vote, roster.users["limei"])
    assert husband is not None and husband.voter_key == wife.voter_key
    assert voter_for(session, vote, roster.users["zhaoli"]) is None  # lives here, owns nothing


# -- adults only where persons vote ------------------------------------------------------------------


def _family(roster):
    flat = roster("2号楼", "601", "99.00")
    roster.person("mama", lives=flat, owns=[flat], born=1985)
    roster.person("gege", lives=flat, born=YEAR - 17, tenure="family")
    roster.person("meimei", lives=flat, born=YEAR - 10, tenure="family")
    roster.person("yeye", lives=flat, born=None, tenure="family")
    roster.person("jiejie", lives=flat, born=YEAR - 18, tenure="family")


@pytest.mark.parametrize(("basis", "voters", "people"), [
    pytest.param("person", 3, ["jiejie", "mama", "yeye"], id="per_person_adults_and_unknown_age"),
    pytest.param("household", 1, ["jiejie", "mama", "yeye"], id="household_speaks_through_its_adults"),
])
def test_children_are_not_voters(session, roster, make_vote, basis, voters, people):
    _family(roster)
    roster.person("jianshe", owns=[roster("2号楼", "602", "99.00")], developer=True, born=None, login=False)
    session.commit()
    vote = make_vote(basis=basis)
    assert electorate_size(session, vote) == voters
    ids = {pid for row in session.execute(select(VoteVoter.person_ids).where(VoteVoter.vote_id == vote.id))
           .scalars() for pid in row}
    names = session.execute(select(Person.name).where(Person.id.in_(ids)).order_by(Person.name)).scalars().all()
    assert names == people
    counted = vote.electorate_counted
    assert counted["minors_left_out"] == 2
    if basis == "person":
        assert counted["unknown_age"] == 1
        assert "1 人未登记出生年份，已计入，请核实" in labels.electorate_text(vote)


@pytest.mark.parametrize(("who", "basis", "refused"), [
    pytest.param("gege", "person", True, id="seventeen_year_old_online_per_person"),
    pytest.param("meimei", "person", True, id="ten_year_old_online_per_person"),
    pytest.param("gege", "household", True, id="minor_for_the_household"),
    pytest.param("yeye", "person", False, id="unknown_age_votes"),
    pytest.param("jiejie", "person", False, id="turning_18_votes"),
])
def test_a_minor_s_online_ballot_is_refused_and_audited(client, session, roster, make_vote, api_token, who, basis,
                                                      refused):
    _family(roster)
    session.commit()
    vote = make_vote(basis=basis)
    response = client.post(f"/api/v1/votes/{vote.id}/ballot", json={"choice": "agree"}, headers=api_token(who))
    if not refused:
        assert response.status_code == 201
        return
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == "未满18周岁的居民不能参加表决"
    assert session.execute(select(func.count(Ballot.id))).scalar() == 0
    refused = session.execute(select(AuditEvent.data).where(AuditEvent.action == "ballot.refused")).scalars()
    assert [d["reason"] for d in refused] == ["未满18周岁的居民不能参加表决"]


def test_a_minor_co_owner_cannot_vote_online_but_the_unit_still_counts(session, roster, make_vote):
    flat = roster("2号楼", "701", "80.00")
    roster.person("heir", lives=flat, owns=[flat], born=YEAR - 12)
    roster.person("guardian", lives=flat, owns=[flat], born=1980)
    session.commit()
    vote = make_vote(rule_name="civil_code_ordinary")
    assert electorate_size(session, vote) == 1
    with pytest.raises(Forbidden, match="未满18周岁"):
        cast_ballot(session, roster.users["heir"], vote, "agree")
    assert cast_ballot(session, roster.users["guardian"], vote, "agree").created


@pytest.mark.parametrize(("name", "status", "message"), [
    pytest.param("meimei", "error", "2号楼601室的meimei未满18周岁，不能参加表决", id="girl_born_2016"),
    pytest.param("gege", "error", "2号楼601室的gege未满18周岁，不能参加表决", id="seventeen"),
    pytest.param("nobody", "error", "2号楼601室没有表决权人（或姓名不符）", id="name_not_on_the_roll"),
    pytest.param("yeye", "recorded", "2号楼601室已录入", id="unknown_age_accepted"),
])
def test_a_minor_s_paper_form_is_refused_and_audited(session, roster, make_vote, secretary, name, status, message):
    _family(roster)
    session.commit()
    vote = make_vote(basis="person")
    building = session.execute(select(Building).where(Building.name == "2号楼")).scalar_one()
    [outcome] = enter_paper_ballots(session, secretary, vote, building, [PaperEntry("601", "1", name=name, line=1)])
    assert (outcome.status, outcome.message) == (status, message)
    session.commit()
    refused = session.execute(select(AuditEvent.data).where(AuditEvent.action == "ballot.paper_refused")).scalars()
    assert [d["reason"] for d in refused] == ([message] if status == "error" else [])


def test_the_roster_page_shows_every_unit_an_owner_holds_and_the_developer(client, session, roster, login,
                                                                         secretary, community):
    _one_owner_three_flats(roster)
    _developer_units(roster)
    session.commit()
    login("shuji")
    html = client.get(f"/communities/{community.id}/roster").get_data(as_text=True)
    assert "5号楼101室、5号楼102室、5号楼1001室" in html
    assert "8号楼101室、8号楼102室" in html and "建设单位" in html


def test_co_owner_conflict_raises_in_the_service(session, roster, make_vote):
    _couple_flat(roster)
    session.commit()
    vote = make_vote(rule_name="civil_code_ordinary")
    cast_ballot(session, roster.users["wangjun"], vote, "agree")
    with pytest.raises(Conflict, match="一套房屋只计一票"):
        cast_ballot(session, roster.users["limei"], vote, "agree")
