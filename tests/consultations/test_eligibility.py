"""Who sees which session: eligibility, drafts, other communities."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from deliberation.accounts.models import Building, Household, Ownership, Person, Tenure, Unit
from deliberation.consultations.models import Eligibility, Phase
from deliberation.db import utcnow


def _building(session, community, name):
    return session.execute(
        select(Building).where(Building.community_id == community.id, Building.name == name)
    ).scalar_one()


def test_resident_sees_a_public_session_of_the_whole_community(client, login, consultation, resident):
    assert consultation.can_view(resident)
    login("wangayi")
    assert client.get(f"/consultations/{consultation.id}").status_code == 200
    assert consultation.title in client.get(f"/communities/{consultation.community_id}/consultations").text


def test_draft_session_is_invisible_to_residents_and_visible_to_moderators(
    client, login, make_consultation, resident, secretary
):
    draft = make_consultation("屋顶绿化初步设想", phase=Phase.DRAFT)
    assert not draft.can_view(resident)
    assert draft.can_view(secretary)
    login("wangayi")
    assert client.get(f"/consultations/{draft.id}").status_code == 404
    assert "屋顶绿化初步设想" not in client.get(f"/communities/{draft.community_id}/consultations").text
    client.post("/logout")
    login("shuji")
    assert client.get(f"/consultations/{draft.id}").status_code == 200
    assert "屋顶绿化初步设想" in client.get(f"/communities/{draft.community_id}/consultations").text


def test_resident_of_another_community_gets_404_for_everything(
    client, login, consultation, round_, outsider, session, secretary
):
    from deliberation.consultations import proposals

    proposal = proposals.create_proposal(session, secretary, consultation, "方案一", "正文")
    session.commit()
    login("zhaojie")
    for path in (
        f"/consultations/{consultation.id}",
        f"/proposals/{proposal.id}",
        f"/communities/{consultation.community_id}/consultations",
        f"/communities/{consultation.community_id}/ideas",
    ):
        assert client.get(path).status_code == 404, path
    response = client.post(f"/consultations/{consultation.id}/comments", data={"body": "外面的人"})
    assert response.status_code == 404
    assert consultation.title not in response.text


def test_chosen_buildings_admit_residents_and_owners_of_those_buildings_only(
    session, make_consultation, community, resident, neighbour, make_user
):
    """The classic case: a lift for one staircase (3号楼)."""
    building = _building(session, community, "3号楼")
    lift = make_consultation("3号楼加装电梯", eligibility=Eligibility.BUILDINGS, building_ids=[building.id])
    # An owner who lives in 5号楼 but owns a flat in 3号楼 takes part too.
    landlord = make_user("landlord", community, building="5号楼", room="602")
    unit = Unit(building=building, room="1201")
    session.add(unit)
    session.add(Ownership(person_id=landlord.person_id, unit=unit))
    session.commit()
    assert lift.can_view(resident)
    assert lift.can_view(landlord)
    assert not lift.can_view(neighbour)


def test_owners_only_excludes_tenants(session, make_consultation, make_user, community, resident):
    tenant = make_user("zuke", community, tenure="tenant", building="3号楼", room="303")
    repair = make_consultation("使用维修资金更换水泵", eligibility=Eligibility.OWNERS)
    assert repair.can_view(resident)
    assert not repair.can_view(tenant)


def test_hand_picked_persons_only(session, make_consultation, resident, neighbour):
    panel = make_consultation(
        "居民代表座谈", eligibility=Eligibility.PERSONS, person_ids=[resident.person_id]
    )
    assert panel.can_view(resident)
    assert not panel.can_view(neighbour)


@pytest.mark.parametrize("eligibility", [Eligibility.BUILDINGS, Eligibility.PERSONS])
def test_eligibility_lists_must_name_this_communitys_buildings_or_persons(
    session, secretary, community, outsider, other_community, eligibility
):
    from deliberation.consultations import sessions
    from deliberation.errors import Invalid

    foreign_building = _building(session, other_community, "1号楼")
    data = sessions.ConsultationInput(
        title="越界",
        eligibility=eligibility,
        building_ids=[foreign_building.id],
        person_ids=[outsider.person_id],
    )
    with pytest.raises(Invalid):
        sessions.create_consultation(session, secretary, community, data)


def test_ineligible_resident_sees_neither_the_session_nor_its_listing(
    client, login, session, make_consultation, community, neighbour
):
    building = _building(session, community, "5号楼")
    other = Building(community=community, name="9号楼", sort_key="9号楼")
    session.add(other)
    session.commit()
    lift = make_consultation("9号楼加装电梯", eligibility=Eligibility.BUILDINGS, building_ids=[other.id])
    assert building.id != other.id
    login("lishushu")
    assert client.get(f"/consultations/{lift.id}").status_code == 404
    assert "9号楼加装电梯" not in client.get(f"/communities/{community.id}/consultations").text


def test_a_scheduled_start_publishes_a_draft_without_anyone_moving_it(
    session, client, login, make_consultation, resident
):
    draft = make_consultation("楼道照明改造", phase=Phase.DRAFT)
    assert not draft.can_view(resident)
    draft.commenting_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert draft.phase == Phase.DRAFT  # nothing was written...
    assert draft.effective_phase == Phase.COMMENTING  # ...the clock alone moved it
    assert draft.can_view(resident)
    login("wangayi")
    assert "楼道照明改造" in client.get(f"/communities/{draft.community_id}/consultations").text


def test_a_person_without_a_home_in_the_building_is_not_admitted(
    session, make_consultation, community, make_user
):
    building = (
        _building(session, community, "3号楼")
        if session.execute(select(Building).where(Building.name == "3号楼")).first()
        else Building(community=community, name="3号楼", sort_key="3号楼")
    )
    session.add(building)
    person = Person(
        community=community,
        name="无房者",
        tenure=Tenure.FAMILY,
        household=Household(
            unit=Unit(building=Building(community=community, name="7号楼", sort_key="7号楼"), room="101")
        ),
    )
    session.add(person)
    session.commit()
    lift = make_consultation("3号楼加装电梯", eligibility=Eligibility.BUILDINGS, building_ids=[building.id])
    user = make_user("wufang", community, building="7号楼", room="102")
    assert not lift.can_view(user)
