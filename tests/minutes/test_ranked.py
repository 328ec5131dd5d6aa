"""A ranked vote in the minutes: first choices that add up to the voters (并列第一 apart) and the Schulze
pairwise table, in every format (HTML, PDF, Markdown, CSV, XLSX, DOCX), in the API and across publication."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from deliberation.minutes import contents as minutes_contents
from deliberation.minutes import services
from tests.announced import close_and_announce
from tests.minutes.test_formats import docx_text, poppler

PLAN_ONE = "方案一：原址内部改造（修改稿）"
PLAN_TWO = "方案二：并入车棚"
PLAN_THREE = "方案三：暂缓"


@pytest.fixture
def ranked_run(session, secretary, residents, community):
    """Three residents rank three variants: two put two variants first together."""
    from deliberation.consultations import services as consultations
    from deliberation.consultations.models import Phase
    from deliberation.voting import services as voting
    from tests.minutes.conftest import run_consultation

    consultation = run_consultation(session, secretary, residents, community, close=False).consultation
    first = consultation.proposals[0]
    others = [consultations.create_proposal(session, secretary, consultation, title, "内容", is_variant=True)
              for title in (PLAN_TWO, PLAN_THREE)]
    vote = voting.create_vote(session, secretary, consultation, voting.VoteInput(
        title="三个方案排序", kind="ranked", option_proposal_ids=[first.id, *(p.id for p in others)]))
    voting.open_vote(session, secretary, vote)
    a, b, c = (o.key for o in vote.options)
    for resident, ranking in zip(residents, ([[a, b], c], [b, a, c], [[b, c], a]), strict=True):
        voting.cast_ballot(session, resident, vote, ranking)
    close_and_announce(session, secretary, vote)
    consultations.move_phase(session, secretary, consultation, Phase.CLOSED)
    services.save_draft(session, secretary, consultation, closing_notes="按排序结果实施。", host="王书记",
                        recorder="李干事")
    services.publish(session, secretary, consultation)
    session.commit()
    return consultation


# Ballots preferring the row to the column: 一 beats 二 on none and 三 on two; 二 beats 一 and 三 on two
# each; 三 beats 一 on one (the ballot that put 二 and 三 first together) and 二 on none.
PAIRWISE = [[PLAN_ONE, "—", 0, 2], [PLAN_TWO, 2, "—", 2], [PLAN_THREE, 1, 0, "—"]]
FIRSTS = [(PLAN_ONE, 0), (PLAN_TWO, 1), (PLAN_THREE, 0), ("并列第一", 2)]


def test_the_tree_counts_first_choices_once_and_keeps_the_pairwise_table(session, secretary, ranked_run):
    m = minutes_contents.assemble(session, secretary, ranked_run)
    (section,) = m.votes
    assert section.ranked
    assert [(r.label, r.count) for r in section.tally] == FIRSTS
    assert sum(r.count for r in section.tally) == section.participants == 3
    assert section.pairwise.options == [PLAN_ONE, PLAN_TWO, PLAN_THREE]
    assert section.pairwise.rows == [[None, 0, 2], [2, None, 2], [1, 0, None]]
    # Published minutes keep it: the frozen JSON reads back the same.
    assert minutes_contents.from_json(minutes_contents.to_json(m)).votes[0].pairwise == section.pairwise


def _cells(text: str) -> list[str]:
    return [cell.strip() for cell in text.split("|") if cell.strip()]


@pytest.mark.parametrize("fmt", ["md", "html", "pdf", "docx", "csv", "xlsx"])
def test_every_format_has_first_choices_and_the_pairwise_table(session, secretary, ranked_run, fmt, tmp_path):
    data, _name, _type = services.export(session, secretary, ranked_run, fmt)
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(data))
        firsts = list(book["表决1 第一选择"].iter_rows(values_only=True))
        assert firsts[0] == ("选项", "第一选择", "占比")
        assert [row[:2] for row in firsts[1:]] == FIRSTS
        pairwise = list(book["表决1 两两比较"].iter_rows(values_only=True))
        assert pairwise[0] == ("方案", PLAN_ONE, PLAN_TWO, PLAN_THREE)
        assert [list(row) for row in pairwise[1:]] == PAIRWISE
        return
    if fmt == "csv":
        text = data.decode("utf-8-sig")
        assert "表决1 第一选择,选项,第一选择,占比" in text
        assert "表决1 第一选择,并列第一,2,67%" in text
        assert f"表决1 两两比较,{PLAN_TWO},2,—,2" in text
        return
    if fmt == "md":
        text = data.decode()
        assert "| 选项 | 第一选择 | 占比 |" in text and "| 并列第一 | 2 | 67% |" in text
        assert "两两比较（行中方案胜过列中方案的选票数）" in text
        assert f"| {PLAN_TWO} | 2 | — | 2 |" in text
        return
    if fmt == "html":
        text = data.decode()
        table = re.search(r'<table class="doc-table pairwise">.*?</table>', text, re.S).group(0)
        rows = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>.*?</tr>", table, re.S)]
        assert rows == [["方案", PLAN_ONE, PLAN_TWO, PLAN_THREE], *([str(cell) for cell in row] for row in PAIRWISE)]
        assert "<caption>第一选择</caption>" in text
        return
    if fmt == "docx":
        text = docx_text(data)
    else:
        path = tmp_path / "minutes.pdf"
        path.write_bytes(data)
        text = poppler("pdftotext", str(path), "-")
    flat = "".join(text.split())
    assert "第一选择" in flat and "并列第一" in flat
    assert "两两比较（行中方案胜过列中方案的选票数）" in flat


def test_the_minutes_api_carries_the_pairwise_table(client, session, secretary, ranked_run, api_token):
    response = client.get(f"/api/v1/consultations/{ranked_run.id}/minutes", headers=api_token("shuji"))
    assert response.status_code == 200, response.get_json()
    (vote,) = response.get_json()["contents"]["votes"]
    assert vote["ranked"] is True
    assert vote["pairwise"] == {"options": [PLAN_ONE, PLAN_TWO, PLAN_THREE],
                                "rows": [[None, 0, 2], [2, None, 2], [1, 0, None]]}
    assert sum(row["count"] for row in vote["tally"]) == vote["participants"] == 3


def test_an_agreed_proposal_beside_a_ranked_choice_is_not_called_a_consensus(
        session, secretary, residents, community):
    """"方案一获同意，排序表决选择方案二" is not "达成共识": each is said, in every text the minutes print."""
    from deliberation.consultations import services as consultations
    from deliberation.consultations.models import Phase
    from deliberation.voting import services as voting
    from tests.minutes.conftest import run_consultation

    consultation = run_consultation(session, secretary, residents, community, close=False).consultation
    first = consultation.proposals[0]
    second = consultations.create_proposal(session, secretary, consultation, PLAN_TWO, "内容", is_variant=True)
    approval = voting.create_vote(session, secretary, consultation, voting.VoteInput(
        title="表决：方案一", proposal_id=first.id, rule_name="simple_majority"))
    ranked = voting.create_vote(session, secretary, consultation, voting.VoteInput(
        title="两个方案排序", kind="ranked", option_proposal_ids=[first.id, second.id]))
    for vote in (approval, ranked):
        voting.open_vote(session, secretary, vote)
    one, two = (o.key for o in ranked.options)
    for resident in residents:
        voting.cast_ballot(session, resident, approval, "agree")
        voting.cast_ballot(session, resident, ranked, [two, one])
    for vote in (approval, ranked):
        close_and_announce(session, secretary, vote)
    consultations.move_phase(session, secretary, consultation, Phase.CLOSED)
    session.commit()

    m = minutes_contents.assemble(session, secretary, consultation)
    assert m.outcome == f"{first.title}获同意；排序表决选定{PLAN_TWO}"
    assert not m.outcome_agreed
    for fmt in ("md", "html", "docx"):
        data, _name, _type = services.export(session, secretary, consultation, fmt)
        text = docx_text(data) if fmt == "docx" else data.decode()
        assert f"排序表决选定{PLAN_TWO}" in text, fmt
        assert "结论：达成共识" not in re.sub(r"<[^>]+>|\*\*", "", text), fmt
