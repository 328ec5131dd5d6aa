"""Every format from one set of data, after a full run with a Civil Code vote (online and paper ballots)."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from docx import Document
from openpyxl import load_workbook

from deliberation.minutes import services
from tests.announced import close_and_announce
from tests.minutes.conftest import TITLE

CHECK_LABELS = ["参与表决的专有面积", "参与表决的业主人数", "同意的专有面积", "同意的业主人数"]


@pytest.fixture
def published(session, voted_run, secretary):
    services.save_draft(session, secretary, voted_run.consultation, closing_notes="按修改稿实施，物业负责施工协调。",
                        host="王书记", recorder="李干事")
    services.publish(session, secretary, voted_run.consultation)
    session.commit()
    return voted_run


def poppler(tool: str, *args: str) -> str:
    """Run a poppler-utils tool (pdftotext, pdfinfo, pdffonts, pdftoppm) on our own file."""
    path = shutil.which(tool)
    assert path, f"{tool} (poppler-utils) is needed for this test"
    return subprocess.run([path, *args], capture_output=True, check=True, text=True).stdout  # noqa: S603


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def test_pdf_text_has_the_title_the_outcome_and_every_check(session, published, secretary, tmp_path):
    data, name, mimetype = services.export(session, secretary, published.consultation, "pdf")
    assert data.startswith(b"%PDF") and mimetype == "application/pdf"
    assert name == f"{TITLE}-会议纪要-第1版.pdf"
    path = tmp_path / "minutes.pdf"
    path.write_bytes(data)
    text = poppler("pdftotext", "-layout", str(path), "-")
    flat = "".join(text.split())
    assert TITLE in flat and "会议纪要" in flat
    assert "结论：达成共识" in flat and "表决结果：达成共识" in flat
    for label in CHECK_LABELS:
        assert label in flat
    assert flat.count("通过") >= 4
    assert "按修改稿实施" in flat and "王书记" in flat
    info = poppler("pdfinfo", str(path))
    assert "A4" in info or "595.276 x 841.89" in info
    fonts = poppler("pdffonts", str(path))
    assert "Noto-Serif-CJK-SC" in fonts
    poppler("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "page"))
    assert (tmp_path / "page-1.png").stat().st_size > 5000


def test_docx_text_has_the_title_the_outcome_and_every_check(session, published, secretary):
    data, name, mimetype = services.export(session, secretary, published.consultation, "docx")
    assert name.endswith(".docx") and mimetype.startswith("application/vnd.openxmlformats")
    text = docx_text(data)
    assert TITLE in text and "会议纪要" in text
    assert "结论：达成共识" in text and "表决结果：达成共识" in text
    for label in CHECK_LABELS:
        assert label in text
    assert "主持人" in text and "记录人" in text and "日期" in text
    document = Document(io.BytesIO(data))
    runs = [r for p in document.paragraphs for r in p.runs if r.text.strip()]
    east_asian = [r._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") for r in runs]
    assert all(east_asian), "every run names its East Asian font"
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_markdown_and_html_carry_the_same_contents(session, published, secretary):
    md, md_name, md_type = services.export(session, secretary, published.consultation, "md")
    html, html_name, html_type = services.export(session, secretary, published.consultation, "html")
    md, html = md.decode(), html.decode()
    assert md_type.startswith("text/markdown") and html_type.startswith("text/html")
    for text in (md, html):
        assert TITLE in text and "达成共识" in text and "设计单位已把坡道坡度调整为1:12" in text
        for label in CHECK_LABELS:
            assert label in text
    assert md.startswith(f"# {TITLE}会议纪要")
    # The file carries its stylesheet (A4 page rules included): it prints the same offline.
    assert "<style>" in html and "@page" in html and "Noto Serif CJK SC" in html


def test_xlsx_numbers_equal_the_result_api(session, published, secretary, client, api_token):
    data, name, _type = services.export(session, secretary, published.consultation, "xlsx")
    assert name == f"{TITLE}-表决结果-第1版.xlsx"
    result = client.get(f"/api/v1/votes/{published.vote.id}/result", headers=api_token("shuji")).get_json()
    book = load_workbook(io.BytesIO(data))
    overview = list(book["表决1 概况"].iter_rows(values_only=True))
    assert overview[0][2:6] == ("表决权人数", "参与人数", "线上", "纸质")
    assert overview[1][2:6] == (result["electorate"], result["participants"], result["online"], result["paper"])
    assert (result["online"], result["paper"]) == (2, 1)
    tally = [row[:2] for row in book["表决1 计票"].iter_rows(min_row=2, values_only=True)]
    assert tally == [tuple(row) for row in result["tally_rows"]]
    checks = list(book["表决1 核验"].iter_rows(min_row=2, values_only=True))
    assert [c[0] for c in checks] == [c["label"] for c in result["checks"]] == CHECK_LABELS
    assert [c[2] for c in checks] == [c["actual_text"] for c in result["checks"]]
    buildings = {row[0]: row[1:] for row in book["表决1 按楼栋"].iter_rows(min_row=2, values_only=True)}
    assert buildings["5号楼"][:2] == (1, 1)


def test_csv_is_excel_friendly_and_holds_every_table(session, published, secretary):
    data, name, mimetype = services.export(session, secretary, published.consultation, "csv")
    assert data.startswith("\ufeff".encode()) and mimetype.startswith("text/csv")
    text = data.decode("utf-8-sig")
    for label in CHECK_LABELS:
        assert label in text
    assert "表决1 概况,表决：方案一（修改稿）,民法典一般事项（第278条）,4,3,2,1,达成共识" in text


def test_an_unknown_format_is_refused(session, published, secretary):
    from deliberation.errors import Invalid

    with pytest.raises(Invalid):
        services.export(session, secretary, published.consultation, "exe")


def test_without_a_vote_the_minutes_say_so(session, run, secretary):
    md = services.export(session, secretary, run.consultation, "md")[0].decode()
    assert "（本次议事未进行表决。）" in md
    assert "结论：" not in md


def test_the_ballot_digest_is_printed_and_no_voter_is_named(session, published, secretary):
    from deliberation.minutes.models import Minutes
    from deliberation.voting.services import ballot_record_digest

    digest = ballot_record_digest(session, published.consultation)
    row = session.query(Minutes).filter_by(consultation_id=published.consultation.id).one()
    assert row.ballot_digest == digest and row.data["ballot_digest"] == digest
    md = services.export(session, secretary, published.consultation, "md")[0].decode()
    assert f"`{digest}`" in md
    for owner in published.owners:
        assert owner.username not in md and owner.display_name not in md


def test_a_choice_between_variants_names_the_winner(session, secretary, residents, community):
    from deliberation.consultations import services as consultations
    from deliberation.consultations.models import Phase
    from deliberation.minutes import contents as minutes_contents
    from deliberation.voting import services as voting
    from tests.minutes.conftest import run_consultation

    consultation = run_consultation(session, secretary, residents, community, close=False).consultation
    first = consultation.proposals[0]
    second = consultations.create_proposal(session, secretary, consultation, "方案二：并入车棚", "扩建到180平方米",
                                           is_variant=True)
    vote = voting.create_vote(session, secretary, consultation, voting.VoteInput(
        title="两个方案选一个", kind="single", option_proposal_ids=[first.id, second.id]))
    voting.open_vote(session, secretary, vote)
    keys = [o.key for o in vote.options]
    for resident, key in zip(residents, (keys[1], keys[1], keys[0]), strict=True):
        voting.cast_ballot(session, resident, vote, key)
    close_and_announce(session, secretary, vote)
    consultations.move_phase(session, secretary, consultation, Phase.CLOSED)
    session.commit()
    m = minutes_contents.assemble(session, secretary, consultation)
    (section,) = m.votes
    assert section.agreed is None and section.outcome == "选定：方案二：并入车棚"
    assert [(r.label, r.count) for r in section.tally] == [("方案一：原址内部改造（修改稿）", 1), ("方案二：并入车棚", 2)]
    assert m.outcome == "表决选定方案二：并入车棚" and not m.outcome_agreed  # a choice, said as one: no consensus
    text = docx_text(services.export(session, secretary, consultation, "docx")[0])
    assert "表决结果：选定：方案二：并入车棚" in text


def test_an_advisory_count_of_all_residents_is_shown_beside_the_owners_vote(session, secretary, residents,
                                                                            community):
    from deliberation.consultations import services as consultations
    from deliberation.consultations.models import Phase
    from deliberation.minutes import contents as minutes_contents
    from deliberation.voting import services as voting
    from tests.minutes.conftest import run_consultation
    from tests.voting.rolls import ready_to_open

    consultation = run_consultation(session, secretary, residents, community, close=False).consultation
    vote = voting.create_vote(session, secretary, consultation, voting.VoteInput(
        title="业主表决", proposal_id=consultation.proposals[0].id, rule_name="civil_code_ordinary",
        advisory_all=True))
    ready_to_open(session, secretary, vote)
    voting.open_vote(session, secretary, vote)
    for resident in residents:  # two owners and a tenant
        voting.cast_ballot(session, resident, vote, "agree")
    close_and_announce(session, secretary, vote)
    consultations.move_phase(session, secretary, consultation, Phase.CLOSED)
    session.commit()
    m = minutes_contents.assemble(session, secretary, consultation)
    binding, advisory = m.votes
    assert (binding.advisory, advisory.advisory) == (False, True)
    assert binding.participants == 2 and advisory.participants == 3
    assert binding.outcome == "达成共识" and m.outcome == "达成共识"
    md = services.export(session, secretary, consultation, "md")[0].decode()
    assert "（参考性表决，不计入结论）" in md
