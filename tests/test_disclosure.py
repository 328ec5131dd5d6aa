"""The small-group rule of secret answers (deliberation.disclosure): a table at the edge of 5."""

from __future__ import annotations

import pytest

from deliberation.disclosure import FEWER, MIN_GROUP_SIZE, OTHER, Group, suppress


def _groups(sizes) -> list[Group]:
    """One group per size, named A, B, C…, counting its size as agree."""
    return [Group(chr(65 + n), size, {"agree": size}) for n, size in enumerate(sizes)]


def _shown(groups: list[Group]) -> list[tuple[str, int]]:
    return [(g.key, g.size) for g in groups]


@pytest.mark.parametrize(("sizes", "expected"), [
    pytest.param((5, 5), [("A", 5), ("B", 5)], id="groups_of_5_are_shown"),
    pytest.param((4, 6), [(OTHER, 10)], id="a_group_of_4_takes_the_smallest_other_with_it"),
    pytest.param((5, 4, 6), [("C", 6), (OTHER, 9)], id="4_merged_with_the_5_not_the_6"),
    pytest.param((4, 1, 5), [("C", 5), (OTHER, 5)], id="4_and_1_merge_into_a_group_of_5"),
    pytest.param((4, 4, 9), [("C", 9), (OTHER, 8)], id="two_groups_of_4_merge"),
    pytest.param((1,), [(FEWER, 0)], id="one_voter_alone_is_fewer_than_5"),
    pytest.param((4,), [(FEWER, 0)], id="4_voters_alone_are_fewer_than_5"),
    pytest.param((2, 2), [(FEWER, 0)], id="everyone_together_still_4"),
    pytest.param((0, 5), [("A", 0), ("B", 5)], id="a_group_where_nobody_voted_tells_nothing"),
    pytest.param((), [], id="no_groups"),
])
def test_groups_smaller_than_5_are_never_shown_on_their_own(sizes, expected):
    assert MIN_GROUP_SIZE == 5
    shown = suppress(_groups(sizes))
    assert _shown(shown) == expected
    assert all(g.size >= MIN_GROUP_SIZE or g.size == 0 for g in shown)


@pytest.mark.parametrize("sizes", [(5, 4, 6), (4, 1, 5), (4, 4, 9), (3, 10, 12), (7, 8)])
def test_merging_keeps_the_totals(sizes):
    shown = suppress(_groups(sizes))
    assert sum(g.counts["agree"] for g in shown) == sum(sizes)
    assert sum(g.size for g in shown) == sum(sizes)


@pytest.mark.parametrize("sizes", [(5, 4, 6), (4, 1, 5), (1,), (0, 5), (3, 3, 3, 20)])
def test_the_rule_applied_twice_changes_nothing(sizes):
    once = suppress(_groups(sizes))
    assert suppress(once) == once


def test_counts_by_column_are_added_column_by_column():
    shown = suppress([Group("A", 2, [1, 1, 0]), Group("B", 3, [0, 2, 1]), Group("C", 6, [6, 0, 0])])
    assert shown == [Group("C", 6, [6, 0, 0]), Group(OTHER, 5, [1, 3, 1])]
