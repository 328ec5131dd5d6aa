"""Every door reached: the list of units not answered yet is the binding electorate's, in natural order, with
who is to be asked (names, masked phones), by building and staircase, and printable on A4."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

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
from deliberation.voting.casting import cast_ballot
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.paper import PaperEntry, enter_paper_ballots, unanswered_units

PASSWORD = "correct horse battery"


@pytest.fixture
def block(session, community):
    """9号楼 with two staircases: 1单元 101 (a couple owns it, a tenant lives there), 1单元 102 (one owner),
    2单元 201 (one owner); users by name."""
    building = Building(community=community, name="9号楼", sort_key="9号楼")
    units = {room: Unit(building=building, room=room, area=Decimal("80.00"), staircase=staircase)
             for room, staircase in (("101", "1单元"), ("102", "1单元"), ("201", "2单元"))}
    users = {}

    def person(name: str, phone: str, *, lives: str | None = None, owns: str | None = None,
               tenure: str = "owner") -> None:
        found = Person(community=community, name=name, tenure=Tenure(tenure), birth_year=1970, phone=phone,
                       household=Household(unit=units[lives]) if lives else None)
        session.add(found)
        if owns:
            session.add(Ownership(person=found, unit=units[owns]))
        users[name] = create_user(session, None, name, PASSWORD, name, person=found)
        session.add(Membership(user=users[name], community_id=community.id, role=Role.RESIDENT))

    person("husband", "13811112222", owns="101")
    person("wife", "13833334444", owns="101")
    person("tenant", "13955556666", lives="101", tenure="tenant")
    person("solo", "13700001111", lives="102", owns="102")
    person("upstairs", "13600002222", lives="201", owns="201")
    session.commit()
    return users


def _rooms(page) -> list[str]:
    return [unit.room for unit in page.items]


@pytest.mark.parametrize(("who", "rooms"), [
    pytest.param(None, ["101", "102", "201"], id="nobody_has_answered"),
    pytest.param("tenant", ["101", "102", "201"], id="a_tenant_s_advisory_ballot_never_removes_the_flat"),
    pytest.param("husband", ["102", "201"], id="one_co_owner_answers_for_the_flat"),
    pytest.param("wife", ["102", "201"], id="the_other_co_owner_too"),
    pytest.param("upstairs", ["101", "102"], id="an_owner_answers"),
])
def test_only_the_binding_electorate_takes_a_unit_off_the_list(session, block, make_vote, who, rooms):
    vote = make_vote(rule_name="civil_code_ordinary", advisory_all=True)
    if who:
        cast_ballot(session, block[who], vote, "agree")
        session.commit()
    assert _rooms(unanswered_units(session, vote, page=1)) == rooms


def test_a_paper_form_takes_the_unit_off_the_list(session, block, make_vote, secretary):
    vote = make_vote(rule_name="civil_code_ordinary", advisory_all=True)
    building = session.execute(select(Building).where(Building.name == "9号楼")).scalar_one()
    enter_paper_ballots(session, secretary, vote, building, [PaperEntry("102", "1", line=1)])
    session.commit()
    assert _rooms(unanswered_units(session, vote, page=1)) == ["101", "201"]


def test_after_a_secret_vote_closes_who_took_part_still_counts(session, block, make_vote, secretary):
    vote = make_vote(rule_name="civil_code_ordinary", secret=True)
    cast_ballot(session, block["solo"], vote, "agree")
    close_vote(session, secretary, vote)
    session.commit()
    assert _rooms(unanswered_units(session, vote, page=1)) == ["101", "201"]


def test_the_list_names_the_owners_with_masked_phones(session, block, make_vote):
    vote = make_vote(rule_name="civil_code_ordinary", advisory_all=True)
    first = unanswered_units(session, vote, page=1).items[0]
    assert (first.building, first.staircase, first.room) == ("9号楼", "1单元", "101")
    assert first.people == (("husband", "138****2222"), ("wife", "138****4444"))  # owners, not the tenant


@pytest.mark.parametrize(("staircase", "rooms"), [
    pytest.param("", ["101", "102", "201"], id="whole_building"),
    pytest.param("1单元", ["101", "102"], id="first_staircase"),
    pytest.param("2单元", ["201"], id="second_staircase"),
    pytest.param("9单元", ["101", "102", "201"], id="unknown_staircase_means_all"),
])
def test_the_page_filters_by_building_and_staircase(client, session, block, make_vote, login, secretary,
                                                   staircase, rooms):
    vote = make_vote(rule_name="civil_code_ordinary")
    building = session.execute(select(Building).where(Building.name == "9号楼")).scalar_one()
    login("shuji")
    html = client.get(f"/votes/{vote.id}/unanswered?building={building.id}&staircase={staircase}")
    body = html.get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0]
    assert [room for room in ("101", "102", "201") if f"<td>{room}</td>" in body] == rooms
    assert "138****2222" in body or "101" not in rooms
    assert "13811112222" not in body


def test_the_print_view_lists_every_unit_on_a4(client, session, block, make_vote, login, secretary):
    vote = make_vote(rule_name="civil_code_ordinary")
    login("shuji")
    response = client.get(f"/votes/{vote.id}/unanswered/print")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "css/followup.css" in html and "上门记录" in html and "共 3 户未答复" in html
    stylesheet = client.get("/static/css/followup.css")
    css = stylesheet.get_data(as_text=True)
    stylesheet.close()
    assert "size: A4" in css and "@media print" in css
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 3 and "<script>" not in html and "onclick" not in html
