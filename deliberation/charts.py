"""Bar charts drawn on the server as SVG: no JavaScript, readable on a phone and in a PDF.

Every chart is an <svg role="img"> with a <title> and a text alternative, so a screen reader
gets the numbers too. Colours come from classes (styled in site.css) with a plain fill as
fallback for documents rendered without the site's stylesheet (PDF).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from markupsafe import Markup, escape

ROW_HEIGHT = 28
LABEL_WIDTH = 120
BAR_WIDTH = 300
VALUE_WIDTH = 110
WIDTH = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
# Agree / disagree / abstain and then a cycle for options: distinguishable in grey print too.
PALETTE = ("#2e7d32", "#c62828", "#9e9e9e", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037")


def percent(part: int | float, whole: int | float) -> str:
    """'40%' with no decimals unless under 10% ('2.5%'); '—' when there is nothing to divide."""
    if not whole:
        return "—"
    value = Fraction(part) / Fraction(whole) * 100
    if value and value < 10:
        return f"{float(value):.1f}%"
    return f"{round(value)}%"


def bar_chart(rows: Sequence[tuple[str, int | float]], *, title: str, total: int | float | None = None,
              unit: str = "") -> Markup:
    """One horizontal bar per (label, value); percentages against total (default: the sum)."""
    total = sum(value for _, value in rows) if total is None else total
    largest = max([value for _, value in rows] + [0]) or 1
    height = max(len(rows), 1) * ROW_HEIGHT + 8
    parts = [_open_svg(title, height, "; ".join(f"{label} {value}{unit}" for label, value in rows))]
    for index, (label, value) in enumerate(rows):
        y = index * ROW_HEIGHT + 4
        width = round(BAR_WIDTH * value / largest) if value else 0
        colour = PALETTE[(index + 3) % len(PALETTE)]
        parts.append(_label(label, y))
        parts.append(f'<rect class="chart-bar chart-bar-{index % len(PALETTE)}" x="{LABEL_WIDTH}" y="{y + 4}" '
                     f'width="{width}" height="{ROW_HEIGHT - 10}" fill="{colour}"/>')
        parts.append(_value(f"{_number(value)}{unit}（{percent(value, total)}）", y))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 — every text in it went through escape()


def stacked_chart(groups: Sequence[tuple[str, Mapping[str, int]]], *, title: str,
                  series: Sequence[tuple[str, str]]) -> Markup:
    """One bar per group split by series, e.g. agree / disagree / abstain per building.

    groups: [(group label, {series key: count})]; series: [(key, label)] in drawing order.
    Bars are scaled to each group's own total, so small buildings stay readable.
    """
    legend_height = ROW_HEIGHT
    height = legend_height + max(len(groups), 1) * ROW_HEIGHT + 8
    described = "; ".join(
        f"{label}: " + ("，".join(f"{name} {counts.get(key, 0)}" for key, name in series) if counts else "—")
        for label, counts in groups
    )
    parts = [_open_svg(title, height, described)]
    x = LABEL_WIDTH
    for index, (_, name) in enumerate(series):
        parts.append(f'<rect class="chart-bar-{index}" x="{x}" y="8" width="12" height="12" fill="{PALETTE[index]}"/>')
        parts.append(f'<text x="{x + 16}" y="19" font-size="13">{escape(name)}</text>')
        x += 16 + 14 * len(name) + 16
    for row, (label, counts) in enumerate(groups):
        y = legend_height + row * ROW_HEIGHT + 4
        parts.append(_label(label, y))
        if not counts:  # a group shown without its counts (too small to show: deliberation.disclosure)
            parts.append(_value("—", y))
            continue
        whole = sum(counts.get(key, 0) for key, _ in series)
        offset = 0
        for index, (key, _) in enumerate(series):
            value = counts.get(key, 0)
            width = round(BAR_WIDTH * value / whole) if whole else 0
            if width:
                parts.append(f'<rect class="chart-bar-{index}" x="{LABEL_WIDTH + offset}" y="{y + 4}" '
                             f'width="{width}" height="{ROW_HEIGHT - 10}" fill="{PALETTE[index]}"/>')
            offset += width
        first = counts.get(series[0][0], 0) if series else 0
        parts.append(_value(f"{first}/{whole}（{percent(first, whole)}）", y))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 — every text in it went through escape()


def _open_svg(title: str, height: int, description: str) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'width="100%" role="img" aria-label="{escape(title)}：{escape(description)}" '
            f'font-family="Noto Sans CJK SC, sans-serif"><title>{escape(title)}</title>')


def _label(label: str, y: int) -> str:
    shown = label if len(label) <= 8 else label[:7] + "…"
    return (f'<text x="{LABEL_WIDTH - 6}" y="{y + ROW_HEIGHT // 2 + 4}" text-anchor="end" font-size="13">'
            f'<title>{escape(label)}</title>{escape(shown)}</text>')


def _value(text: str, y: int) -> str:
    return (f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + ROW_HEIGHT // 2 + 4}" font-size="13">'
            f'{escape(text)}</text>')


def _number(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
