"""The rules word their names, checks and verdicts through a translator passed in: Chinese by default
(DESIGN §3), English through the catalogue; the outcome and the figures never depend on the wording."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext

from deliberation import rules
from deliberation.rules import PRESETS, Rule, Tally, Voter, decide, tally

CJK = re.compile(r"[\u3400-\u9fff]")

ELECTORATE = [Voter(f"p{n}", area=f"{80 + n}.50", groups={"age": ("18-34", "60+")[n % 2]}) for n in range(9)]

# (ballots by voter number, what the tally looks like) — passing, failing, nobody, an empty roll.
TALLIES = {
    "most_agree": tally(ELECTORATE, {f"p{n}": "agree" for n in range(8)} | {"p8": "disagree"}),
    "split": tally(ELECTORATE, {"p0": "agree", "p1": "disagree", "p2": "disagree", "p3": "abstain"}),
    "nobody_voted": tally(ELECTORATE, {}),
    "empty_roll": tally([], {}),
}
RULES = [Rule(name) for name in PRESETS] + [Rule.preset("quorum_majority", quorum="3/5"),
                                             Rule.preset("cross_group_majority", group="building")]


def _texts(decision: rules.Decision) -> list[str]:
    return [decision.summary, decision.rule.label_in(decision.words), decision.rule.describe(decision.words),
            *(text for check in decision.checks for text in (check.label, check.subject, check.explanation))]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: f"{rule.name}-{'-'.join(map(str, rule.params.values()))}")
@pytest.mark.parametrize("figures", TALLIES, ids=str)
def test_english_wording_changes_words_only(app, rule, figures):
    chinese = decide(rule, TALLIES[figures])
    with app.test_request_context(), force_locale("en"):
        english = decide(rule, TALLIES[figures], words=gettext)
        texts = _texts(english)
        as_dict = english.as_dict()
    def figures_of(decision):
        return [(c.name, c.required, c.actual, c.passed, c.op, c.numerator, c.denominator, c.unit)
                for c in decision.checks]

    assert (english.rule, english.agreed, english.tally) == (chinese.rule, chinese.agreed, chinese.tally)
    assert figures_of(english) == figures_of(chinese)
    assert [c.required_text for c in english.checks] == [c.required_text for c in chinese.checks]
    untranslated = [text for text in texts if CJK.search(text)]
    assert not untranslated, untranslated
    assert not CJK.search(as_dict["rule_label"]) and not CJK.search(as_dict["summary"])
    assert as_dict["tally"] == chinese.as_dict()["tally"]


@pytest.mark.parametrize(("rule", "figures", "summary"), [
    pytest.param("simple_majority", "most_agree", "通过：同意8票，多于反对1票。", id="passed"),
    pytest.param("absolute_majority", "split", "未通过：同意人数占全体表决权人数的11.11%，未过半数。", id="failed"),
    pytest.param("civil_code_major", "nobody_voted", "未通过：无人参与表决。", id="nobody"),
    pytest.param("quorum_majority", "empty_roll", "未通过：表决权人名册为空，无法形成决定。", id="empty_roll"),
])
def test_chinese_is_the_default_and_the_same_through_the_chinese_catalogue(app, rule, figures, summary):
    assert decide(rule, TALLIES[figures]).summary == summary
    assert decide(rule, TALLIES[figures], words=rules.chinese).summary == summary
    with app.test_request_context(), force_locale("zh_Hans"):
        assert decide(rule, TALLIES[figures], words=gettext).summary == summary


@pytest.mark.parametrize(("rule", "figures", "english"), [
    pytest.param("simple_majority", "most_agree", "Passed: 8 agree, more than 1 disagree.", id="passed"),
    pytest.param("absolute_majority", "split",
                 "Not passed: Voters agreeing as a share of all entitled voters: 11.11%, not more than half.",
                 id="failed"),
    pytest.param(Rule.preset("quorum_majority", quorum="3/5"), "split",
                 "Not passed: Voters taking part as a share of all entitled voters: 44.44%, short of 3/5; "
                 "Agree votes as a share of agree and disagree votes: 33.33%, not more than half.",
                 id="quorum_in_digits"),
    pytest.param("civil_code_major", "nobody_voted", "Not passed: nobody took part.", id="nobody"),
])
def test_english_summaries_read_as_sentences(app, rule, figures, english):
    with app.test_request_context(), force_locale("en"):
        assert decide(rule, TALLIES[figures], words=gettext).summary == english


def test_a_quorum_is_said_in_chinese_numerals_by_default():
    rule = Rule.preset("quorum_majority", quorum="3/5")
    assert "五分之三以上" in rule.describe()
    assert rule.label == "法定人数+多数" == rule.label_in(rules.chinese)


def test_a_translator_that_is_not_callable_is_refused():
    with pytest.raises(ValueError, match="words"):
        decide("simple_majority", Tally.from_counts(electorate_count=1, counts={}), words="en")
