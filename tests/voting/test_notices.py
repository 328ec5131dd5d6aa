"""Notices for the wall (公告) of an owners' decision: the roll posted, the call to vote, the preliminary
result and the final announcement, as PDF and DOCX, for the moderators; the scope said as 本单元/本楼."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from deliberation.accounts.models import Building
from deliberation.audit import AuditEvent
from deliberation.consultations import services as consultation_services
from deliberation.consultations.models import Eligibility, Phase
from deliberation.db import utcnow
from deliberation.voting import electorate, labels, notices
from deliberation.voting.casting import cast_ballot
from deliberation.voting.lifecycle import VoteInput, close_vote, create_vote, open_vote
from deliberation.voting.models import ObjectionStage, VoteObjection
from deliberation.voting.proxies import cast_by_proxy, record_proxy
from tests.conftest import unavailable
from tests.office import docx_as_pdf_text, flat

ROOMS = {"201": "90.50", "202": "88.00", "301": "100.25", "302": "75.00"}  # 3号楼2单元
VOTERS = {"201": "agree", "202": "agree", "301": "disagree"}  # 302 does not vote


def poppler(tool: str, data: bytes, *args: str) -> str:
    """Run a poppler-utils tool (pdftotext, pdfinfo) on a PDF given on its standard input ("-")."""
    assert data.startswith(b"%PDF")
    program = shutil.which(tool)
    if not program:
        unavailable(f"{tool} (poppler-utils) is not installed")
    return subprocess.run([program, *args], input=data, capture_output=True, check=True).stdout.decode()  # noqa: S603


def pdf_text(data: bytes) -> str:
    return poppler("pdftotext", data, "-", "-")


def pdf_pages(data: bytes) -> int:
    info = poppler("pdfinfo", data, "-")
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def docx_text(data: bytes) -> str:
    from docx import Document

    document = Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines += [cell.text for cell in row.cells]
    return "\n".join(lines)


@pytest.fixture
def lift(session, make_user, community, secretary):
    """3号楼: its 2单元 of four owners (the lift is theirs to decide), and an owner of 1单元 outside it."""
    owners = {}
    for room, area in ROOMS.items():
        user = make_user(f"yezhu{room}", community, building="3号楼", room=room)
        unit = user.person.household.unit
        unit.staircase, unit.area = "2单元", Decimal(area)
        owners[room] = user
    other = make_user("yezhu101", community, building="3号楼", room="101")
    other.person.household.unit.staircase = "1单元"
    session.commit()
    building = session.execute(select(Building).where(Building.name == "3号楼")).scalar_one()
    consultation = consultation_services.create_consultation(
        session, secretary, community, consultation_services.ConsultationInput(
            title="3号楼2单元加装电梯", eligibility=Eligibility.BUILDINGS, staircases=[(building.id, "2单元")]))
    consultation_services.move_phase(session, secretary, consultation, Phase.VOTING)
    proposal = consultation_services.create_proposal(session, secretary, consultation, "加装电梯方案", "方案内容")
    session.commit()
    return {"owners": owners, "other": other, "consultation": consultation, "proposal": proposal,
            "building": building}


@pytest.fixture
def lift_vote(session, secretary, lift):
    """The owners' vote on the lift (Civil Code ordinary matter), a draft whose roll is posted."""

    def make(*, secret: bool = False):
        vote = create_vote(session, secretary, lift["consultation"], VoteInput(
            title="是否同意3号楼2单元加装电梯", proposal_id=lift["proposal"].id, rule_name="civil_code_ordinary",
            basis="owner", secret=secret))
        vote.roll_posted_at = utcnow() - timedelta(days=7)
        vote.roll_until = utcnow() - timedelta(days=1)
        session.commit()
        return vote

    return make


def _vote_and_close(session, secretary, lift, vote) -> None:
    open_vote(session, secretary, vote)
    session.commit()
    for room, choice in VOTERS.items():
        if room != "301":
            cast_ballot(session, lift["owners"][room], vote, choice)
    # 301 authorised 101's owner in writing to vote against; the proxy casts it.
    owner, proxy = lift["owners"]["301"], lift["other"]
    authorisation = record_proxy(session, owner, vote, owner.person_id, proxy.person_id, VOTERS["301"])
    session.commit()
    cast_by_proxy(session, proxy, vote, authorisation.id, VOTERS["301"])
    session.commit()
    close_vote(session, secretary, vote)
    vote.objections_until = vote.closed_at + timedelta(days=3)
    session.commit()


def _announce(session, vote) -> None:
    session.add(VoteObjection(vote_id=vote.id, stage=ObjectionStage.RESULT, kind="count", reason="核对",
                              answered_at=utcnow(), accepted=False, answer="经核对无误"))
    vote.announced_at = vote.objections_until + timedelta(hours=1)
    session.commit()


# -- the scope in words -------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "expected"), [
    pytest.param("staircase", "本单元（3号楼2单元）业主共 4 户，专有面积合计 353.75 ㎡", id="a_staircase_is_本单元"),
    pytest.param("building", "本楼（3号楼2单元）业主共 4 户，专有面积合计 353.75 ㎡", id="a_building_is_本楼"),
    pytest.param("several", "3号楼2单元业主共 4 户，专有面积合计 353.75 ㎡", id="several_are_named"),
    pytest.param("", "本居民区业主共 4 户，专有面积合计 353.75 ㎡", id="the_whole_community"),
])
def test_the_electorate_is_worded_for_its_scope(app, session, lift, lift_vote, kind, expected):
    vote = lift_vote()
    counted = {"voters": 4, "area_cents": 35375, "scope": "3号楼2单元" if kind else "", "scope_kind": kind}
    with app.test_request_context():
        assert labels.electorate_text(vote, counted) == expected


def test_a_building_scoped_session_says_本楼(app, session, secretary, community, lift):
    consultation = consultation_services.create_consultation(
        session, secretary, community, consultation_services.ConsultationInput(
            title="3号楼外墙", eligibility=Eligibility.BUILDINGS, building_ids=[lift["building"].id]))
    assert electorate.scope_of(consultation) == ("3号楼", "building")
    assert electorate.scope_of(lift["consultation"]) == ("3号楼2单元", "staircase")


def test_the_roll_is_counted_now_before_the_opening_and_frozen_after(app, session, secretary, lift, lift_vote):
    vote = lift_vote()
    now = electorate.counted_now(session, vote)
    assert (now["voters"], now["area_cents"], now["scope_kind"]) == (4, 35375, "staircase")
    assert vote.electorate_counted is None  # counting now writes nothing
    open_vote(session, secretary, vote)
    session.commit()
    assert electorate.counted_now(session, vote) == vote.electorate_counted
    with app.test_request_context():
        assert labels.electorate_text(vote).startswith("本单元（3号楼2单元）业主共 4 户，专有面积合计 353.75 ㎡")


# -- the four notices, PDF and DOCX ----------------------------------------------------------------------


def _get(client, vote, stage, fmt):
    return client.get(f"/votes/{vote.id}/notices/{stage}.{fmt}")


def test_each_stage_prints_as_pdf_and_docx(client, session, login, secretary, lift, lift_vote):
    vote = lift_vote()
    login("shuji")
    assert _get(client, vote, "call", "pdf").status_code == 404  # not opened, not scheduled
    seen = {}
    roll = _get(client, vote, "roll", "pdf")
    assert roll.status_code == 200 and roll.mimetype == "application/pdf"
    seen["roll"] = pdf_text(roll.data)
    _vote_and_close(session, secretary, lift, vote)
    assert _get(client, vote, "final", "pdf").status_code == 404  # not announced yet
    _announce(session, vote)
    for stage in notices.STAGES:
        pdf = _get(client, vote, stage, "pdf")
        docx = _get(client, vote, stage, "docx")
        assert pdf.status_code == docx.status_code == 200, stage
        assert docx.mimetype == notices.FORMATS["docx"]
        assert pdf_pages(pdf.data) == 1, f"{stage} does not fit one A4 page"
        for text in (flat(pdf_text(pdf.data)), flat(docx_text(docx.data))):
            assert flat(f"关于“是否同意3号楼2单元加装电梯”的{notices.stage_title(stage)}") in text
            assert "银杏居民区" in text and "加装电梯方案" in text
            assert "本单元（3号楼2单元）业主共4户，专有面积合计353.75㎡" in text
            assert "（居民委员会盖章）" in text and "审计日志链头：#" in text
            seen.setdefault(stage, text)
    assert flat("表决权人名册公示") in seen["roll"] and "异议" in seen["roll"]
    until = vote.roll_until.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d%H:%M")
    assert f"公示期至{until}" in flat(seen["roll"])  # dates as Shanghai reads them
    assert "网上投票" in seen["call"] and "纸质投票" in seen["call"] and "委托投票" in seen["call"]
    assert "委托书" in seen["call"] and "表决情况" not in seen["call"] and "投票渠道" not in seen["call"]
    for stage in ("preliminary", "final"):
        text = seen[stage]
        # 3 of 4 owners took part, 278.75 of 353.75 m²; 2 agreed with 178.50 m².
        assert "参与表决3" in text and "278.75" in text and "同意2" in text and "178.50" in text
        assert "网上2票，纸质征询单0票，书面委托1票" in text
        assert "通过" in text and "第二百七十八条" in text
    assert "异议期" in seen["preliminary"] and "正式公告" in seen["preliminary"]
    assert "收到异议1件，已答复1件，其中成立0件" in seen["final"] and "最终结果" in seen["final"]
    for room in ROOMS:  # nobody's name, let alone their choice, is on the wall
        assert f"yezhu{room}" not in seen["final"]


def test_the_docx_opens_in_an_office_suite(client, session, login, secretary, lift, lift_vote, tmp_path):
    vote = lift_vote()
    _vote_and_close(session, secretary, lift, vote)
    login("shuji")
    text = flat(docx_as_pdf_text(_get(client, vote, "preliminary", "docx").data, tmp_path))
    assert "表决结果公示（初步）" in text and "本单元（3号楼2单元）业主共4户" in text
    assert "278.75" in text and "（居民委员会盖章）" in text


def test_a_download_is_audited_and_its_head_printed(client, session, login, lift, lift_vote):
    vote = lift_vote()
    login("shuji")
    text = pdf_text(_get(client, vote, "roll", "pdf").data)
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "vote.notice")).scalar_one()
    assert event.data["stage"] == "roll" and event.data["format"] == "pdf"
    assert event.chain == vote.community_id  # the head printed is that of the vote's community's chain
    assert f"#{event.id} {event.hash[:16]}" in text


def test_a_secret_vote_shows_no_figures_before_its_close(client, session, login, secretary, lift, lift_vote):
    vote = lift_vote(secret=True)
    open_vote(session, secretary, vote)
    session.commit()
    for room, choice in VOTERS.items():
        cast_ballot(session, lift["owners"][room], vote, choice)
    session.commit()
    login("shuji")
    text = flat(pdf_text(_get(client, vote, "call", "pdf").data))
    assert "无记名投票" in text and "表决情况" not in text and "投票渠道" not in text
    refused = _get(client, vote, "preliminary", "pdf")
    assert refused.status_code == 404 and "表决尚未结束" in refused.get_data(as_text=True)
    close_vote(session, secretary, vote)
    session.commit()
    text = flat(pdf_text(_get(client, vote, "preliminary", "pdf").data))
    assert "参与表决3" in text and "yezhu201" not in text


def test_residents_are_refused_and_other_communities_see_nothing(client, session, login, make_user, secretary,
                                                                other_community, lift, lift_vote):
    vote = lift_vote()
    login("yezhu201")
    # A draft whose roll is posted: residents see the vote and its roll page, the notices are the moderators'.
    assert _get(client, vote, "roll", "pdf").status_code == 403
    open_vote(session, secretary, vote)
    session.commit()
    assert _get(client, vote, "roll", "pdf").status_code == 403
    assert _get(client, vote, "call", "docx").status_code == 403
    assert "公告（打印张贴）" not in client.get(f"/votes/{vote.id}").get_data(as_text=True)
    client.post("/logout")
    make_user("mod_b", other_community, role="moderator")
    login("mod_b")
    assert _get(client, vote, "roll", "pdf").status_code == 404
    assert _get(client, vote, "roll", "docx").status_code == 404


def test_the_vote_page_links_the_notices_reached(client, session, login, lift, lift_vote):
    vote = lift_vote()
    login("shuji")
    html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert f"/votes/{vote.id}/notices/roll.pdf" in html and f"/votes/{vote.id}/notices/roll.docx" in html
    assert f"/votes/{vote.id}/notices/call.pdf" not in html


def test_the_api_gives_each_notice_to_moderators(client, session, api_token, secretary, lift, lift_vote):
    vote = lift_vote()
    headers = api_token("shuji")
    pdf = client.get(f"/api/v1/votes/{vote.id}/notices/roll", headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    docx = client.get(f"/api/v1/votes/{vote.id}/notices/roll?format=docx", headers=headers)
    assert docx.status_code == 200 and "本单元（3号楼2单元）" in docx_text(docx.data)
    missing = client.get(f"/api/v1/votes/{vote.id}/notices/final", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/votes/{vote.id}/notices/roll?format=md", headers=headers).status_code == 422
    open_vote(session, secretary, vote)
    session.commit()
    resident = client.get(f"/api/v1/votes/{vote.id}/notices/call", headers=api_token("yezhu201"))
    assert resident.status_code == 403
    spec = client.get("/api/v1/openapi.json").get_json()
    path = spec["paths"]["/api/v1/votes/{vote_id}/notices/{stage}"]
    operation = path["get"]
    assert {p["name"] for p in path["parameters"] + operation["parameters"]} >= {"vote_id", "stage", "format"}
    stage = next(p for p in path["parameters"] if p["name"] == "stage")
    assert stage["schema"]["enum"] == list(notices.STAGES)
    assert "application/pdf" in operation["responses"]["200"]["content"]


def test_the_minutes_say_whose_vote_it_was(app, session, secretary, lift, lift_vote):
    from deliberation.minutes import services as minutes

    vote = lift_vote()
    _vote_and_close(session, secretary, lift, vote)
    with app.test_request_context():
        text, _name, _type = minutes.export(session, secretary, lift["consultation"], "md", draft=True)
    text = text.decode()
    assert "本单元（3号楼2单元）业主共 4 户，专有面积合计 353.75 ㎡" in text
    assert "指定楼栋或单元的居民和业主（3号楼2单元）" in text


NOW = utcnow()


@pytest.mark.parametrize(("fields", "stage", "expected"), [
    pytest.param({}, "roll", False, id="roll_not_posted"),
    pytest.param({"roll_posted_at": NOW}, "roll", True, id="roll_posted"),
    pytest.param({}, "call", False, id="neither_opened_nor_scheduled"),
    pytest.param({"opens_at": NOW + timedelta(days=3)}, "call", True, id="scheduled_is_called"),
    pytest.param({"opened_at": NOW}, "call", True, id="opened"),
    pytest.param({"opened_at": NOW}, "preliminary", False, id="open_has_no_result"),
    pytest.param({"opened_at": NOW, "closed_at": NOW}, "preliminary", False, id="closed_without_decision"),
    pytest.param({"closed_at": NOW, "decision": {"online": 1}}, "preliminary", True, id="closed_and_counted"),
    pytest.param({"closed_at": NOW, "decision": {"online": 1}}, "final", False, id="counted_not_announced"),
    pytest.param({"closed_at": NOW, "decision": {"online": 1}, "announced_at": NOW}, "final", True,
                 id="announced"),
])
def test_a_notice_prints_once_its_stage_is_reached(fields, stage, expected):
    from deliberation.voting.models import Vote

    assert notices.reached(Vote(**fields), stage) is expected


def test_a_residents_vote_counts_people_and_no_area(client, session, login, secretary, make_vote, residents):
    """A per-person vote of the whole community: 本居民区…居民共 N 人, figures by headcount alone."""
    vote = make_vote(rule_name="simple_majority")
    cast_ballot(session, residents["wang"], vote, "agree")
    session.commit()
    close_vote(session, secretary, vote)
    session.commit()
    login("shuji")
    data = client.get(f"/votes/{vote.id}/notices/preliminary.pdf").data
    text = flat(pdf_text(data))
    assert "本居民区年满18周岁的居民共5人" in text and "人数（人）" in text and "专有面积" not in text
    assert "第二百七十八条" not in text
    fonts = poppler("pdffonts", data, "-")
    assert "Noto-Serif-CJK-SC" in fonts and "Noto-Sans-CJK-SC" in fonts  # the body, the title and headings


def test_a_choice_between_variants_shows_each_variant_s_ballots(client, session, login, secretary, make_vote,
                                                                 proposals, residents):
    vote = make_vote(kind="single", option_proposal_ids=[p.id for p in proposals[:2]])
    first, second = vote.options
    for name, option in (("wang", first), ("li", first), ("zhao", second)):
        cast_ballot(session, residents[name], vote, option.key)
    session.commit()
    close_vote(session, secretary, vote)
    session.commit()
    login("shuji")
    text = flat(pdf_text(client.get(f"/votes/{vote.id}/notices/preliminary.pdf").data))
    assert "备选方案1.方案一：原址改造；2.方案二：并入车棚" in text
    assert "方案一：原址改造267%" in text and "方案二：并入车棚133%" in text
    assert "胜出：方案一：原址改造" in text
