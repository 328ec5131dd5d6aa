"""「3号楼2单元加装电梯」: the owners' decision as the law runs it, from the roll posted to the announcement.

The owners of one staircase decide (《上海市住宅物业管理规定》 Art. 69, Civil Code Art. 278). The secretary posts the
roll; an owner objects that her flat's area is wrong and the secretary accepts, correcting it (Art. 16). The vote
opens; a signed paper authorisation is recorded and the person authorised casts the owner's ballot as instructed
(Art. 18); one owner votes online, two on paper forms. At the close the result is preliminary; an owner objects and
is answered; once the window has run the secretary announces the final result. The four notices for the wall are
printed and rendered to PNG (kept under the test's folder: ``--basetemp`` to look at them), and the minutes show the
channels side by side and the final result."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from deliberation.accounts.models import Building, Community, Membership, Ownership, Person, Role, Unit, User
from deliberation.accounts.services import create_user
from deliberation.consultations.models import Eligibility, Phase
from deliberation.consultations.proposals import create_proposal
from deliberation.consultations.sessions import ConsultationInput, create_consultation, move_phase
from deliberation.db import utcnow
from deliberation.demo import DEMO_PASSWORD
from deliberation.extensions import db
from deliberation.voting.models import Vote
from e2e.conftest import DOCUMENT_WAIT_MS, assert_accessible, sign_in

pytestmark = pytest.mark.e2e

TITLE = "3号楼2单元加装电梯"
NOTICES = ("roll", "call", "preliminary", "final")


def _single_owner_units(building_id: int) -> list[Unit]:
    """The 2单元 flats of the building with one adult owner who has no login yet, in room order."""
    has_login = select(User.person_id).where(User.person_id.is_not(None))
    return db.session.execute(
        select(Unit).join(Ownership, Ownership.unit_id == Unit.id).join(Person, Person.id == Ownership.person_id)
        .where(Unit.building_id == building_id, Unit.staircase == "2单元", Person.id.not_in(has_login),
               func.coalesce(Person.birth_year, 1970) <= 1990)
        .group_by(Unit.id).having(func.count(Ownership.id) == 1).order_by(Unit.id)
    ).scalars().all()


def _owner(unit: Unit) -> Person:
    return db.session.execute(select(Person).join(Ownership).where(Ownership.unit_id == unit.id)).scalar_one()


def _login_for(community: Community, person: Person, username: str) -> None:
    user = create_user(db.session, None, username, DEMO_PASSWORD, person.name, person=person)
    db.session.add(Membership(user=user, community_id=community.id, role=Role.RESIDENT))


@pytest.fixture
def staircase(live_server):
    """The demo's 3号楼 2单元: its lift session and proposal, and logins for three of its owners."""
    with live_server.app.app_context():
        community = db.session.execute(select(Community).order_by(Community.id)).scalars().first()
        secretary = db.session.execute(select(User).where(User.username == "shuji")).scalar_one()
        building = db.session.execute(select(Building).where(
            Building.community_id == community.id, Building.name == "3号楼")).scalar_one()
        objector, giver, online, proxy_holder, paper_a, paper_b, *_rest = _single_owner_units(building.id)
        people = {name: _owner(unit) for name, unit in (("objector", objector), ("giver", giver),
                                                         ("online", online), ("proxy", proxy_holder))}
        for name in ("objector", "online", "proxy"):
            _login_for(community, people[name], f"lift_{name}")
        consultation = create_consultation(db.session, secretary, community, ConsultationInput(
            title=TITLE, eligibility=Eligibility.BUILDINGS, staircases=[(building.id, "2单元")]))
        proposal = create_proposal(db.session, secretary, consultation, "3号楼2单元加装电梯方案",
                                   "在2单元北侧加装一部电梯，费用按楼层分摊。")
        move_phase(db.session, secretary, consultation, Phase.VOTING)
        db.session.commit()
        facts = {
            "community": community.name, "consultation": consultation.id, "proposal": proposal.id,
            "building": building.id, "objector_room": objector.room, "objector_area": Decimal(objector.area),
            "giver_room": giver.room, "giver": people["giver"].name, "proxy_room": proxy_holder.room,
            "proxy": people["proxy"].name, "paper_rooms": (paper_a.room, paper_b.room),
            "owners": db.session.execute(select(func.count(func.distinct(Ownership.person_id))).join(Unit).where(
                Unit.building_id == building.id, Unit.staircase == "2单元")).scalar_one(),
        }
        db.session.remove()
    return facts


def _move(server, vote_id: int, **fields) -> None:
    """A period has run: its stored end moved into the past, as the clock would (the clock is never touched)."""
    with server.app.app_context():
        vote = db.session.get(Vote, vote_id)
        for name, value in fields.items():
            setattr(vote, name, value)
        db.session.commit()
        db.session.remove()


def _confirm(page) -> None:
    with page.expect_navigation():
        page.click("#confirm-action")


def _area_total(page) -> Decimal:
    found = re.search(r"专有面积合计 ([\d,]+\.\d\d) ㎡", page.inner_text("#roll-counted"))
    assert found, page.inner_text("#roll-counted")
    return Decimal(found.group(1).replace(",", ""))


def _png(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (240, 240, 230)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def phones(browser, live_server):
    """A small phone (375 px, touch, zh-CN) per owner, each signed in as that owner."""
    contexts = []

    def phone_of(username: str):
        context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: pytest.fail(f"a dialog fired: {dialog.message}"))
        sign_in(page, live_server.url, username, DEMO_PASSWORD)
        return page

    yield phone_of
    for context in contexts:
        context.close()


def test_the_owners_of_one_staircase_decide_a_lift_as_the_law_runs_it(live_server, desktop, phones, staircase,
                                                                        tmp_path):
    url = live_server.url
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)

    # The secretary creates the owners' vote; before it can open, its roll is posted (7 days proposed).
    desktop.goto(f"{url}/consultations/{staircase['consultation']}/votes/new")
    desktop.fill("#title", f"是否同意{TITLE}（业主表决）")
    desktop.select_option("#proposal_id", str(staircase["proposal"]))
    desktop.check("#rule-civil_code_ordinary")
    with desktop.expect_navigation():
        desktop.click("button[type=submit].primary")
    vote_url = desktop.url
    vote_id = int(re.search(r"/votes/(\d+)", vote_url).group(1))
    with desktop.expect_navigation():
        desktop.click("#post-roll")
    assert desktop.input_value("#days") == "7"
    with desktop.expect_navigation():
        desktop.click("#post-roll-next")
    _confirm(desktop)
    roll_url = desktop.url
    assert f"本单元（3号楼2单元）业主共 {staircase['owners']} 户" in desktop.inner_text("#roll-counted")
    area_before = _area_total(desktop)

    # An owner on her phone finds the roll from the vote page: names masked, and objects to her flat's area.
    phone = phones("lift_objector")
    phone.goto(vote_url)
    with phone.expect_navigation():
        phone.click("#roll-link")
    table = phone.inner_text("#roll-table")
    assert f"3号楼2单元{staircase['objector_room']}室" in table and staircase["giver"] not in table
    assert staircase["giver"][0] + "*" in table
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(phone, "owners-roll-phone")
    phone.check("#kind-0")  # 面积有误
    phone.select_option("#building_id", str(staircase["building"]))
    phone.fill("#room", staircase["objector_room"])
    corrected = staircase["objector_area"] + Decimal("1.50")
    phone.fill("#reason", f"产证面积为 {corrected} ㎡")
    with phone.expect_navigation():
        phone.click("#objection-form button[type=submit]")
    assert "等待主持人答复" in phone.inner_text("#my-objections")

    # The vote cannot open while the objection waits; the secretary accepts it, correcting the area.
    desktop.goto(f"{url}/votes/{vote_id}/roll/objections")
    form = desktop.locator("form.answer-form").first
    prefix = form.locator("input[type=radio]").first.get_attribute("id").split("-")[0]
    desktop.check(f"#{prefix}-decision-0")
    desktop.fill(f"#{prefix}-area", str(corrected))
    desktop.fill(f"#{prefix}-answer", "已核对产证，面积更正")
    with desktop.expect_navigation():
        form.locator("button[type=submit]").click()
    assert f"{corrected} ㎡" in desktop.inner_text("main")
    _confirm(desktop)
    desktop.goto(roll_url)
    assert _area_total(desktop) == area_before + Decimal("1.50")
    phone.goto(roll_url)
    assert "已采纳" in phone.inner_text("#my-objections")

    # The period runs out; the secretary opens the vote: the roll as corrected is the one frozen.
    _move(live_server, vote_id, roll_posted_at=utcnow() - timedelta(days=7, minutes=1),
          roll_until=utcnow() - timedelta(minutes=1))
    desktop.goto(vote_url)
    with desktop.expect_navigation():
        desktop.click("#open-vote")
    assert f"业主共 {staircase['owners']} 户" in desktop.inner_text("main")

    # A signed paper authorisation (委托书), recorded with its photo: the owner instructs 同意.
    desktop.goto(f"{url}/votes/{vote_id}/proxies")
    desktop.select_option("#owner_building_id", str(staircase["building"]))
    desktop.fill("#owner_room", staircase["giver_room"])
    desktop.fill("#owner_name", staircase["giver"])
    desktop.select_option("#proxy_building_id", str(staircase["building"]))
    desktop.fill("#proxy_room", staircase["proxy_room"])
    desktop.fill("#proxy_name", staircase["proxy"])
    desktop.check("#instruction-0")
    desktop.set_input_files("#document", files=[{"name": "weituoshu.png", "mimeType": "image/png",
                                                 "buffer": _png()}])
    with desktop.expect_navigation():
        desktop.click("#proxy-form button[type=submit]")
    assert staircase["giver"] in desktop.inner_text("#proxy-list")
    assert_accessible(desktop, "owners-proxies-desktop")

    # The person authorised casts it as instructed, from the vote page.
    phone = phones("lift_proxy")
    phone.goto(vote_url)
    with phone.expect_navigation():
        phone.click("#proxy-ballot-link")
    assert "委托意见：同意" in phone.inner_text("main")
    with phone.expect_navigation():
        phone.click("button.vote-button")
    assert "已按委托投票" in phone.inner_text("main")

    # One owner votes online on her phone; two paper forms come back through the floor captain.
    phone = phones("lift_online")
    phone.goto(vote_url)
    with phone.expect_navigation():
        phone.click("button.vote-button:text-is('同意')")
    desktop.goto(f"{url}/votes/{vote_id}/paper")
    desktop.select_option("#building_id", str(staircase["building"]))
    first, second = staircase["paper_rooms"]
    desktop.fill("#lines", f"{first} 1\n{second} 2")
    with desktop.expect_navigation():
        desktop.click("#paper-submit")
    assert desktop.inner_text("main").count("室已录入") == 2

    # The close: a preliminary result, channels side by side, posted for objections.
    desktop.goto(vote_url)
    with desktop.expect_navigation():
        desktop.click("#close-vote")
    _confirm(desktop)
    result = desktop.inner_text("main")
    assert "初步结果（公示中，至" in result and "网上 1，纸质 2，书面委托 1" in result, result

    # The owner who voted online objects ("my ballot is not in the list"); the secretary answers with a recount.
    phone.goto(vote_url)
    assert phone.get_attribute("#receipt-check", "href").startswith(f"/votes/{vote_id}/receipts")
    phone.check("#kind-0")
    phone.fill("#reason", "我在网上投了同意，请核对")
    with phone.expect_navigation():
        phone.click("#lodge-objection")
    desktop.goto(vote_url)
    with desktop.expect_navigation():
        desktop.click("#objections-link")
    with desktop.expect_navigation():
        desktop.click("a.button:has-text('答复')")
    desktop.check("#accepted-0")
    desktop.fill("#answer", "已重新计票，您的选票已计入")
    desktop.check("#recount")
    with desktop.expect_navigation():
        desktop.click("#answer-objection")
    assert "与公示结果一致" in desktop.inner_text("main")

    # The window runs out; the secretary announces the final result.
    _move(live_server, vote_id, objections_until=utcnow() - timedelta(seconds=1))
    desktop.goto(vote_url)
    with desktop.expect_navigation():
        desktop.click("#announce-vote")
    _confirm(desktop)
    assert "已公告" in desktop.inner_text("main")
    phone.goto(vote_url)
    assert "已公告" in phone.inner_text("#announcement")

    # The four notices for the wall: each an A4 PDF with the community, the staircase and the figures.
    for stage in NOTICES:
        answer = desktop.request.get(f"{url}/votes/{vote_id}/notices/{stage}.pdf", timeout=DOCUMENT_WAIT_MS)
        assert answer.status == 200 and answer.headers["content-type"].startswith("application/pdf"), stage
        pdf = tmp_path / f"notice-{stage}.pdf"
        pdf.write_bytes(answer.body())
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,  # noqa: S603,S607
                              check=True).stdout
        flat = re.sub(r"\s+", "", text)
        assert staircase["community"] in flat and "3号楼2单元" in flat and "盖章" in flat, (stage, text)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / f"notice-{stage}")],  # noqa: S603,S607
                       check=True)
        assert list(tmp_path.glob(f"notice-{stage}*.png")), stage
        if stage in ("preliminary", "final"):
            assert "书面委托1" in flat, (stage, text)
        docx = desktop.request.get(f"{url}/votes/{vote_id}/notices/{stage}.docx", timeout=DOCUMENT_WAIT_MS)
        assert docx.status == 200 and docx.body()[:2] == b"PK", stage

    # The minutes: the channels side by side and the final result, binding.
    desktop.goto(f"{url}/consultations/{staircase['consultation']}/minutes")
    minutes = desktop.inner_text("main")
    assert "书面委托 1" in minutes and "初步结果" not in minutes, minutes
    assert_accessible(desktop, "owners-minutes-desktop")
