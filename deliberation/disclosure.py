"""What a breakdown may show where answers are secret: the one rule for small groups.

Secret votes (无记名表决) and anonymous surveys promise that nobody learns how a person answered.
A breakdown by building, age band or tenure breaks that promise when a group is small: "60岁以上
1/1 同意" names the one voter. So, on every surface that shows a breakdown of such answers (results
pages, charts, minutes, CSV/XLSX, the API), a group of fewer than MIN_GROUP_SIZE people is never shown
on its own:

- the small groups are merged into one row, 其他 (code OTHER), which keeps the totals;
- when the merged row would itself be smaller than MIN_GROUP_SIZE, the smallest groups shown are added
  to it until it is not (otherwise the total minus the groups shown would give the small group back);
- when even everything together is too small, one row 少于5人 (code FEWER) stands for it, without counts.

A group with nobody counted in it (size 0) tells nothing and stays as it is. The rule is idempotent: the
rows it gives back pass through it unchanged, so stored results can be filtered again when read.
Pure Python: no Flask, no database; `label` alone needs an app's translations.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

MIN_GROUP_SIZE = 5  # the smallest group of people a breakdown of secret answers may show on its own

OTHER = "*other"  # the row of the small groups merged (其他)
FEWER = "*fewer"  # the row standing for groups too small even together (少于5人), without counts
CODES = (OTHER, FEWER)


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: its key (a group code, or OTHER / FEWER), how many people it counts
    (ballots cast, answers given), and its counts — a dict by choice or a list by column; None for FEWER."""

    key: Hashable
    size: int
    counts: dict | list | None


def label(code: str) -> str:
    """The words for OTHER and FEWER in the reader's language ("" for any other code)."""
    if code == OTHER:
        return str(_l("其他"))
    if code == FEWER:
        return str(_l("少于%(n)d人", n=MIN_GROUP_SIZE))
    return ""


def _add(total: dict | list | None, counts: dict | list | None) -> dict | list | None:
    if counts is None:
        return total
    if total is None:
        return dict(counts) if isinstance(counts, dict) else list(counts)
    if isinstance(total, dict):
        for key, n in counts.items():
            total[key] = total.get(key, 0) + n
        return total
    return [a + b for a, b in zip(total, counts, strict=True)]


def suppress(groups: Sequence[Group]) -> list[Group]:
    """The groups a breakdown of secret answers may show, in their order, merged rows last (see above)."""
    small = [g for g in groups if 0 < g.size < MIN_GROUP_SIZE or g.key == FEWER]
    if not small:
        return list(groups)
    merged = {id(g) for g in small}
    total = sum(g.size for g in small)
    # Secondary suppression: never leave a merged row small enough to be worked out by subtraction.
    candidates = sorted((g for g in groups if id(g) not in merged and g.size > 0), key=lambda g: g.size)
    while total < MIN_GROUP_SIZE and candidates:
        extra = candidates.pop(0)
        merged.add(id(extra))
        total += extra.size
    kept = [g for g in groups if id(g) not in merged]
    if total < MIN_GROUP_SIZE:
        return [*kept, Group(FEWER, 0, None)]
    counts = None
    for g in groups:
        if id(g) in merged:
            counts = _add(counts, g.counts)
    return [*kept, Group(OTHER, total, counts)]
