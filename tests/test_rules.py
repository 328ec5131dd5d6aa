"""The decision rules: every preset at its boundaries, the errors, variant counting, and properties."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliberation.rules import (
    CHOICES,
    PRESETS,
    Check,
    Count,
    GroupCount,
    Rule,
    Tally,
    Voter,
    count_approval,
    count_single,
    decide,
    schulze,
    tally,
)

# Hypothesis must not write a database into the project directory; the runs stay deterministic in size.
PROPERTY = settings(max_examples=300, deadline=None, database=None)


def electorate_of(*areas: str, groups: list[dict[str, str]] | None = None) -> list[Voter]:
    """Voters "p1", "p2", … with the given areas (and groups, one dict per voter)."""
    groups = groups or [{} for _ in areas]
    return [
        Voter(f"p{i}", area=area, groups=g) for i, (area, g) in enumerate(zip(areas, groups, strict=True), 1)
    ]


def ballots_of(agree: str = "", disagree: str = "", abstain: str = "") -> dict[str, str]:
    """Ballots from voter numbers: ``ballots_of(agree="1 2", disagree="3")``."""
    ballots = {}
    for choice, numbers in (("agree", agree), ("disagree", disagree), ("abstain", abstain)):
        ballots.update({f"p{n}": choice for n in numbers.split()})
    return ballots


def headcount_electorate(size: int) -> list[Voter]:
    return [Voter(f"p{i}") for i in range(1, size + 1)]


def numbers(first: int, last: int) -> str:
    return " ".join(str(n) for n in range(first, last + 1))


# --------------------------------------------------------------------------------------------------
# The presets at their boundaries
# --------------------------------------------------------------------------------------------------

SIMPLE_MAJORITY_CASES = [
    pytest.param(3, 2, 0, True, id="three_against_two_passes"),
    pytest.param(2, 2, 0, False, id="a_tie_fails"),
    pytest.param(2, 3, 0, False, id="fewer_agree_fails"),
    pytest.param(1, 0, 10, True, id="abstentions_are_not_counted"),
    pytest.param(0, 0, 5, False, id="only_abstentions_fail_because_nobody_agreed"),
    pytest.param(0, 0, 0, False, id="no_ballots_fail"),
]


@pytest.mark.parametrize(("agree", "disagree", "abstain", "agreed"), SIMPLE_MAJORITY_CASES)
def test_simple_majority_needs_more_agree_than_disagree_and_at_least_one_agree(
    agree, disagree, abstain, agreed
):
    t = Tally.from_counts(
        electorate_count=20, counts={"agree": agree, "disagree": disagree, "abstain": abstain}
    )
    decision = decide("simple_majority", t)
    assert decision.agreed is agreed
    assert [check.name for check in decision.checks] == ["majority"]


TWO_THIRDS_CASES = [
    pytest.param(2, 1, 0, True, id="exactly_two_thirds_passes"),
    pytest.param(200, 100, 0, True, id="exactly_two_thirds_of_300_passes"),
    pytest.param(199, 101, 0, False, id="one_vote_short_of_two_thirds_fails"),
    pytest.param(2, 1, 50, True, id="abstentions_are_not_counted"),
    pytest.param(0, 0, 3, False, id="only_abstentions_fail"),
    pytest.param(1, 0, 0, True, id="a_single_agree_passes"),
]


@pytest.mark.parametrize(("agree", "disagree", "abstain", "agreed"), TWO_THIRDS_CASES)
def test_two_thirds_counts_exactly_two_thirds_of_agree_and_disagree_as_enough(
    agree, disagree, abstain, agreed
):
    t = Tally.from_counts(
        electorate_count=400, counts={"agree": agree, "disagree": disagree, "abstain": abstain}
    )
    decision = decide("two_thirds", t)
    assert decision.agreed is agreed
    assert [check.name for check in decision.checks] == ["supermajority"]


ABSOLUTE_MAJORITY_CASES = [
    pytest.param(10, 6, True, id="six_of_ten_passes"),
    pytest.param(10, 5, False, id="exactly_half_of_ten_fails"),
    pytest.param(9, 5, True, id="five_of_nine_passes"),
    pytest.param(9, 4, False, id="four_of_nine_fails"),
    pytest.param(1, 1, True, id="one_of_one_passes"),
]


@pytest.mark.parametrize(("electorate", "agree", "agreed"), ABSOLUTE_MAJORITY_CASES)
def test_absolute_majority_needs_more_than_half_of_the_whole_electorate(electorate, agree, agreed):
    t = tally(headcount_electorate(electorate), ballots_of(agree=numbers(1, agree)))
    decision = decide("absolute_majority", t)
    assert decision.agreed is agreed
    assert [check.name for check in decision.checks] == ["absolute_majority"]


def test_absolute_majority_ignores_that_the_others_did_not_vote_against():
    t = tally(headcount_electorate(10), ballots_of(agree="1 2 3 4 5"))
    decision = decide("absolute_majority", t)
    assert not decision.agreed
    assert decision.summary == "未通过：同意人数占全体表决权人数的50.00%，未过半数。"


QUORUM_CASES = [
    pytest.param({}, "1 2 3", "4 5", "", True, id="exactly_half_take_part_passes"),
    pytest.param({}, "1 2 3", "4", "", False, id="one_below_half_fails_the_quorum"),
    pytest.param({}, "1 2", "3 4", "5", False, id="quorum_met_but_a_tie_fails"),
    pytest.param({}, "1 2", "3", "4 5", True, id="abstentions_count_towards_the_quorum"),
    pytest.param({"quorum": "3/5"}, "1 2 3 4", "5 6", "", True, id="exactly_three_fifths_passes"),
    pytest.param({"quorum": "3/5"}, "1 2 3 4", "5", "", False, id="one_below_three_fifths_fails"),
    pytest.param({"quorum": Fraction(1)}, "1 2 3 4 5 6 7 8 9", "10", "", True, id="everyone_for_quorum_one"),
    pytest.param({"quorum": 1}, "1 2 3 4 5 6 7 8 9", "", "", False, id="one_missing_for_quorum_one"),
]


@pytest.mark.parametrize(("params", "agree", "disagree", "abstain", "agreed"), QUORUM_CASES)
def test_quorum_majority_counts_an_exact_quorum_as_enough(params, agree, disagree, abstain, agreed):
    t = tally(headcount_electorate(10), ballots_of(agree, disagree, abstain))
    decision = decide(Rule.preset("quorum_majority", **params), t)
    assert decision.agreed is agreed
    assert [check.name for check in decision.checks] == ["quorum", "majority"]


# Civil code: areas in m², one voter per owner. Each case: areas, ballots, expected passed per check
# (participation_area, participation_headcount, approval_area, approval_headcount).
CIVIL_CODE_ORDINARY_CASES = [
    pytest.param(
        ("100.00", "100.00", "100.00"),
        ballots_of(agree="1 2"),
        (True, True, True, True),
        id="participation_exactly_two_thirds_of_area_and_owners_passes",
    ),
    pytest.param(
        ("99.00", "100.00", "101.00"),
        ballots_of(agree="1 2"),
        (False, True, True, True),
        id="participation_one_square_metre_short_of_two_thirds_fails",
    ),
    pytest.param(
        ("99.99", "100.00", "100.01"),
        ballots_of(agree="1 2"),
        (False, True, True, True),
        id="participation_one_hundredth_of_a_square_metre_short_fails",
    ),
    pytest.param(
        ("100.00", "100.00", "100.00", "100.00", "100.00", "100.00"),
        ballots_of(agree="1 2 3 4"),
        (True, True, True, True),
        id="four_of_six_owners_is_exactly_two_thirds",
    ),
    pytest.param(
        ("500.00", "500.00", "500.00", "10.00", "10.00", "10.00"),
        ballots_of(agree="1 2 3"),
        (True, False, True, True),
        id="three_of_six_owners_fails_even_with_most_of_the_area",
    ),
    pytest.param(
        ("50.00", "50.00", "50.00", "150.00"),
        ballots_of(agree="1 2 3", disagree="4"),
        (True, True, False, True),
        id="agree_holding_exactly_half_of_the_area_fails",
    ),
    pytest.param(
        ("50.00", "50.00", "50.01", "150.00"),
        ballots_of(agree="1 2 3", disagree="4"),
        (True, True, True, True),
        id="agree_holding_a_hundredth_more_than_half_passes",
    ),
    pytest.param(
        ("100.00", "100.00", "50.00", "50.00"),
        ballots_of(agree="1 2", disagree="3 4"),
        (True, True, True, False),
        id="agree_being_exactly_half_of_the_participants_fails",
    ),
    pytest.param(
        ("100.00", "100.00", "50.00", "50.00"),
        ballots_of(agree="1 2", disagree="3", abstain="4"),
        (True, True, True, False),
        id="abstaining_owners_count_as_participants",
    ),
]


@pytest.mark.parametrize(("areas", "ballots", "expected"), CIVIL_CODE_ORDINARY_CASES)
def test_civil_code_ordinary_checks_each_threshold_exactly(areas, ballots, expected):
    decision = decide("civil_code_ordinary", tally(electorate_of(*areas), ballots))
    assert [check.name for check in decision.checks] == [
        "participation_area",
        "participation_headcount",
        "approval_area",
        "approval_headcount",
    ]
    assert tuple(check.passed for check in decision.checks) == expected
    assert decision.agreed is all(expected)


def test_civil_code_ordinary_counts_exactly_two_thirds_as_enough():
    decision = decide(
        "civil_code_ordinary", tally(electorate_of("100", "100", "100"), ballots_of(agree="1 2"))
    )
    assert decision.agreed
    assert decision.checks[0].actual == Fraction(2, 3)
    assert decision.checks[1].actual == Fraction(2, 3)
    assert decision.summary == "通过：参与表决的面积和人数均达到三分之二以上，同意的面积和人数均过半数。"


def test_civil_code_ordinary_names_the_failing_area_share_in_its_summary():
    t = tally(electorate_of("241.00", "241.00", "518.00"), ballots_of(agree="1 2", disagree="3"))
    decision = decide("civil_code_ordinary", t)
    assert not decision.agreed
    assert decision.summary == "未通过：同意的专有面积占参与表决面积的48.20%，未过半数。"


CIVIL_CODE_MAJOR_CASES = [
    pytest.param(
        ("100.00", "100.00", "100.00", "100.00"),
        ballots_of(agree="1 2 3", disagree="4"),
        (True, True, True, True),
        id="agree_exactly_three_quarters_of_area_and_participants_passes",
    ),
    pytest.param(
        ("100.00", "100.00", "99.99", "100.01"),
        ballots_of(agree="1 2 3", disagree="4"),
        (True, True, False, True),
        id="agree_a_hundredth_of_a_square_metre_short_of_three_quarters_fails",
    ),
    pytest.param(
        ("100.00", "100.00", "100.00", "10.00", "10.00"),
        ballots_of(agree="1 2 3", disagree="4 5"),
        (True, True, True, False),
        id="three_of_five_owners_is_short_of_three_quarters",
    ),
    pytest.param(
        ("100.00", "100.00", "99.00", "101.00"),
        ballots_of(agree="1 2 3 4"),
        (True, True, True, True),
        id="unanimous_passes",
    ),
    pytest.param(
        ("100.00", "100.00", "100.00", "301.00"),
        ballots_of(agree="1 2 3"),
        (False, True, True, True),
        id="same_participation_rule_as_ordinary",
    ),
]


@pytest.mark.parametrize(("areas", "ballots", "expected"), CIVIL_CODE_MAJOR_CASES)
def test_civil_code_major_counts_exactly_three_quarters_as_enough(areas, ballots, expected):
    decision = decide("civil_code_major", tally(electorate_of(*areas), ballots))
    assert tuple(check.passed for check in decision.checks) == expected
    assert decision.agreed is all(expected)


def test_civil_code_major_reports_its_own_pass_sentence():
    decision = decide("civil_code_major", tally(electorate_of("1", "1", "1", "1"), ballots_of(agree="1 2 3")))
    assert (
        decision.summary
        == "通过：参与表决的面积和人数均达到三分之二以上，同意的面积和人数均达到四分之三以上。"
    )


def test_an_owner_of_several_units_counts_once_with_the_sum_of_the_areas():
    # The caller's way: ownership rows (owner, unit area) summed per owner, one Voter per owner.
    ownerships = [("wang", "90.50"), ("wang", "45.25"), ("li", "120.00"), ("zhao", "60.00")]
    areas: dict[str, Decimal] = defaultdict(Decimal)
    for owner, area in ownerships:
        areas[owner] += Decimal(area)
    owners = [Voter(owner, area=area) for owner, area in areas.items()]

    t = tally(owners, {"wang": "agree", "li": "agree"})

    assert t.electorate == Count(3, Decimal("315.75"))
    assert t.agree == Count(2, Decimal("255.75"))
    assert decide("civil_code_ordinary", t).agreed


def test_an_owner_listed_once_per_unit_is_refused_as_a_duplicate():
    with pytest.raises(ValueError, match="重复"):
        tally([Voter("wang", area="90.50"), Voter("wang", area="45.25")], {})


AGES = [{"age": "60+"}, {"age": "60+"}, {"age": "18-59"}, {"age": "18-59"}, {"age": "18-59"}]
CROSS_GROUP_CASES = [
    pytest.param(ballots_of(agree="1 3 4", disagree="5"), True, id="agree_wins_in_every_group"),
    pytest.param(ballots_of(agree="3 4 5"), False, id="a_group_where_nobody_voted_fails"),
    pytest.param(ballots_of(agree="3 4 5", abstain="1 2"), False, id="a_group_that_only_abstained_fails"),
    pytest.param(ballots_of(agree="1 3 4", disagree="2"), False, id="a_tie_inside_a_group_fails"),
    pytest.param(ballots_of(agree="1 2 3", disagree="4 5"), False, id="losing_inside_a_group_fails"),
    pytest.param(
        ballots_of(agree="1", abstain="2 3 4", disagree=""), False, id="a_group_without_agree_fails"
    ),
]


@pytest.mark.parametrize(("ballots", "agreed"), CROSS_GROUP_CASES)
def test_cross_group_majority_needs_agree_to_win_inside_every_group(ballots, agreed):
    decision = decide(
        "cross_group_majority", tally(electorate_of("0", "0", "0", "0", "0", groups=AGES), ballots)
    )
    assert decision.agreed is agreed
    # Group values come in natural order, after the overall majority.
    assert [check.name for check in decision.checks] == ["majority", "group:18-59", "group:60+"]


def test_cross_group_majority_says_which_group_did_not_vote():
    t = tally(electorate_of("0", "0", "0", "0", "0", groups=AGES), ballots_of(agree="3 4 5"))
    decision = decide("cross_group_majority", t)
    assert decision.summary == "未通过：年龄段“60+”群体中没有人投同意或反对票。"


def test_cross_group_majority_can_group_by_building_in_natural_order():
    groups = [{"building": "12号"}, {"building": "3号"}, {"building": "3号"}]
    t = tally(electorate_of("0", "0", "0", groups=groups), ballots_of(agree="1 2"))
    decision = decide(Rule.preset("cross_group_majority", group="building"), t)
    assert [check.name for check in decision.checks] == ["majority", "group:3号", "group:12号"]
    assert decision.agreed


def test_cross_group_majority_fails_when_nobody_has_the_group():
    t = tally(electorate_of("0", "0"), ballots_of(agree="1 2"))
    decision = decide("cross_group_majority", t)
    assert not decision.agreed
    assert [check.name for check in decision.checks] == ["majority", "groups_present"]
    assert decision.summary == "未通过：名册中没有按“年龄段”分组的信息，无法逐群体核对。"


# --------------------------------------------------------------------------------------------------
# Edge cases: empty electorate, nobody voting, no area
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PRESETS)
def test_an_empty_electorate_fails_every_preset_gracefully(name):
    decision = decide(name, tally([], {}))
    assert not decision.agreed
    assert decision.summary == "未通过：表决权人名册为空，无法形成决定。"
    assert all(not check.passed for check in decision.checks)


@pytest.mark.parametrize("name", PRESETS)
def test_nobody_voting_fails_every_preset_and_says_so(name):
    decision = decide(name, tally(electorate_of("10", "20", groups=[{"age": "60+"}, {"age": "60+"}]), {}))
    assert not decision.agreed
    assert decision.summary == "未通过：无人参与表决。"


def test_zero_total_area_fails_the_civil_code_without_dividing_by_zero():
    decision = decide("civil_code_ordinary", tally(electorate_of("0", "0", "0"), ballots_of(agree="1 2 3")))
    assert not decision.agreed
    area = decision.checks[0]
    assert (area.name, area.passed, area.actual) == ("participation_area", False, 0)
    assert area.actual_text == "—（0.00 / 0.00 m²）"
    assert decision.summary == "未通过：名册中的专有面积合计为0；参与表决的专有面积合计为0。"


# --------------------------------------------------------------------------------------------------
# Checks, rules and decisions as the UI shows them
# --------------------------------------------------------------------------------------------------


def test_a_check_renders_a_row_of_required_actual_and_passed():
    decision = decide(
        "civil_code_ordinary", tally(electorate_of("100", "100", "100"), ballots_of(agree="1 2"))
    )
    area, headcount, approval_area, _ = decision.checks
    assert area.label == "参与表决的专有面积"
    assert area.required == Fraction(2, 3)
    assert area.required_text == "≥ 2/3（66.67%）"
    assert area.actual_text == "66.67%（200.00 / 300.00 m²）"
    assert headcount.actual_text == "66.67%（2 / 3）"
    assert approval_area.required_text == "> 1/2（50%）"
    assert area.explanation == "参与表决的专有面积占总面积的66.67%，达到三分之二以上"


def test_a_displayed_percentage_never_contradicts_the_verdict():
    # 6666/10000 would round to 66.67% and look like it meets "≥ 66.67%": it is shown as 66.66%.
    t = Tally.from_counts(electorate_count=10000, counts={"agree": 6666})
    quorum = decide(Rule.preset("quorum_majority", quorum="2/3"), t).checks[0]
    assert not quorum.passed
    assert quorum.actual_percent == "66.66%"
    assert quorum.explanation == "参与表决的人数占全体表决权人数的66.66%，未达到三分之二"


def test_a_check_built_by_hand_gets_its_chinese_label():
    check = Check("approval_headcount", Fraction(1, 2), Fraction(3, 5), True, ">", 3, 5)
    assert check.label == "同意的业主人数"
    assert check.actual_text == "60.00%（3 / 5）"


DESCRIPTIONS = [
    ("simple_majority", {}, "需同意票多于反对票（弃权不计），且至少有一票同意"),
    ("two_thirds", {}, "需同意票达到同意与反对票之和的三分之二以上（弃权不计），且至少有一票同意"),
    ("absolute_majority", {}, "需同意的人数超过全体表决权人数的半数（弃权和未投票都不算同意）"),
    ("quorum_majority", {}, "需参与表决的人数达到全体表决权人数的半数以上，且同意票多于反对票（弃权不计）"),
    (
        "quorum_majority",
        {"quorum": "3/5"},
        "需参与表决的人数达到全体表决权人数的五分之三以上，且同意票多于反对票（弃权不计）",
    ),
    (
        "civil_code_ordinary",
        {},
        "需参与表决的业主专有面积和人数均达到三分之二以上，且同意的面积和人数均过半数",
    ),
    (
        "civil_code_major",
        {},
        "需参与表决的业主专有面积和人数均达到三分之二以上，且同意的面积和人数均达到四分之三以上",
    ),
    (
        "cross_group_majority",
        {},
        "需同意票多于反对票，且按“年龄段”划分的每个群体中同意票都多于反对票"
        "（弃权不计；任一群体无人投同意或反对票即不通过）",
    ),
]


@pytest.mark.parametrize(("name", "params", "sentence"), DESCRIPTIONS)
def test_each_rule_describes_what_it_takes_to_pass_in_plain_chinese(name, params, sentence):
    assert Rule.preset(name, **params).describe() == sentence


def test_presets_are_listed_in_a_stable_order_with_short_chinese_labels():
    assert PRESETS == (
        "simple_majority",
        "two_thirds",
        "absolute_majority",
        "quorum_majority",
        "civil_code_ordinary",
        "civil_code_major",
        "cross_group_majority",
    )
    assert [Rule.preset(name).label for name in PRESETS] == [
        "简单多数",
        "三分之二多数",
        "绝对多数",
        "法定人数+多数",
        "民法典一般事项（第278条）",
        "民法典重大事项（第278条）",
        "各群体均过半数",
    ]


def test_a_rule_fills_in_default_parameters_and_reads_fractions_exactly():
    assert Rule.preset("quorum_majority").params == {"quorum": Fraction(1, 2)}
    assert Rule.preset("quorum_majority", quorum="3/5") == Rule.preset(
        "quorum_majority", quorum=Fraction(3, 5)
    )
    assert Rule.preset("quorum_majority", quorum="0.6") == Rule("quorum_majority", {"quorum": Decimal("0.6")})
    assert Rule.preset("cross_group_majority").params == {"group": "age"}
    assert hash(Rule.preset("quorum_majority")) == hash(Rule("quorum_majority"))


def test_a_rule_survives_a_round_trip_through_json():
    rule = Rule.preset("quorum_majority", quorum="3/5")
    stored = json.loads(json.dumps(rule.as_dict()))
    assert stored == {"name": "quorum_majority", "params": {"quorum": "3/5"}}
    assert Rule.from_dict(stored) == rule


def test_decide_accepts_a_preset_name_or_a_rule():
    t = tally(headcount_electorate(3), ballots_of(agree="1 2"))
    assert decide("simple_majority", t) == decide(Rule.preset("simple_majority"), t)


def test_a_decision_is_stored_as_json():
    t = tally(electorate_of("90.50", "45.25", "60"), ballots_of(agree="1 2", abstain="3"))
    stored = json.loads(json.dumps(decide("civil_code_ordinary", t).as_dict(), ensure_ascii=False))
    assert stored["agreed"] is True
    assert stored["rule_label"] == "民法典一般事项（第278条）"
    assert stored["checks"][0]["required"] == "2/3"
    assert stored["tally"]["agree"] == {"headcount": 2, "area": "135.75"}


def test_a_tally_survives_a_round_trip_through_json():
    groups = [{"age": "60+"}, {"age": "18-59"}, {}]
    t = tally(electorate_of("90.50", "45.25", "60", groups=groups), ballots_of(agree="1", disagree="3"))
    assert Tally.from_dict(json.loads(json.dumps(t.as_dict()))) == t


def test_a_voter_is_hashable_and_its_groups_read_like_a_dict():
    voter = Voter("p1", area="90.5", groups={"building": "12号", "age": "60+"})
    assert voter.area == Decimal("90.50")
    assert voter.groups["age"] == "60+"
    assert voter.groups == {"age": "60+", "building": "12号"}
    assert hash(voter) == hash(Voter("p1", area=Decimal("90.50"), groups={"age": "60+", "building": "12号"}))
    with pytest.raises(TypeError):
        voter.groups["age"] = "18-59"  # type: ignore[index]


def test_a_voter_accepts_str_int_and_decimal_areas():
    assert Voter("a", area=90).area == Decimal("90.00")
    assert Voter("a", area=" 90.5 ").area == Decimal("90.50")
    assert Voter("a", area=Decimal("90.500")).area == Decimal("90.50")
    assert Voter("a").area == Decimal("0.00")


# --------------------------------------------------------------------------------------------------
# Every ValueError
# --------------------------------------------------------------------------------------------------


def test_a_ballot_from_outside_the_electorate_is_refused():
    with pytest.raises(ValueError, match="名册之外.*'stranger'"):
        tally(headcount_electorate(2), {"p1": "agree", "stranger": "agree"})


@pytest.mark.parametrize("choice", ["yes", "Agree", "同意", "", None, 1])
def test_an_unknown_choice_is_refused(choice):
    with pytest.raises(ValueError, match="选项未知"):
        tally(headcount_electorate(2), {"p1": choice})


def test_a_duplicate_voter_id_is_refused():
    with pytest.raises(ValueError, match="重复.*'p1'"):
        tally([Voter("p1"), Voter("p2"), Voter("p1")], {})


@pytest.mark.parametrize(
    "make",
    [
        lambda: Rule.preset("majority"),
        lambda: Rule("unanimity"),
        lambda: decide("supermajority", tally([], {})),
    ],
)
def test_an_unknown_preset_is_refused(make):
    with pytest.raises(ValueError, match="未知的表决规则"):
        make()


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("simple_majority", {"quorum": "1/2"}),
        ("quorum_majority", {"group": "age"}),
        ("cross_group_majority", {"quorum": "1/2"}),
        ("civil_code_major", {"threshold": "3/4"}),
    ],
)
def test_an_unknown_parameter_is_refused(name, params):
    with pytest.raises(ValueError, match="不接受参数"):
        Rule.preset(name, **params)


@pytest.mark.parametrize("quorum", ["0", "0/5", "6/5", "-1/2", "abc", "1/0", 0.5, True, None, Decimal("NaN")])
def test_a_quorum_outside_zero_to_one_or_not_exact_is_refused(quorum):
    with pytest.raises(ValueError, match="quorum"):
        Rule.preset("quorum_majority", quorum=quorum)


@pytest.mark.parametrize("group", ["", None, 3])
def test_a_group_key_must_be_a_non_empty_string(group):
    with pytest.raises(ValueError, match="分组键"):
        Rule.preset("cross_group_majority", group=group)


@pytest.mark.parametrize(
    ("area", "message"),
    [
        ("-1", "负数"),
        ("90.505", "两位小数"),
        (90.5, "float"),
        ("NaN", "有限"),
        ("Infinity", "有限"),
        ("abc", "不是数字"),
        (True, "bool"),
        (None, "NoneType"),
    ],
)
def test_an_invalid_area_is_refused(area, message):
    with pytest.raises(ValueError, match=message):
        Voter("p1", area=area)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"id": ""},
        {"id": 7},
        {"id": "p1", "household": 12},
        {"id": "p1", "groups": {"age": 60}},
        {"id": "p1", "groups": {"": "x"}},
        {"id": "p1", "groups": [("age", "60+")]},
    ],
)
def test_an_invalid_voter_is_refused(kwargs):
    with pytest.raises(ValueError):
        Voter(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"electorate_count": 2, "counts": {"agree": 2, "disagree": 1}},
        {"electorate_count": 2, "electorate_area": "10", "counts": {"agree": (1, "10.01")}},
        {"electorate_count": 2, "counts": {"yes": 1}},
        {"electorate_count": -1, "counts": {}},
        {"electorate_count": 2, "counts": {"agree": (1, "1", "2")}},
        {"electorate_count": 2, "counts": {"agree": (1, 0.5)}},
        {
            "electorate_count": 3,
            "counts": {"agree": 2},
            "groups": {"age": {"60+": {"electorate": 1, "agree": 2}}},
        },
        {
            "electorate_count": 3,
            "counts": {"agree": 1},
            "groups": {"age": {"60+": {"electorate": 2, "agree": 2}}},
        },
        {
            "electorate_count": 3,
            "counts": {},
            "groups": {"age": {"60+": {"electorate": 2}, "18-59": {"electorate": 2}}},
        },
        {"electorate_count": 3, "counts": {}, "groups": {"age": {"60+": {"agree": 0}}}},
        {"electorate_count": 3, "counts": {}, "groups": {"age": {"60+": {"electorate": 1, "yes": 1}}}},
    ],
)
def test_inconsistent_pre_aggregated_counts_are_refused(kwargs):
    with pytest.raises(ValueError):
        Tally.from_counts(**kwargs)


def test_decide_refuses_something_that_is_not_a_tally_or_a_rule():
    with pytest.raises(ValueError):
        decide("simple_majority", {"agree": 3})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        decide(42, tally([], {}))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "call",
    [
        lambda: count_single(["A", "B"], ["A", "C"]),
        lambda: count_approval(["A", "B"], [{"A"}, {"B", "C"}]),
        lambda: count_approval(["A", "B"], ["AB"]),
        lambda: schulze(["A", "B"], [["A", "C"]]),
        lambda: schulze(["A", "B"], [["A", ["B", "A"]]]),
        lambda: schulze(["A", "B"], ["AB"]),
        lambda: count_single(["A", "A"], []),
        lambda: count_single([], []),
        lambda: schulze("AB", []),
    ],
)
def test_variant_counts_refuse_unknown_repeated_or_malformed_options(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------------------------------
# Choices between variants
# --------------------------------------------------------------------------------------------------


def test_single_choice_orders_results_and_names_the_winner():
    result = count_single(["A", "B", "C"], ["B", "A", "B", None, "C", "B"])
    assert [(r.option, r.votes) for r in result.results] == [("B", 3), ("A", 1), ("C", 1)]
    assert result.winners == ["B"]
    assert result.ballots == 6
    assert result.results[0].share == Fraction(1, 2)
    assert not result.is_tie


def test_single_choice_reports_a_tie_as_several_winners():
    result = count_single(["A", "B", "C"], {"p1": "C", "p2": "A", "p3": "A", "p4": "C"})
    assert result.winners == ["A", "C"]
    assert result.is_tie


def test_single_choice_without_votes_has_no_winner():
    assert count_single(["A", "B"], []).winners == []
    assert count_single(["A", "B"], [None, None]).winners == []


def test_approval_counts_each_approved_option_once_per_ballot():
    result = count_approval(["A", "B", "C"], [{"A", "B"}, ["B", "B"], set(), ("C", "B")])
    assert result.votes == {"B": 3, "A": 1, "C": 1}
    assert result.winners == ["B"]
    assert result.ballots == 4


def test_approval_reports_a_tie_as_several_winners():
    result = count_approval(["A", "B", "C"], [{"A", "C"}, {"C"}, {"A"}])
    assert result.winners == ["A", "C"]
    assert result.is_tie


WIKIPEDIA_BALLOTS = (
    [["A", "C", "B", "E", "D"]] * 5
    + [["A", "D", "E", "C", "B"]] * 5
    + [["B", "E", "D", "A", "C"]] * 8
    + [["C", "A", "B", "E", "D"]] * 3
    + [["C", "A", "E", "B", "D"]] * 7
    + [["C", "B", "A", "D", "E"]] * 2
    + [["D", "C", "E", "B", "A"]] * 7
    + [["E", "B", "A", "D", "C"]] * 8
)


def test_schulze_finds_e_in_the_wikipedia_example_of_45_voters():
    result = schulze(["A", "B", "C", "D", "E"], WIKIPEDIA_BALLOTS)
    assert result.ballots == 45
    assert result.winners == ["E"]
    assert result.ranking == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert result.pairwise["A"] == {"B": 20, "C": 26, "D": 30, "E": 22}
    assert result.pairwise["D"] == {"A": 15, "B": 12, "C": 28, "E": 14}
    assert result.strongest_paths["E"] == {"A": 25, "B": 28, "C": 28, "D": 31}
    assert result.strongest_paths["A"] == {"B": 28, "C": 28, "D": 30, "E": 24}


def test_schulze_reports_a_cycle_as_a_tie_instead_of_breaking_it():
    result = schulze(["A", "B", "C"], [["A", "B", "C"], ["B", "C", "A"], ["C", "A", "B"]])
    assert result.winners == ["A", "B", "C"]
    assert result.is_tie
    assert result.ranking == [["A", "B", "C"]]


def test_schulze_reports_two_opposite_ballots_as_a_tie():
    result = schulze(["A", "B"], [["A", "B"], ["B", "A"]])
    assert result.winners == ["A", "B"]


def test_schulze_ranks_unlisted_options_below_listed_ones_and_accepts_equal_ranks():
    result = schulze(["A", "B", "C", "D"], [["B", ["A", "C"]], ["B"], [["A", "C"], "D"]])
    assert result.pairwise["B"] == {"A": 2, "C": 2, "D": 2}
    assert result.pairwise["A"] == {"B": 1, "C": 0, "D": 2}
    assert result.winners == ["B"]
    assert result.ranking == [["B"], ["A", "C"], ["D"]]


def test_schulze_without_any_ranking_has_no_winner_but_one_tier():
    result = schulze(["A", "B"], [[], []])
    assert result.winners == []
    assert result.ranking == [["A", "B"]]
    assert schulze(["A"], [["A"]]).winners == ["A"]


# --------------------------------------------------------------------------------------------------
# Pre-aggregated counts
# --------------------------------------------------------------------------------------------------


def aggregate(electorate: list[Voter], ballots: dict[str, str]) -> Tally:
    """What the database does with GROUP BY, written independently of tally()."""
    counts = {choice: [0, Decimal(0)] for choice in CHOICES}
    groups: dict = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(("electorate", *CHOICES), 0)))
    for voter in electorate:
        choice = ballots.get(voter.id)
        if choice:
            counts[choice][0] += 1
            counts[choice][1] += voter.area
        for key, value in voter.groups.items():
            groups[key][value]["electorate"] += 1
            if choice:
                groups[key][value][choice] += 1
    return Tally.from_counts(
        electorate_count=len(electorate),
        electorate_area=sum((voter.area for voter in electorate), Decimal(0)),
        counts={choice: (n, area) for choice, (n, area) in counts.items()},
        groups=groups,
    )


def test_pre_aggregated_counts_give_the_same_decision_as_individual_ballots():
    electorate = electorate_of(
        "90.50",
        "45.25",
        "120.00",
        "60.00",
        "75.75",
        groups=[{"age": "60+"}, {"age": "60+"}, {"age": "18-59"}, {"age": "18-59"}, {}],
    )
    ballots = ballots_of(agree="1 3 5", disagree="4", abstain="2")
    for name in PRESETS:
        assert decide(name, aggregate(electorate, ballots)) == decide(name, tally(electorate, ballots))


def test_pre_aggregated_counts_accept_bare_headcounts_and_missing_choices():
    t = Tally.from_counts(electorate_count=1_000_000, counts={"agree": 600_001, "disagree": 100_000})
    assert t.participants == Count(700_001, Decimal("0.00"))
    decision = decide(Rule.preset("quorum_majority", quorum="7/10"), t)
    assert decision.agreed
    assert decision.checks[0].actual_text == "70.00%（700001 / 1000000）"  # 70.0001% meets "≥ 70%"


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------

AREAS = st.one_of(
    st.sampled_from(["0", "0.01", "50", "99.99", "100", "100.01", "150.50"]),
    st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
)
GROUPS = st.fixed_dictionaries(
    {},
    optional={
        "age": st.sampled_from(["18-39", "40-59", "60+"]),
        "building": st.sampled_from(["3号", "12号"]),
    },
)


@st.composite
def votes(draw, max_voters: int = 10) -> tuple[list[Voter], dict[str, str]]:
    size = draw(st.integers(0, max_voters))
    electorate = [Voter(f"v{i}", area=draw(AREAS), groups=draw(GROUPS)) for i in range(size)]
    if not electorate:
        return electorate, {}
    ballots = draw(
        st.dictionaries(st.sampled_from([voter.id for voter in electorate]), st.sampled_from(CHOICES))
    )
    return electorate, ballots


RULES = st.one_of(
    st.sampled_from(PRESETS).map(Rule.preset),
    st.fractions(min_value=Fraction(1, 12), max_value=1, max_denominator=12).map(
        lambda quorum: Rule.preset("quorum_majority", quorum=quorum)
    ),
    st.sampled_from(["age", "building", "floor"]).map(
        lambda key: Rule.preset("cross_group_majority", group=key)
    ),
)


def expected_check_names(rule: Rule, t: Tally) -> list[str]:
    fixed = {
        "simple_majority": ["majority"],
        "two_thirds": ["supermajority"],
        "absolute_majority": ["absolute_majority"],
        "quorum_majority": ["quorum", "majority"],
        "civil_code_ordinary": [
            "participation_area",
            "participation_headcount",
            "approval_area",
            "approval_headcount",
        ],
        "civil_code_major": [
            "participation_area",
            "participation_headcount",
            "approval_area",
            "approval_headcount",
        ],
    }
    if rule.name in fixed:
        return fixed[rule.name]
    values = [value for value, count in t.groups.get(rule.params["group"], {}).items() if count.electorate]
    return ["majority", *(f"group:{value}" for value in values)] if values else ["majority", "groups_present"]


@PROPERTY
@given(votes(), RULES, st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_voters_or_ballots(case, rule, rnd: random.Random):
    electorate, ballots = case
    shuffled_electorate = rnd.sample(electorate, len(electorate))
    shuffled_ballots = dict(rnd.sample(list(ballots.items()), len(ballots)))
    first, second = tally(electorate, ballots), tally(shuffled_electorate, shuffled_ballots)
    assert first == second
    assert decide(rule, first) == decide(rule, second)


@PROPERTY
@given(votes(), RULES, st.data())
def test_more_support_never_turns_agreed_into_not_agreed(case, rule, data):
    electorate, ballots = case
    not_yet_agreeing = [voter.id for voter in electorate if ballots.get(voter.id) != "agree"]
    if not not_yet_agreeing:
        return
    # Switch a disagree or abstain ballot to agree, or add an agree ballot from a non-participant.
    switched = data.draw(st.sampled_from(not_yet_agreeing))
    before = decide(rule, tally(electorate, ballots))
    after = decide(rule, tally(electorate, {**ballots, switched: "agree"}))
    if before.agreed:
        assert after.agreed


@PROPERTY
@given(votes(), RULES)
def test_decide_never_raises_and_keeps_its_checks_in_a_stable_order(case, rule):
    t = tally(*case)
    decision = decide(rule, t)
    assert [check.name for check in decision.checks] == expected_check_names(rule, t)
    assert decision.agreed is all(check.passed for check in decision.checks)
    assert decision.summary.startswith("通过：" if decision.agreed else "未通过：")
    assert decision.summary.endswith("。")
    for check in decision.checks:  # the UI texts never fail either
        assert check.required_text and check.actual_text and check.explanation


@PROPERTY
@given(votes(), RULES)
def test_pre_aggregated_counts_always_decide_like_the_ballots_they_came_from(case, rule):
    assert decide(rule, aggregate(*case)) == decide(rule, tally(*case))


@PROPERTY
@given(
    st.integers(0, 10),
    st.integers(0, 10),
    st.integers(0, 10),
    st.integers(0, 30),
    st.sampled_from(PRESETS),
)
def test_decide_never_raises_on_any_consistent_pre_aggregated_tally(agree, disagree, abstain, others, name):
    t = Tally.from_counts(
        electorate_count=agree + disagree + abstain + others,
        electorate_area=agree + disagree + abstain,
        counts={"agree": (agree, agree), "disagree": (disagree, disagree), "abstain": (abstain, abstain)},
        groups={
            "age": {
                "60+": {
                    "electorate": agree + disagree + abstain + others,
                    "agree": agree,
                    "disagree": disagree,
                    "abstain": abstain,
                }
            }
        },
    )
    decision = decide(name, t)
    assert decision.agreed is all(check.passed for check in decision.checks)


def percent_value(text: str) -> Decimal:
    return Decimal(text.rstrip("%"))


@PROPERTY
@given(
    st.sampled_from([">=", ">"]),
    st.fractions(min_value=Fraction(1, 30), max_value=1, max_denominator=30),
    st.integers(1, 10_000),
    st.data(),
)
def test_the_displayed_percentages_always_agree_with_the_verdict(op, required, denominator, data):
    numerator = data.draw(st.integers(0, denominator))
    actual = Fraction(numerator, denominator)
    passed = actual >= required if op == ">=" else actual > required
    check = Check("quorum", required, actual, passed, op, numerator, denominator)
    shown_actual, shown_required = percent_value(check.actual_percent), percent_value(check.required_percent)
    assert (shown_actual >= shown_required if op == ">=" else shown_actual > shown_required) is passed


@PROPERTY
@given(st.lists(st.permutations(["A", "B", "C", "D"]), max_size=12), st.randoms(use_true_random=False))
def test_schulze_does_not_depend_on_ballot_order_and_has_a_winner_once_anyone_ranks(rankings, rnd):
    first = schulze(["A", "B", "C", "D"], rankings)
    second = schulze(["A", "B", "C", "D"], rnd.sample(rankings, len(rankings)))
    assert first == second
    assert bool(first.winners) is bool(rankings)
    assert sorted(option for tier in first.ranking for option in tier) == ["A", "B", "C", "D"]
    if first.winners:
        assert first.winners == first.ranking[0]


@PROPERTY
@given(st.lists(st.sampled_from(["A", "B", "C"]), max_size=20))
def test_a_single_choice_winner_has_the_most_votes(ballots):
    result = count_single(["A", "B", "C"], ballots)
    most = max(ballots.count(option) for option in "ABC")
    expected = sorted(option for option in "ABC" if ballots.count(option) == most) if most else []
    assert result.winners == expected
    assert [r.votes for r in result.results] == sorted((r.votes for r in result.results), reverse=True)
    assert sum(r.votes for r in result.results) == len(ballots)


def test_groups_mapping_in_a_tally_is_read_only_and_sorted():
    t = tally(
        electorate_of("1", "1", "1", groups=[{"building": "12号"}, {"building": "3号"}, {"building": "1号"}]),
        ballots_of(agree="1"),
    )
    assert list(t.groups["building"]) == ["1号", "3号", "12号"]
    assert t.groups["building"]["12号"] == GroupCount(electorate=1, agree=1)
    with pytest.raises(TypeError):
        t.groups["building"] = {}  # type: ignore[index]


def test_group_words_name_the_groups_in_the_labels_and_the_names_keep_the_values():
    electorate = [Voter("p1", groups={"age": "60+"}), Voter("p2", groups={"age": "18-34"})]
    t = tally(electorate, {"p1": "agree", "p2": "agree"})
    rule = Rule.preset("cross_group_majority", group="age")
    plain = decide(rule, t)
    worded = decide(rule, t, group_words=lambda group, value: {"60+": "60岁以上"}.get(value, value))
    assert [c.name for c in worded.checks] == [c.name for c in plain.checks]
    labels = {c.name: c.label for c in worded.checks}
    assert labels["group:60+"] == "年龄段“60岁以上”群体" and labels["group:18-34"] == "年龄段“18-34”群体"
    assert worded.agreed == plain.agreed
