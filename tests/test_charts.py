"""Server-drawn charts: numbers right, user text escaped, readable without the picture."""

from __future__ import annotations

from deliberation.charts import bar_chart, percent, stacked_chart


def test_percent_rounds_and_keeps_small_shares_visible():
    assert percent(1, 3) == "33%"
    assert percent(2, 3) == "67%"
    assert percent(1, 40) == "2.5%"
    assert percent(0, 5) == "0%"
    assert percent(3, 0) == "—"


def test_bar_chart_scales_to_the_largest_and_says_its_numbers():
    svg = str(bar_chart([("同意", 12), ("不同意", 3)], title="表决结果", unit="票"))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-label="表决结果：同意 12票; 不同意 3票"' in svg
    assert 'width="300"' in svg and 'width="75"' in svg  # 12 fills the bar, 3 a quarter of it
    assert "12票（80%）" in svg and "3票（20%）" in svg


def test_user_text_in_a_chart_is_escaped():
    svg = str(bar_chart([('<script>alert(1)</script>', 1), ('"onload="x', 2)], title="<b>t</b>"))
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "&#34;onload=&#34;x" in svg


def test_stacked_chart_splits_each_group_by_its_own_total():
    svg = str(stacked_chart([("3号楼", {"agree": 3, "disagree": 1}), ("5号楼", {"agree": 0, "disagree": 0})],
                            title="按楼栋", series=[("agree", "同意"), ("disagree", "不同意")]))
    assert "3/4（75%）" in svg and "0/0（—）" in svg
    assert 'width="225"' in svg and 'width="75"' in svg
    assert "3号楼: 同意 3，不同意 1" in svg
