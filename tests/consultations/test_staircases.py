"""Eligibility by staircase (单元): the lift of one staircase is decided by that staircase's people."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from deliberation.accounts.models import Building, Ownership, Unit
from deliberation.consultations import sessions
from deliberation.consultations.eligibility import eligible_person_ids
from deliberation.consultations.models import Eligibility, consultation_staircases
from deliberation.errors import Invalid


def _unit_of(session, user) -> Unit:
    from deliberation.accounts.models import Household, Person

    return session.execute(
        select(Unit).join(Household, Household.unit_id == Unit.id).join(Person, Person.household_id == Household.id)
        .where(Person.id == user.person_id)
    ).scalar_one()


@pytest.fixture
def stair(session, community, make_user):
    """3号楼: wangayi (302) and zhangshu (402) in 2单元, liuayi (301) in 1单元; an owner living in 5号楼."""
    people = {
        "wangayi": make_user("wangayi", community, building="3号楼", room="302"),
        "zhangshu": make_user("zhangshu", community, building="3号楼", room="402", tenure="tenant"),
        "liuayi": make_user("liuayi", community, building="3号楼", room="301"),
        "lishushu": make_user("lishushu", community, building="5号楼", room="101"),
        "landlord": make_user("landlord", community, building="5号楼", room="602"),
    }
    for name, staircase in (("wangayi", "2单元"), ("zhangshu", "2单元"), ("liuayi", "1单元")):
        _unit_of(session, people[name]).staircase = staircase
    building = session.execute(
        select(Building).where(Building.community_id == community.id, Building.name == "3号楼")
    ).scalar_one()
    owned = Unit(building=building, room="1202", staircase="2单元")
    session.add(owned)
    session.add(Ownership(person_id=people["landlord"].person_id, unit=owned))
    session.commit()
    people["building"] = building
    return people


def test_a_chosen_staircase_admits_its_residents_and_owners_only(session, make_consultation, stair):
    building = stair["building"]
    lift = make_consultation(
        "3号楼2单元加装电梯", eligibility=Eligibility.BUILDINGS, staircases=[(building.id, "2单元")]
    )
    assert lift.can_view(stair["wangayi"])
    assert lift.can_view(stair["zhangshu"])  # a tenant living in the staircase
    assert lift.can_view(stair["landlord"])  # an owner of a flat in it, living elsewhere
    assert not lift.can_view(stair["liuayi"])  # same building, other staircase
    assert not lift.can_view(stair["lishushu"])
    electorate = set(session.execute(eligible_person_ids(lift)).scalars())
    assert electorate == {stair[n].person_id for n in ("wangayi", "zhangshu", "landlord")}


def test_whole_buildings_and_staircases_add_up(session, make_consultation, community, stair):
    five = session.execute(
        select(Building).where(Building.community_id == community.id, Building.name == "5号楼")
    ).scalar_one()
    lift = make_consultation(
        "加装电梯（两处）",
        eligibility=Eligibility.BUILDINGS,
        building_ids=[five.id],
        staircases=[(stair["building"].id, "1单元")],
    )
    assert lift.can_view(stair["liuayi"]) and lift.can_view(stair["lishushu"])
    assert not lift.can_view(stair["zhangshu"])
    electorate = set(session.execute(eligible_person_ids(lift)).scalars())
    assert electorate == {stair[n].person_id for n in ("liuayi", "lishushu", "landlord")}


def test_a_staircase_not_on_the_roster_or_of_another_community_is_refused(
    session, secretary, community, other_community, outsider, stair
):
    foreign = session.execute(select(Building).where(Building.community_id == other_community.id)).scalar_one()
    for staircases in ([(stair["building"].id, "9单元")], [(foreign.id, "2单元")]):
        with pytest.raises(Invalid) as refused:
            sessions.create_consultation(
                session,
                secretary,
                community,
                sessions.ConsultationInput(title="越界", eligibility=Eligibility.BUILDINGS, staircases=staircases),
            )
        assert "staircases" in refused.value.fields
        session.rollback()
    with pytest.raises(Invalid) as refused:
        sessions.create_consultation(
            session, secretary, community, sessions.ConsultationInput(title="空", eligibility="buildings")
        )
    assert "building_ids" in refused.value.fields


def test_changing_eligibility_replaces_the_staircases(session, make_consultation, secretary, stair):
    building = stair["building"]
    lift = make_consultation("电梯", eligibility=Eligibility.BUILDINGS, staircases=[(building.id, "2单元")])
    sessions.update_consultation(
        session, secretary, lift, sessions.ConsultationInput(title="电梯", eligibility=Eligibility.COMMUNITY)
    )
    session.commit()
    assert session.execute(
        select(consultation_staircases).where(consultation_staircases.c.consultation_id == lift.id)
    ).all() == []
    assert lift.can_view(stair["liuayi"])


def test_the_form_offers_the_staircases_and_saves_them(client, login, session, community, secretary, stair):
    building = stair["building"]
    login("shuji")
    page = client.get(f"/communities/{community.id}/consultations/new")
    assert f'value="{building.id}:2单元"' in page.text and "3号楼 2单元" in page.text
    response = client.post(
        f"/communities/{community.id}/consultations/new",
        data={"title": "3号楼2单元加装电梯", "eligibility": "buildings", "staircases": [f"{building.id}:2单元"]},
    )
    assert response.status_code == 302, response.text
    cid = int(response.headers["Location"].rsplit("/", 1)[-1])
    detail = client.get(f"/consultations/{cid}")
    assert "3号楼 2单元" in detail.text
    edit = client.get(f"/consultations/{cid}/edit")
    assert re.search(rf'<input checked id="staircases-\d+" name="staircases" type="checkbox" value="{building.id}:2单元"',
                     edit.text)
    refused = client.post(
        f"/communities/{community.id}/consultations/new",
        data={"title": "错误的单元", "eligibility": "buildings", "staircases": [f"{building.id}:8单元"]},
    )
    assert refused.status_code == 422
    assert "请选择本居民区名册中已有的单元" in refused.text
    assert "错误的单元" in refused.text  # what was typed stays


def test_the_api_takes_and_returns_staircases(client, api_token, session, community, secretary, stair):
    building = stair["building"]
    created = client.post(
        f"/api/v1/communities/{community.id}/consultations",
        headers=api_token("shuji"),
        json={
            "title": "3号楼2单元加装电梯",
            "eligibility": "buildings",
            "staircases": [{"building_id": building.id, "staircase": "2单元"}],
        },
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["staircases"] == [{"building_id": building.id, "staircase": "2单元"}]
    cid = created.get_json()["id"]
    client.post(f"/api/v1/consultations/{cid}/phase", headers=api_token("shuji"), json={"phase": "commenting"})
    assert client.get(f"/api/v1/consultations/{cid}", headers=api_token("wangayi")).status_code == 200
    assert client.get(f"/api/v1/consultations/{cid}", headers=api_token("liuayi")).status_code == 404
    patched = client.patch(
        f"/api/v1/consultations/{cid}",
        headers=api_token("shuji"),
        json={"staircases": [{"building_id": building.id, "staircase": "7单元"}]},
    )
    assert patched.status_code == 422
    assert "staircases" in patched.get_json()["error"]["fields"]
