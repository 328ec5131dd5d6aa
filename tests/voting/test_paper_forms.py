"""Printable paper forms (征询单): A4 Chinese PDF per unit, options numbered as entry reads them, and the
receipt code on the stub is the code entering that very form records."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from sqlalchemy import select

from deliberation.accounts.models import FloorCaptain
from deliberation.consultations.proposals import add_version
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.models import Ballot
from deliberation.voting.paper import PaperEntry, enter_paper_ballots
from deliberation.voting.paperforms import paper_forms
from deliberation.voting.receipts import receipt_hash

CODE = re.compile(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}")


def poppler(tool: str, *args: str) -> str:
    """Run a poppler-utils tool (pdftotext, pdfinfo) on our own file."""
    path = shutil.which(tool)
    assert path, f"{tool} (poppler-utils) is needed for this test"
    return subprocess.run([path, *args], capture_output=True, check=True, text=True).stdout  # noqa: S603


def pdf_text(tmp_path, data: bytes, name: str = "forms.pdf") -> tuple[str, str]:
    """The PDF's text with all white space removed, and its pdfinfo."""
    assert data.startswith(b"%PDF")
    path = tmp_path / name
    path.write_bytes(data)
    return "".join(poppler("pdftotext", str(path), "-").split()), poppler("pdfinfo", str(path))


def pages(info: str) -> int:
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))


VARIANTS = ["1.方案一：原址改造", "2.方案二：并入车棚", "3.方案三：暂缓"]


@pytest.mark.parametrize(("fields", "expected", "answer", "stored"), [
    pytest.param({"rule_name": "civil_code_ordinary"}, ["1.同意", "2.不同意", "3.弃权", "是否同意方案一", "（第1版）",
                                                        "只选一项"], "2", "disagree", id="proposal"),
    pytest.param({"kind": "single"}, [*VARIANTS, "只选一项"], "3", None, id="one_of_the_variants"),
    pytest.param({"kind": "approval"}, [*VARIANTS, "可多选"], "1,3", None, id="approval"),
    pytest.param({"kind": "ranked"}, [*VARIANTS, "写名次"], "2>1", None, id="ranked"),
])
def test_a_units_form_prints_the_numbered_options_and_the_receipt_entry_records(
        client, login, session, make_vote, proposals, residents, secretary, tmp_path, fields, expected, answer, stored):
    if fields.get("kind"):
        fields = {**fields, "option_proposal_ids": [p.id for p in proposals]}
    vote = make_vote(**fields)
    building = residents["li"].person.household.unit.building
    login("shuji")
    response = client.get(f"/votes/{vote.id}/paper-forms.pdf", query_string={"building": building.id, "room": "101"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, info = pdf_text(tmp_path, response.get_data())
    assert pages(info) == 1 and ("595.28 x 841.89" in info or "595.276 x 841.89" in info)  # one A4 page
    for words in (*expected, "5号楼101室", "lishushu", "回执码", "银杏居民区"):
        assert words in text, words
    [code] = CODE.findall(text)
    [outcome] = enter_paper_ballots(session, secretary, vote, building, [PaperEntry("101", answer, line=1)])
    session.commit()
    assert outcome.status == "recorded" and outcome.receipt == code
    ballot = session.execute(select(Ballot)).scalar_one()
    assert ballot.receipt_hash == receipt_hash(vote.id, code)
    if stored:
        assert ballot.choice == stored


def test_a_building_prints_one_page_per_unit_each_with_its_own_code(client, login, session, make_vote, residents,
                                                                   tmp_path):
    vote = make_vote(rule_name="civil_code_ordinary")  # owners: 101 and 102 of 5号楼 (103 is a family member)
    building = residents["li"].person.household.unit.building
    login("shuji")
    response = client.get(f"/votes/{vote.id}/paper-forms.pdf", query_string={"building": building.id})
    text, info = pdf_text(tmp_path, response.get_data())
    assert pages(info) == 2
    assert text.index("5号楼101室") < text.index("5号楼102室")
    codes = CODE.findall(text)
    assert len(codes) == 2 and len(set(codes)) == 2


def test_a_blank_form_has_boxes_to_fill_and_no_code(client, login, make_vote, tmp_path):
    vote = make_vote(open_now=False, rule_name="civil_code_ordinary")  # a blank form may be printed for a draft
    login("shuji")
    response = client.get(f"/votes/{vote.id}/paper-forms.pdf", query_string={"blank": "1"})
    text, info = pdf_text(tmp_path, response.get_data())
    assert pages(info) == 1
    assert "1.同意" in text and "号楼" in text and "录入时由工作人员填写" in text
    assert CODE.findall(text) == []


@pytest.mark.parametrize(("state", "query", "status", "message"), [
    pytest.param("draft", {"room": "101"}, 302, "表决开启、表决权人名册固定后才能打印带回执码的征询单",
                 id="draft_vote_unit_form"),
    pytest.param("closed", {"room": "101"}, 302, "表决已结束，不再打印征询单", id="closed_vote"),
    pytest.param("open", {"room": "999"}, 404, "", id="room_without_voters"),
    pytest.param("open", {"building": "0"}, 404, "", id="building_of_nowhere"),
    pytest.param("open", {"building": ""}, 302, "请选择楼栋", id="no_building"),
])
def test_forms_that_cannot_be_printed_are_refused_with_a_reason(client, login, session, make_vote, residents,
                                                               secretary, state, query, status, message):
    vote = make_vote(open_now=state != "draft", rule_name="civil_code_ordinary")
    if state == "closed":
        close_vote(session, secretary, vote)
        session.commit()
    building = residents["li"].person.household.unit.building
    login("shuji")
    response = client.get(f"/votes/{vote.id}/paper-forms.pdf", query_string={"building": building.id, **query})
    assert response.status_code == status
    if message:
        assert message in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_floor_captain_prints_their_own_building_only(client, login, session, make_vote, make_user, community,
                                                        residents, tmp_path):
    vote = make_vote(rule_name="civil_code_ordinary")
    captain = make_user("louzuzhang", community, building="5号楼", room="501")
    five = residents["li"].person.household.unit.building
    three = residents["wang"].person.household.unit.building
    session.add(FloorCaptain(user_id=captain.id, building_id=five.id))
    session.commit()
    login("louzuzhang")
    assert client.get(f"/votes/{vote.id}/paper-forms.pdf", query_string={"building": five.id, "room": "101"}
                      ).status_code == 200
    assert client.get(f"/votes/{vote.id}/paper-forms.pdf", query_string={"building": three.id}).status_code == 403


@pytest.mark.parametrize(("versions_before", "expected"), [
    pytest.param(0, 1, id="the_only_version"),
    pytest.param(1, 2, id="the_version_current_when_the_vote_was_made"),
])
def test_the_form_names_the_version_the_vote_asks_about(session, make_vote, proposals, secretary, versions_before,
                                                         expected):
    """A vote records the version it asks about, and no new one is published while it runs: the form names it."""
    for _n in range(versions_before):
        add_version(session, secretary, proposals[0], "方案一：原址改造（修改稿）", "内容二", "缩小范围")
        session.commit()
    vote = make_vote(rule_name="civil_code_ordinary")
    assert vote.proposal_version == expected
    assert paper_forms(session, secretary, vote, blank=True).version == expected
