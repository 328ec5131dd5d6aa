"""A lift for one building (加装电梯), decided by its owners as the law counts them: a flat owned by a
married couple is one voter with its area once, an owner of two flats is one voter with both areas.
The secretary prints the paper forms, enters them (one conflicting, settled in bulk), prints the
unanswered list for the floor captain, and — the vote being secret — sees turnout only until the close."""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy import delete, func, select

from deliberation.accounts.models import Building, Community, Ownership, Person, Tenure, Unit, User
from deliberation.consultations.models import Eligibility, Phase
from deliberation.consultations.proposals import create_proposal
from deliberation.consultations.sessions import ConsultationInput, create_consultation, move_phase
from deliberation.demo import DEMO_PASSWORD
from deliberation.extensions import db
from e2e.conftest import DOCUMENT_WAIT_MS, assert_accessible, open_vote, sign_in

pytestmark = pytest.mark.e2e


def _owned_units(building_id: int) -> list[Unit]:
    return db.session.execute(
        select(Unit).join(Ownership, Ownership.unit_id == Unit.id).where(Unit.building_id == building_id)
        .group_by(Unit.id).having(func.count(Ownership.id) == 1).order_by(Unit.id)
    ).scalars().all()


@pytest.fixture
def lift(live_server):
    """The demo's first building, with a co-owned flat and an owner of two flats, and its lift session."""
    with live_server.app.app_context():
        community = db.session.execute(select(Community).order_by(Community.id)).scalars().first()
        secretary = db.session.execute(select(User).where(User.username == "shuji")).scalar_one()
        building = db.session.execute(select(Building).where(Building.community_id == community.id)
                                      .order_by(Building.id)).scalars().first()
        couple_flat, first_flat, second_flat, *_rest = _owned_units(building.id)
        husband = db.session.execute(select(Person).join(Ownership).where(Ownership.unit_id == couple_flat.id)
                                     ).scalar_one()
        wife = Person(community=community, name="共有人林秀英", tenure=Tenure.OWNER, birth_year=1966,
                      household=husband.household)
        db.session.add_all([wife, Ownership(person=wife, unit=couple_flat)])
        two_flats = db.session.execute(select(Person).join(Ownership).where(Ownership.unit_id == first_flat.id)
                                       ).scalar_one()
        db.session.execute(delete(Ownership).where(Ownership.unit_id == second_flat.id))
        db.session.add(Ownership(person=two_flats, unit=second_flat))
        consultation = create_consultation(db.session, secretary, community, ConsultationInput(
            title=f"{building.name}加装电梯", eligibility=Eligibility.BUILDINGS, building_ids=[building.id]))
        proposal = create_proposal(db.session, secretary, consultation, "加装电梯方案", "在北侧加装一部电梯。")
        move_phase(db.session, secretary, consultation, Phase.VOTING)
        db.session.commit()
        facts = {
            "consultation": consultation.id, "proposal": proposal.id, "building": building.id,
            "building_name": building.name, "couple_flat": couple_flat.room, "first_flat": first_flat.room,
            "second_flat": second_flat.room, "husband": husband.name, "wife": wife.name,
            "two_flats_owner": two_flats.name,
            "units": db.session.execute(select(func.count(Unit.id)).join(Ownership)
                                        .where(Unit.building_id == building.id)).scalar(),
        }
        db.session.remove()
    return facts


def test_a_lift_vote_for_one_building_from_paper_forms_to_the_result(live_server, desktop, lift, tmp_path):
    url = live_server.url
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    vote_url, vote_id = open_vote(desktop, url, lift["consultation"], lift["proposal"],
                                  f"{lift['building_name']}加装电梯（业主表决）", "civil_code_ordinary", secret=True,
                                  server=live_server)

    # How the electorate was counted: the couple's flat once, the two flats of one owner as one voter.
    main = desktop.inner_text("main")
    assert re.search(r"共有的 \d+ 套房屋", main), main
    assert "第 1 版" in main

    # Paper forms for the whole building, one per flat: the couple's names both owners.
    forms = desktop.request.get(f"{url}/votes/{vote_id}/paper-forms.pdf?building={lift['building']}",
                                timeout=DOCUMENT_WAIT_MS)
    assert forms.status == 200 and forms.headers["content-type"].startswith("application/pdf")
    pdf = tmp_path / "forms.pdf"
    pdf.write_bytes(forms.body())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,  # noqa: S603,S607
                          check=True).stdout
    pages = text.split("\f")
    couple_page = next(p for p in pages if lift["husband"] in p and lift["wife"] in p)
    assert "加装电梯" in couple_page and "回执码" in couple_page
    owner_pages = [p for p in pages if lift["two_flats_owner"] in p]
    assert len(owner_pages) == 2  # a form per flat; whichever comes back first is the owner's one vote
    assert any(f"{lift['first_flat']}室" in p for p in owner_pages)
    assert any(f"{lift['second_flat']}室" in p for p in owner_pages)

    # Entered: the couple's form signed by the husband, the two-flat owner's form, then the wife's form for
    # the same flat — a conflict, never a second vote.
    desktop.goto(f"{url}/votes/{vote_id}/paper")
    desktop.select_option("#building_id", str(lift["building"]))
    desktop.fill("#lines", "\n".join([f"{lift['couple_flat']} 1 {lift['husband']}", f"{lift['first_flat']} 1",
                                      f"{lift['couple_flat']} 2 {lift['wife']}"]))
    with desktop.expect_navigation():
        desktop.click("#paper-submit")
    outcomes = desktop.inner_text("main")
    assert outcomes.count("室已录入") == 2 and "的征询单已录入过（无记名表决，不显示）" in outcomes, outcomes
    conflicts = desktop.locator("#conflicts input[name=conflict_ids]")
    assert conflicts.count() == 1
    conflicts.first.check()
    with desktop.expect_navigation():
        desktop.click("#conflicts button[value=keep]")
    assert desktop.locator("#conflicts input[name=conflict_ids]").count() == 0
    assert_accessible(desktop, "lift-paper-desktop")

    # The floor captain's round: the list of doors still to knock on, printable, without the answered flats.
    desktop.goto(f"{url}/votes/{vote_id}/unanswered/print?building={lift['building']}")
    rooms = {cells[2] for line in desktop.inner_text("table tbody").splitlines()
             if len(cells := line.split("\t")) > 2}
    assert rooms and lift["couple_flat"] not in rooms and lift["first_flat"] not in rooms
    assert lift["second_flat"] not in rooms  # the owner of two flats answered for both
    desktop.emulate_media(media="print")
    desktop.screenshot(path=str(tmp_path / "unanswered-print.png"), full_page=True)
    desktop.emulate_media(media="screen")

    # Secret: the moderator sees turnout, never a tally, until the close.
    desktop.goto(vote_url)
    assert re.search(r"已参与 2 / \d+", desktop.inner_text("#secret-turnout"))
    assert desktop.goto(f"{url}/votes/{vote_id}/result").status == 403
    desktop.goto(vote_url)
    with desktop.expect_navigation():
        desktop.click("#close-vote")
    with desktop.expect_navigation():
        desktop.click("#confirm-action")
    assert "/result" in desktop.url
    result = desktop.inner_text("main")
    assert "同意" in result and re.search(r"共有的 \d+ 套房屋", result)
    assert_accessible(desktop, "lift-result-desktop")
