"""Invite slips for the floor captain who hands them out: four to an A4 sheet, each with the flat (楼号室号),
in the order of a walk through the buildings."""

from __future__ import annotations

import re

from sqlalchemy import select

from deliberation.accounts.models import Person
from tests.accounts.test_roster_import import GOOD


def test_slips_carry_the_flat_four_to_a_sheet_in_walking_order(client, login, session, community, secretary):
    from deliberation.accounts import services
    from deliberation.accounts.roster import parse_roster

    roster = GOOD + "2号楼,1201,赵六,业主,70,1970,\n2号楼,301,钱七,租户,,1985,\n"
    services.import_roster(session, secretary, community, parse_roster(roster.encode(), "名册.csv"))
    session.commit()
    ids = session.execute(select(Person.id).where(Person.community_id == community.id)).scalars().all()
    assert len(ids) == 5
    login("shuji")
    html = client.post(f"/communities/{community.id}/invites", data={"person_id": ids}).get_data(as_text=True)
    pages = html.split('<div class="slip-page">')[1:]
    assert [page.count('class="slip"') for page in pages] == [4, 1]
    units = re.findall(r'<p class="slip-unit"[^>]*>([^<]+)</p>', html)
    assert [u.replace("\n", " ").strip() for u in units] == [
        "2号楼301室 · 钱七", "2号楼1201室 · 赵六", "12号楼301室 · 李桂兰", "12号楼301室 · 王建国", "12号楼302室 · 张伟"]
    assert len(set(re.findall(r'data-code="([A-Z0-9-]+)"', html))) == 5


def test_an_owner_living_elsewhere_gets_the_flat_owned_and_nobody_without_one_is_lost(
        client, login, session, community, secretary):
    from decimal import Decimal

    from deliberation.accounts.models import Building, Ownership, Unit

    person = Person(community=community, name="王芳", tenure="family")
    owner = Person(community=community, name="孙老板", tenure="owner")
    unit = Unit(building=Building(community=community, name="7号楼", sort_key="7号楼"), room="502",
                area=Decimal("66.00"))
    session.add_all([person, owner, Ownership(person=owner, unit=unit)])
    session.commit()
    login("shuji")
    html = client.post(f"/communities/{community.id}/invites",
                       data={"person_id": [person.id, owner.id]}).get_data(as_text=True)
    units = re.findall(r'<p class="slip-unit"[^>]*>([^<]+)</p>', html)
    assert [u.strip() for u in units] == ["7号楼502室 · 孙老板", "（无房屋） · 王芳"]
