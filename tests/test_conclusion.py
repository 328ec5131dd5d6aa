"""The overall conclusion of a consultation, decided in one place (deliberation.conclusion), as a table."""

from __future__ import annotations

import pytest

from deliberation.conclusion import Outcome, conclude

ONE_YES = Outcome("方案一", agreed=True)
TWO_YES = Outcome("方案二", agreed=True)
ONE_NO = Outcome("方案一", agreed=False)
TWO_NO = Outcome("方案二", agreed=False)
RANKED_TWO = Outcome("方案一、方案二", winners=("方案二",), ranked=True)
SINGLE_TWO = Outcome("方案一、方案二", winners=("方案二",))
RANKED_TIE = Outcome("方案一、方案二", winners=("方案一", "方案二"), ranked=True)
NOBODY = Outcome("方案一、方案二")
OPEN = Outcome("方案三", agreed=True, final=False)
POSTED = Outcome("方案三", agreed=True, final=False, preliminary=True)
ADVISORY_NO = Outcome("方案一", agreed=False, advisory=True)


@pytest.mark.parametrize(("outcomes", "text", "consensus"), [
    pytest.param([], "", False, id="nothing_put_to_a_vote"),
    pytest.param([ONE_YES], "达成共识", True, id="the_one_proposal_agreed"),
    pytest.param([ONE_YES, TWO_YES], "达成共识", True, id="every_proposal_agreed"),
    pytest.param([ONE_NO], "未达成共识", False, id="the_one_proposal_failed"),
    pytest.param([ONE_NO, TWO_NO], "未达成共识", False, id="every_proposal_failed"),
    pytest.param([ONE_YES, TWO_NO], "方案一获同意；方案二未获通过", False, id="mixed_listed_per_vote"),
    pytest.param([ONE_YES, RANKED_TWO], "方案一获同意；排序表决选定方案二", False,
                 id="an_agreement_and_a_ranked_choice_are_no_consensus"),
    pytest.param([RANKED_TWO], "排序表决选定方案二", False, id="a_ranked_choice_alone_is_a_choice"),
    pytest.param([SINGLE_TWO], "表决选定方案二", False, id="a_plurality_choice_is_a_choice"),
    pytest.param([RANKED_TIE], "排序表决并列：方案一、方案二，未能选出", False, id="a_tie_is_said_as_a_tie"),
    pytest.param([NOBODY], "表决未能选出（方案一、方案二）", False, id="a_choice_without_a_winner"),
    pytest.param([ONE_YES, OPEN], "表决尚未全部结束", False, id="an_open_vote_makes_it_wait"),
    pytest.param([ONE_YES, POSTED], "表决结果公示中，尚未公告", False, id="a_preliminary_result_makes_it_wait"),
    pytest.param([POSTED, OPEN], "表决尚未全部结束", False, id="an_open_vote_beside_a_preliminary_one"),
    pytest.param([ONE_YES, ADVISORY_NO], "达成共识", True, id="an_advisory_vote_does_not_count"),
    pytest.param([ADVISORY_NO], "", False, id="only_advisory_votes_conclude_nothing"),
])
def test_the_conclusion(outcomes, text, consensus):
    found = conclude(outcomes)
    assert (found.text, found.consensus) == (text, consensus)


def test_the_conclusion_is_worded_by_the_translator_given():
    english = {"达成共识": "Consensus reached", "%(subject)s获同意": "%(subject)s agreed",
               "%(how)s选定%(winner)s": "%(how)s chose %(winner)s", "排序表决": "the ranked vote"}

    def words(text, **values):
        return english.get(text, text) % values if values else english.get(text, text)

    assert conclude([ONE_YES], words=words).text == "Consensus reached"
    assert conclude([ONE_YES, RANKED_TWO], words=words).text == "方案一 agreed；the ranked vote chose 方案二"
