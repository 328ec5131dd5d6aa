"""Ranked votes: first choices count each ballot once (ties as 并列第一), so they add up to the voters;
the Schulze pairwise table is on the result page and in the API."""

from __future__ import annotations

import pytest

from deliberation.voting.casting import cast_ballot
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.results import report_for

VOTERS = ("wang", "li", "zhao", "tenant", "family")


# Rankings use the option positions 0, 1, 2 (方案一, 方案二, 方案三); a list inside is a tie.
@pytest.mark.parametrize(("rankings", "firsts", "tied"), [
    pytest.param([[0, 1, 2], [1, 0], [0]], [2, 1, 0], 0, id="no_ties"),
    pytest.param([[[0, 1], 2], [[0, 1, 2]], [1]], [0, 1, 0], 2, id="a_tie_at_the_top_counts_once"),
    pytest.param([[[0, 1]], [[0, 2]], [[1, 2], 0], [0], [2]], [1, 0, 1], 3, id="mostly_ties"),
    pytest.param([[[0, 1, 2]]] * 5, [0, 0, 0], 5, id="everyone_ties_everything"),
    pytest.param([[2], [2, 0], [2, [0, 1]], [1], [0, [1, 2]]], [1, 1, 3], 0, id="ties_below_the_top_do_not_matter"),
])
@pytest.mark.parametrize("closed", [False, True], ids=["running", "closed"])
def test_first_choices_add_up_to_the_voters(session, make_vote, residents, proposals, secretary, rankings, firsts,
                                            tied, closed):
    vote = make_vote(kind="ranked", option_proposal_ids=[p.id for p in proposals], show_running=True)
    keys = [o.key for o in vote.options]
    labels = [o.label for o in vote.options]
    for name, ranking in zip(VOTERS, rankings, strict=False):
        cast_ballot(session, residents[name], vote,
                    [[keys[i] for i in entry] if isinstance(entry, list) else keys[entry] for entry in ranking])
    if closed:
        close_vote(session, secretary, vote)
    session.commit()

    report = report_for(session, vote)
    rows = dict(report.tally_rows)
    assert [rows[label] for label in labels] == firsts
    assert rows["并列第一"] == tied
    assert sum(rows.values()) == len(rankings) == report.participants
    assert report.choice_result["votes"] == dict(zip(labels, firsts, strict=True))
    assert report.choice_result["tied_first"] == tied
    for group, values in report.breakdown.items():  # every breakdown adds up the same way
        voted = sum(n for _value, counts in values for label, n in counts.items() if label != "未投票")
        assert voted == len(rankings), group


def test_the_result_page_and_the_api_show_first_choices_and_the_pairwise_table(
        client, session, make_vote, residents, proposals, secretary, login, api_token):
    vote = make_vote(kind="ranked", option_proposal_ids=[p.id for p in proposals])
    a, b, c = (o.key for o in vote.options)
    cast_ballot(session, residents["wang"], vote, [[a, b], c])
    cast_ballot(session, residents["li"], vote, [b, a, c])
    cast_ballot(session, residents["zhao"], vote, [[a, b, c]])
    close_vote(session, secretary, vote)
    session.commit()

    login("wangayi")
    page = client.get(f"/votes/{vote.id}/result").get_data(as_text=True)
    assert "第一选择" in page and "并列第一" in page
    assert 'class="pairwise"' in page and "两两比较" in page

    result = client.get(f"/api/v1/votes/{vote.id}/result", headers=api_token("wangayi")).get_json()
    counts = dict(result["tally_rows"])
    assert counts == {"方案一：原址改造": 0, "方案二：并入车棚": 1, "方案三：暂缓": 0, "并列第一": 2}
    assert sum(counts.values()) == result["participants"] == 3
    pairwise = result["choice_result"]["pairwise"]
    assert pairwise["方案二：并入车棚"]["方案一：原址改造"] == 1
    assert pairwise["方案一：原址改造"]["方案三：暂缓"] == 2
    assert result["choice_result"]["tied_first"] == 2
