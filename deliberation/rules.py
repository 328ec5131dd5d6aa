"""The decision rules (决议规则): who is asked, what was answered, and whether it passed.

Pure functions over exact numbers — no I/O, no Flask, no SQLAlchemy, standard library only. The UI,
the API, the minutes and the tests all use this one module (see docs: DESIGN.md, section 3)::

    from deliberation.rules import Voter, Rule, tally, decide

    electorate = [Voter("p1", area="90.50", groups={"building": "12号", "age": "60+"}), ...]
    t = tally(electorate, {"p1": "agree", "p2": "abstain"})   # agree | disagree | abstain
    d = decide("civil_code_ordinary", t)                        # a preset name, or a Rule
    d.agreed, d.checks, d.summary
    Rule.preset("quorum_majority", quorum="3/5")

Numbers are exact throughout: shares are :class:`fractions.Fraction`, areas (m², at most two
decimals) are :class:`decimal.Decimal` added in a context that refuses to round. Floats are refused
everywhere, so no comparison ever depends on binary rounding.

Civil Code Art. 278 wording: "以上" includes the number itself (Art. 1259), "过半数" does not. For
the civil-code presets the electorate is the owners: the caller passes one :class:`Voter` per owner,
an owner of several units once with the sum of their areas.

Choices between variants live here too: :func:`count_single`, :func:`count_approval` and
:func:`schulze`. Ties are reported as ties (several winners), never broken silently.

Every invalid input raises :class:`ValueError` with a bilingual message.

Wording: names, check labels, explanations and summaries are Chinese (DESIGN §3). To word them in
another language pass a translator with gettext's shape, ``words(text, **values) -> str`` (e.g.
``flask_babel.gettext``): ``decide(rule, t, words=gettext)``, ``rule.label_in(gettext)``,
``rule.describe(gettext)``. The texts are written here once, as the catalogue's source strings; the
module itself never looks a translation up.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from fractions import Fraction
from typing import Any

__all__ = [
    "CHOICES",
    "N_",
    "PRESETS",
    "Check",
    "Count",
    "CountResult",
    "Decision",
    "FrozenMap",
    "GroupCount",
    "OptionCount",
    "Rule",
    "SchulzeResult",
    "Tally",
    "Voter",
    "Words",
    "chinese",
    "count_approval",
    "count_single",
    "decide",
    "schulze",
    "tally",
]

CHOICES: tuple[str, ...] = ("agree", "disagree", "abstain")

PRESETS: tuple[str, ...] = (
    "simple_majority",
    "two_thirds",
    "absolute_majority",
    "quorum_majority",
    "civil_code_ordinary",
    "civil_code_major",
    "cross_group_majority",
)

HALF = Fraction(1, 2)
TWO_THIRDS = Fraction(2, 3)
THREE_QUARTERS = Fraction(3, 4)

# Additions and quantizations in this context are exact or raise: a precision of MAX_PREC digits
# never rounds a sum, and trapping Inexact turns any loss (e.g. a third decimal) into an error.
_EXACT = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
_CENT = Decimal("0.01")
_ZERO_AREA = Decimal("0.00")

# How the rules word what they say: gettext's shape, text → the reader's words, with %(name)s values.
Words = Callable[..., str]


def chinese(text: str, **values: Any) -> str:
    """The rules' own wording: the Chinese source text with its values filled in (the default)."""
    return text % values if values else text


def N_(text: str) -> str:  # noqa: N802 — the catalogue's marker for a text worded later
    """Mark a text for the translation catalogue where it is defined; it is worded where it is used."""
    return text


# Chinese names of the usual group keys; any other key is shown as it is.
GROUP_KEY_LABELS: dict[str, str] = {
    "age": N_("年龄段"),
    "building": N_("楼栋"),
    "tenure": N_("居住身份"),
    "gender": N_("性别"),
}


# --------------------------------------------------------------------------------------------------
# Small exact helpers
# --------------------------------------------------------------------------------------------------


class FrozenMap(Mapping):
    """A read-only, hashable mapping: ``voter.groups["age"]`` works and a Voter stays hashable.

    Equal to any mapping with the same items (``FrozenMap({"a": "1"}) == {"a": "1"}``).
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping | Iterable[tuple[Any, Any]] = ()) -> None:
        self._data = dict(data)

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return repr(self._data)


def _to_area(value: object, what: str = "面积 area") -> Decimal:
    """Normalise an area (m²) given as str, int or Decimal to a Decimal with exactly two decimals."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        # Floats are refused: 0.1 is not one tenth, and the comparisons here must be exact.
        raise ValueError(
            f"{what}须为字符串、整数或 Decimal，收到 {type(value).__name__}：{value!r}"
            f"（area must be str, int or Decimal, not {type(value).__name__}）"
        )
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what}不是数字：{value!r}（not a number）") from None
    if not number.is_finite():
        raise ValueError(f"{what}必须是有限的数：{value!r}（must be finite）")
    if number < 0:
        raise ValueError(f"{what}不能为负数：{value!r}（must not be negative）")
    try:
        return number.quantize(_CENT, context=_EXACT).copy_abs()  # copy_abs turns -0.00 into 0.00
    except Inexact:
        raise ValueError(f"{what}最多两位小数：{value!r}（at most two decimals）") from None


def _add_areas(areas: Iterable[Decimal]) -> Decimal:
    total = _ZERO_AREA
    for area in areas:
        total = _EXACT.add(total, area)
    return total


def _to_headcount(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what}须为整数：{value!r}（must be an int）")
    if value < 0:
        raise ValueError(f"{what}不能为负数：{value!r}（must not be negative）")
    return value


def _to_fraction(value: object, what: str) -> Fraction:
    """Read "3/5", "0.6", Fraction(3, 5), Decimal("0.6") or 1 as an exact Fraction (never a float)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Fraction | Decimal):
        raise ValueError(f'{what}须写成分数，如 "3/5"：{value!r}（give a fraction such as "3/5"）')
    try:
        return Fraction(value.strip()) if isinstance(value, str) else Fraction(value)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise ValueError(f"{what}不是有效的分数：{value!r}（not a valid fraction）") from None


def natural_key(text: str) -> tuple:
    """Sort "3号" before "12号": digit runs compare as numbers (ties fall back to the raw text)."""
    parts = re.split(r"([0-9]+)", text)
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts)), text


_CN_DIGITS = "零一二三四五六七八九"


def _cn_int(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + ("" if ones == 0 else _CN_DIGITS[ones])


def _fraction_text(value: Fraction) -> str:
    """2/3 → "2/3", 1 → "1"."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _basis_points(value: Fraction, rounding: str = "half") -> int:
    """A share in hundredths of a percent; rounding is "half" (to even), "up" or "down"."""
    scaled = value * 10000
    if rounding == "up":
        return -(-scaled.numerator // scaled.denominator)
    if rounding == "down":
        return scaled.numerator // scaled.denominator
    return round(scaled)


def _format_percent(basis_points: int) -> str:
    return f"{basis_points // 100}.{basis_points % 100:02d}%"


def _percent(value: Fraction) -> str:
    """A share as a percentage with two decimals, e.g. "48.20%"."""
    return _format_percent(_basis_points(value))


def _cn_fraction(value: Fraction, _: Words = chinese) -> str:
    """A threshold in words: 1/2 → "半数", 2/3 → "三分之二", 3/4 → "四分之三", 11/200 → "5.50%"."""
    if value == HALF:
        return _("半数")
    if value == 1:
        return _("全部")
    if value.denominator < 100:
        if _ is chinese:
            return f"{_cn_int(value.denominator)}分之{_cn_int(value.numerator)}"
        return _("%(denominator)s分之%(numerator)s", denominator=value.denominator, numerator=value.numerator)
    return _percent(value)


def _at_least(value: Fraction, _: Words = chinese) -> str:
    """E.g. "三分之二以上": "以上" includes the number itself (Civil Code Art. 1259); 1 reads "全部"."""
    return _("全部") if value == 1 else _("%(share)s以上", share=_cn_fraction(value, _))


def _group_key_label(key: str, _: Words = chinese) -> str:
    return _(GROUP_KEY_LABELS[key]) if key in GROUP_KEY_LABELS else key


# --------------------------------------------------------------------------------------------------
# Voters and tallies
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voter:
    """One member of the electorate: a person, a household or an owner, depending on the vote's basis.

    ``area`` is the exclusive area in m² (专有部分面积) — str, int or Decimal, at most two decimals,
    never negative; it is stored as a Decimal with two decimals. For the civil-code presets pass one
    Voter per owner with the sum of the areas of all their units. ``groups`` maps a group key to the
    voter's value in it, e.g. ``{"building": "12号", "age": "60+"}``; it is stored read-only.
    ``household`` is carried for the caller (display, household-based electorates); the rules do
    not use it.
    """

    id: str
    household: str | None = None
    area: Decimal = _ZERO_AREA
    groups: Mapping[str, str] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"表决权人编号须为非空字符串：{self.id!r}（voter id must be a non-empty str）")
        if self.household is not None and not isinstance(self.household, str):
            raise ValueError(f"户号须为字符串或 None：{self.household!r}（household must be str or None）")
        object.__setattr__(self, "area", _to_area(self.area, f"表决权人 {self.id} 的面积"))
        if not isinstance(self.groups, Mapping):
            raise ValueError(f"groups 须为映射（dict），收到 {self.groups!r}（groups must be a mapping）")
        for key, value in self.groups.items():
            if not isinstance(key, str) or not key or not isinstance(value, str):
                raise ValueError(
                    f"表决权人 {self.id} 的分组须为“字符串 → 字符串”：{key!r}: {value!r}"
                    "（groups must map str to str）"
                )
        object.__setattr__(self, "groups", FrozenMap(self.groups))


@dataclass(frozen=True)
class Count:
    """A headcount with the area those people hold (m², Decimal with two decimals)."""

    headcount: int = 0
    area: Decimal = _ZERO_AREA

    def __post_init__(self) -> None:
        _to_headcount(self.headcount, "人数 headcount")
        object.__setattr__(self, "area", _to_area(self.area))

    def __add__(self, other: Count) -> Count:
        return Count(self.headcount + other.headcount, _EXACT.add(self.area, other.area))


@dataclass(frozen=True)
class GroupCount:
    """One value of one group (e.g. age "60+"): how many belong to it and how they voted."""

    electorate: int = 0
    agree: int = 0
    disagree: int = 0
    abstain: int = 0

    def __post_init__(self) -> None:
        for name in ("electorate", *CHOICES):
            _to_headcount(getattr(self, name), f"群体计数 {name}")
        if self.participants > self.electorate:
            raise ValueError(
                f"群体中投票人数 {self.participants} 多于群体人数 {self.electorate}"
                "（more ballots than members in a group）"
            )

    @property
    def participants(self) -> int:
        return self.agree + self.disagree + self.abstain


@dataclass(frozen=True)
class Tally:
    """What the rules need to know about a vote: aggregates only, no names.

    ``electorate`` is the headcount and total area of everyone entitled to vote; ``agree``,
    ``disagree`` and ``abstain`` the headcount and area of each answer; ``groups`` maps each group
    key to each of its values' :class:`GroupCount`. Build it with :func:`tally` from voters and
    ballots, or with :meth:`from_counts` from figures a database has already aggregated. A Tally
    is checked for consistency when built, so :func:`decide` never fails on one.
    """

    electorate: Count
    agree: Count = field(default_factory=Count)
    disagree: Count = field(default_factory=Count)
    abstain: Count = field(default_factory=Count)
    groups: Mapping[str, Mapping[str, GroupCount]] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        for name in ("electorate", *CHOICES):
            if not isinstance(getattr(self, name), Count):
                raise ValueError(f"Tally.{name} 须为 Count（must be a Count）")
        participants = self.participants
        if participants.headcount > self.electorate.headcount:
            raise ValueError(
                f"投票人数 {participants.headcount} 多于表决权人数 {self.electorate.headcount}"
                "（more ballots than voters）"
            )
        if participants.area > self.electorate.area:
            raise ValueError(
                f"投票面积 {participants.area} 大于总面积 {self.electorate.area}"
                "（participants' area exceeds the electorate's）"
            )
        if not isinstance(self.groups, Mapping):
            raise ValueError("Tally.groups 须为映射（must be a mapping）")
        limits = {"electorate": self.electorate.headcount}
        limits.update((choice, getattr(self, choice).headcount) for choice in CHOICES)
        frozen = {}
        for key, values in self.groups.items():
            if not isinstance(key, str) or not isinstance(values, Mapping):
                raise ValueError(f"分组 {key!r} 须为“字符串 → 映射”（groups must map str to a mapping）")
            for value, count in values.items():
                if not isinstance(value, str) or not isinstance(count, GroupCount):
                    raise ValueError(f"分组 {key}={value!r} 须对应 GroupCount（must be a GroupCount）")
            # Voters without this key belong to no value of it, so the values add up to *at most* the total.
            for name, limit in limits.items():
                total = sum(getattr(count, name) for count in values.values())
                if total > limit:
                    raise ValueError(
                        f"分组“{key}”的 {name} 合计 {total} 多于总数 {limit}"
                        f"（group {key!r}: {name} adds up to more than the total）"
                    )
            frozen[key] = FrozenMap((value, values[value]) for value in sorted(values, key=natural_key))
        object.__setattr__(self, "groups", FrozenMap((key, frozen[key]) for key in sorted(frozen)))

    @property
    def participants(self) -> Count:
        """Everyone who cast a ballot, abstentions included."""
        return self.agree + self.disagree + self.abstain

    @property
    def counts(self) -> dict[str, Count]:
        """``{"agree": Count, "disagree": Count, "abstain": Count}``."""
        return {choice: getattr(self, choice) for choice in CHOICES}

    @classmethod
    def from_counts(
        cls,
        *,
        electorate_count: int,
        electorate_area: str | int | Decimal = 0,
        counts: Mapping[str, int | tuple[int, str | int | Decimal]],
        groups: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None,
    ) -> Tally:
        """Build a Tally from pre-aggregated figures, e.g. the rows of a SQL ``GROUP BY``.

        This is how a vote with a million ballots reaches the rules without a million Voter objects::

            Tally.from_counts(
                electorate_count=1200,                 # everyone entitled to vote
                electorate_area="98765.43",            # their total area in m² (str/int/Decimal)
                counts={"agree": (700, "60000.00"),    # choice → (headcount, area)
                        "disagree": (150, "12000.50"),
                        "abstain": 40},                # or just a headcount (area 0)
                groups={"age": {"60+": {"electorate": 500, "agree": 300, "disagree": 50, "abstain": 10},
                                "18-59": {"electorate": 700, "agree": 400, "disagree": 100}}},
            )

        Missing choices count as zero; in ``groups`` only ``"electorate"`` is required per value.
        Areas must be exact (two decimals at most): if the database sums in floating point, sum
        integer hundredths of m² instead and pass ``Decimal(cents) / 100``. Inconsistent figures
        (more ballots than voters, an unknown choice, a negative number) raise ValueError.
        """
        if not isinstance(counts, Mapping):
            raise ValueError("counts 须为映射：choice → (人数, 面积)（counts must be a mapping）")
        unknown = sorted(map(str, set(counts) - set(CHOICES)))
        if unknown:
            raise ValueError(
                f"未知的表决选项：{', '.join(unknown)}（unknown choice: agree/disagree/abstain）"
            )
        per_choice = {}
        for choice in CHOICES:
            given = counts.get(choice, 0)
            if isinstance(given, tuple | list):
                if len(given) != 2:
                    raise ValueError(f"{choice} 须为 (人数, 面积)：{given!r}（expected (headcount, area)）")
                per_choice[choice] = Count(given[0], given[1])
            else:
                per_choice[choice] = Count(given)
        group_counts: dict[str, dict[str, GroupCount]] = {}
        for key, values in (groups or {}).items():
            if not isinstance(values, Mapping):
                raise ValueError(f"分组 {key!r} 须为映射（group must be a mapping of values）")
            group_counts[key] = {}
            for value, figures in values.items():
                if not isinstance(figures, Mapping) or "electorate" not in figures:
                    raise ValueError(
                        f"分组 {key}={value!r} 须给出 electorate 人数（each value needs an electorate count）"
                    )
                extra = sorted(map(str, set(figures) - {"electorate", *CHOICES}))
                if extra:
                    raise ValueError(f"分组 {key}={value!r} 含未知项：{', '.join(extra)}（unknown key）")
                group_counts[key][value] = GroupCount(**figures)
        return cls(
            electorate=Count(electorate_count, electorate_area),
            groups=group_counts,
            **per_choice,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tally:
        """The inverse of :meth:`as_dict`, e.g. to re-render a stored decision."""
        return cls.from_counts(
            electorate_count=data["electorate"]["headcount"],
            electorate_area=data["electorate"]["area"],
            counts={choice: (data[choice]["headcount"], data[choice]["area"]) for choice in CHOICES},
            groups=data.get("groups") or {},
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (areas as strings), for storing with the vote."""
        return {
            "electorate": {"headcount": self.electorate.headcount, "area": str(self.electorate.area)},
            **{
                choice: {"headcount": count.headcount, "area": str(count.area)}
                for choice, count in self.counts.items()
            },
            "groups": {
                key: {
                    value: {
                        "electorate": c.electorate,
                        "agree": c.agree,
                        "disagree": c.disagree,
                        "abstain": c.abstain,
                    }
                    for value, c in values.items()
                }
                for key, values in self.groups.items()
            },
        }


def tally(electorate: Iterable[Voter], ballots: Mapping[str, str]) -> Tally:
    """Count ``ballots`` (voter id → "agree" | "disagree" | "abstain") cast by ``electorate``.

    Voters without a ballot simply did not take part. Raises ValueError for a duplicate voter id, a
    ballot from someone outside the electorate, or an unknown choice. The result does not depend on
    the order of the electorate or of the ballots.
    """
    by_id: dict[str, Voter] = {}
    for voter in electorate:
        if not isinstance(voter, Voter):
            raise ValueError(f"名册中只能是 Voter：{voter!r}（electorate must contain Voter objects）")
        if voter.id in by_id:
            raise ValueError(f"名册中表决权人编号重复：{voter.id!r}（duplicate voter id）")
        by_id[voter.id] = voter
    if not isinstance(ballots, Mapping):
        raise ValueError("ballots 须为映射：表决权人编号 → 选项（ballots must map voter id to choice）")
    outsiders = sorted(repr(key) for key in ballots if key not in by_id)
    if outsiders:
        shown = "、".join(outsiders[:5]) + ("等" if len(outsiders) > 5 else "")
        raise ValueError(f"选票来自名册之外的人：{shown}（ballot from outside the electorate）")
    for voter_id, choice in ballots.items():
        if choice not in CHOICES:
            raise ValueError(
                f"{voter_id!r} 的选项未知：{choice!r}，应为 agree、disagree 或 abstain（unknown choice）"
            )

    headcounts = dict.fromkeys(CHOICES, 0)
    areas = {choice: [] for choice in CHOICES}
    groups: dict[str, dict[str, dict[str, int]]] = {}
    for voter in by_id.values():
        choice = ballots.get(voter.id)
        if choice is not None:
            headcounts[choice] += 1
            areas[choice].append(voter.area)
        for key, value in voter.groups.items():
            figures = groups.setdefault(key, {}).setdefault(value, dict.fromkeys(("electorate", *CHOICES), 0))
            figures["electorate"] += 1
            if choice is not None:
                figures[choice] += 1
    return Tally(
        electorate=Count(len(by_id), _add_areas(voter.area for voter in by_id.values())),
        groups={
            key: {value: GroupCount(**fig) for value, fig in vals.items()} for key, vals in groups.items()
        },
        **{choice: Count(headcounts[choice], _add_areas(areas[choice])) for choice in CHOICES},
    )


# --------------------------------------------------------------------------------------------------
# Checks, rules and decisions
# --------------------------------------------------------------------------------------------------

# name → (label for the table, subject of the sentence, what to say when there is nothing to divide by)
_CHECK_TEXTS: dict[str, tuple[str, str, str]] = {
    "majority": (N_("同意票占同意与反对票之和"), N_("同意票占同意与反对票之和"), N_("没有人投同意或反对票")),
    "supermajority": (N_("同意票占同意与反对票之和"), N_("同意票占同意与反对票之和"), N_("没有人投同意或反对票")),
    "absolute_majority": (N_("同意人数占全体表决权人数"), N_("同意人数占全体表决权人数"), N_("表决权人名册为空")),
    "quorum": (N_("参与表决的人数"), N_("参与表决的人数占全体表决权人数"), N_("表决权人名册为空")),
    "participation_area": (N_("参与表决的专有面积"), N_("参与表决的专有面积占总面积"), N_("名册中的专有面积合计为0")),
    "participation_headcount": (N_("参与表决的业主人数"), N_("参与表决的业主人数占业主总人数"), N_("业主名册为空")),
    "approval_area": (N_("同意的专有面积"), N_("同意的专有面积占参与表决面积"), N_("参与表决的专有面积合计为0")),
    "approval_headcount": (N_("同意的业主人数"), N_("同意的业主人数占参与表决人数"), N_("无人参与表决")),
}

_OPS = {">=": "≥", ">": ">"}


@dataclass(frozen=True)
class Check:
    """One condition of a rule, as a row of the table "要求 / 实际 / 是否通过".

    Most checks compare a share ``actual = numerator / denominator`` (a Fraction; 0 when the
    denominator is 0, which always fails) with the threshold ``required`` using ``op`` (">=" for
    "以上", ">" for "过半数"). ``unit`` is "m²" for area checks, "" for headcounts. A check
    without a denominator compares plain counts. ``label`` is the row title (Chinese unless
    ``words`` translates); :attr:`required_text`, :attr:`actual_text` and :attr:`explanation` are
    ready to show. ``words`` never takes part in comparisons.
    """

    name: str
    required: Fraction | Decimal | int
    actual: Fraction | Decimal | int
    passed: bool
    op: str = ">="
    numerator: int | Decimal | None = None
    denominator: int | Decimal | None = None
    unit: str = ""
    label: str = ""
    subject: str = ""
    words: Words = field(default=chinese, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f'比较方式须为 ">=" 或 ">"：{self.op!r}（op must be ">=" or ">"）')
        if self.name in _CHECK_TEXTS:
            label, subject, _zero = (self.words(text) for text in _CHECK_TEXTS[self.name])
        else:
            label = subject = self.name
        if not self.label:
            object.__setattr__(self, "label", label)
        if not self.subject:
            object.__setattr__(self, "subject", subject)

    @property
    def is_share(self) -> bool:
        return self.denominator is not None

    def _required_points(self) -> int:
        # A "≥" threshold rounds up and a ">" one down, so that with actual_percent below the two
        # displayed figures always agree with `passed` (1/3 shows as 33.34% for "≥").
        return _basis_points(Fraction(self.required), "up" if self.op == ">=" else "down")

    @property
    def required_percent(self) -> str:
        return _format_percent(self._required_points())

    @property
    def actual_percent(self) -> str:
        """The actual share rounded to two decimals — but never so that it seems to contradict `passed`.

        E.g. 6666/10000 shown as "66.67%" would read as meeting "≥ 66.67%" although it fails; near a
        threshold the figure is rounded away from it instead (here "66.66%").
        """
        required, actual = Fraction(self.required), Fraction(self.actual)
        shown_required = self._required_points()
        if actual == required:
            return _format_percent(shown_required)
        shown = _basis_points(actual)
        agrees = shown >= shown_required if self.op == ">=" else shown > shown_required
        if agrees != (actual >= required if self.op == ">=" else actual > required):
            shown = _basis_points(actual, "up" if actual > required else "down")
        return _format_percent(shown)

    @property
    def required_text(self) -> str:
        """E.g. "≥ 2/3（66.67%）", "> 1/2（50%）"."""
        op = _OPS[self.op]
        if not self.is_share:
            return f"{op} {self.required}"
        percent = self.required_percent.replace(".00%", "%")
        return f"{op} {_fraction_text(Fraction(self.required))}（{percent}）"

    @property
    def actual_text(self) -> str:
        """E.g. "48.20%（482.00 / 1000.00 m²）", "66.67%（6 / 9）"; "—（0 / 0）" when nothing to divide by."""
        if not self.is_share:
            return str(self.actual)
        unit = f" {self.unit}" if self.unit else ""
        figures = f"{self.numerator} / {self.denominator}{unit}"
        if not self.denominator:
            return f"—（{figures}）"
        return f"{self.actual_percent}（{figures}）"

    @property
    def explanation(self) -> str:
        """One clause in Chinese, e.g. "同意的专有面积占参与表决面积的48.20%，未过半数"."""
        _ = self.words
        if not self.is_share:
            return self.subject
        if not self.denominator:
            zero_text = _CHECK_TEXTS.get(self.name, ("", "", ""))[2]
            return _(zero_text) if zero_text else _("%(label)s中没有人投同意或反对票", label=self.label)
        required = Fraction(self.required)
        share = _cn_fraction(required, _)
        if self.op == ">" and required == HALF:
            verdict = _("过半数") if self.passed else _("未过半数")
        elif self.op == ">":
            verdict = _("超过%(share)s", share=share) if self.passed else _("未超过%(share)s", share=share)
        elif self.passed:
            verdict = _("达到%(share)s", share=_at_least(required, _))
        else:
            verdict = _("未达到%(share)s", share=share)
        return _("%(subject)s的%(percent)s，%(verdict)s", subject=self.subject, percent=self.actual_percent,
                 verdict=verdict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (exact numbers as strings such as "2/3" or "482.00")."""

        def text(value: object) -> str | None:
            if value is None:
                return None
            return _fraction_text(value) if isinstance(value, Fraction) else str(value)

        return {
            "name": self.name,
            "label": self.label,
            "op": self.op,
            "required": text(self.required),
            "actual": text(self.actual),
            "passed": self.passed,
            "numerator": text(self.numerator),
            "denominator": text(self.denominator),
            "unit": self.unit,
            "required_text": self.required_text,
            "actual_text": self.actual_text,
            "explanation": self.explanation,
        }


def _share_check(
    name: str,
    numerator: int | Decimal,
    denominator: int | Decimal,
    op: str,
    required: Fraction,
    *,
    unit: str = "",
    label: str = "",
    subject: str = "",
    words: Words = chinese,
) -> Check:
    # Nothing to divide by (no voters, no area, nobody answered) never counts as enough.
    actual = Fraction(numerator) / Fraction(denominator) if denominator else Fraction(0)
    passed = bool(denominator) and (actual >= required if op == ">=" else actual > required)
    return Check(name, required, actual, passed, op, numerator, denominator, unit, label, subject, words)


# Parameters each preset takes, with their defaults.
_PRESET_PARAMS: dict[str, dict[str, Any]] = {
    "simple_majority": {},
    "two_thirds": {},
    "absolute_majority": {},
    "quorum_majority": {"quorum": HALF},
    "civil_code_ordinary": {},
    "civil_code_major": {},
    "cross_group_majority": {"group": "age"},
}

_PRESET_LABELS: dict[str, str] = {
    "simple_majority": N_("简单多数"),
    "two_thirds": N_("三分之二多数"),
    "absolute_majority": N_("绝对多数"),
    "quorum_majority": N_("法定人数+多数"),
    "civil_code_ordinary": N_("民法典一般事项（第278条）"),
    "civil_code_major": N_("民法典重大事项（第278条）"),
    "cross_group_majority": N_("各群体均过半数"),
}


def _check_quorum(value: object) -> Fraction:
    quorum = _to_fraction(value, "法定人数比例 quorum")
    if not 0 < quorum <= 1:
        raise ValueError(f"法定人数比例须大于0且不超过1：{value!r}（quorum must be in (0, 1]）")
    return quorum


def _check_group(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f'分组键须为非空字符串，如 "age"：{value!r}（group must be a non-empty str）')
    return value


_PARAM_CHECKS: dict[str, Callable[[object], Any]] = {"quorum": _check_quorum, "group": _check_group}


@dataclass(frozen=True)
class Rule:
    """A decision rule: a preset ``name`` with its ``params`` (defaults filled in, validated).

    ``Rule("quorum_majority", {"quorum": "3/5"})`` and ``Rule.preset("quorum_majority",
    quorum="3/5")`` are the same rule; ``params`` is a read-only mapping that compares equal to a
    dict. Use :meth:`as_dict` / :meth:`from_dict` to store a rule as JSON.
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        if self.name not in _PRESET_PARAMS:
            raise ValueError(f"未知的表决规则：{self.name!r}，可选：{'、'.join(PRESETS)}（unknown preset）")
        if not isinstance(self.params, Mapping):
            raise ValueError("规则参数须为映射（params must be a mapping）")
        allowed = _PRESET_PARAMS[self.name]
        unknown = sorted(map(str, set(self.params) - set(allowed)))
        if unknown:
            accepted = "、".join(allowed) or "无"
            raise ValueError(
                f"规则 {self.name} 不接受参数：{'、'.join(unknown)}（可用参数：{accepted}）"
                f"（unknown parameter for {self.name}）"
            )
        params = {key: _PARAM_CHECKS[key](self.params.get(key, default)) for key, default in allowed.items()}
        object.__setattr__(self, "params", FrozenMap(params))

    @classmethod
    def preset(cls, name: str, **params: Any) -> Rule:
        """The preset ``name`` with ``params`` (quorum="3/5" for quorum_majority, group="building" for
        cross_group_majority). Unknown names, unknown parameters and bad values raise ValueError."""
        return cls(name, params)

    @property
    def label(self) -> str:
        """Short Chinese name, e.g. "民法典一般事项（第278条）"."""
        return self.label_in(chinese)

    def label_in(self, _: Words) -> str:
        """The short name worded by ``_`` (a translator with gettext's shape)."""
        return _(_PRESET_LABELS[self.name])

    def describe(self, _: Words = chinese) -> str:
        """What it takes to pass, as one plain sentence shown before the vote opens (Chinese by default)."""
        if self.name == "simple_majority":
            return _("需同意票多于反对票（弃权不计），且至少有一票同意")
        if self.name == "two_thirds":
            return _("需同意票达到同意与反对票之和的三分之二以上（弃权不计），且至少有一票同意")
        if self.name == "absolute_majority":
            return _("需同意的人数超过全体表决权人数的半数（弃权和未投票都不算同意）")
        if self.name == "quorum_majority":
            quorum = self.params["quorum"]
            if quorum == 1:
                return _("需全体表决权人均参与表决，且同意票多于反对票（弃权不计）")
            return _("需参与表决的人数达到全体表决权人数的%(quorum)s，且同意票多于反对票（弃权不计）",
                     quorum=_at_least(quorum, _))
        if self.name == "civil_code_ordinary":
            return _("需参与表决的业主专有面积和人数均达到三分之二以上，且同意的面积和人数均过半数")
        if self.name == "civil_code_major":
            return _("需参与表决的业主专有面积和人数均达到三分之二以上，且同意的面积和人数均达到四分之三以上")
        return _("需同意票多于反对票，且按“%(group)s”划分的每个群体中同意票都多于反对票"
                 "（弃权不计；任一群体无人投同意或反对票即不通过）", group=_group_key_label(self.params["group"], _))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"name": "quorum_majority", "params": {"quorum": "3/5"}}``."""
        params = {
            key: _fraction_text(value) if isinstance(value, Fraction) else value
            for key, value in self.params.items()
        }
        return {"name": self.name, "params": params}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        """The inverse of :meth:`as_dict`."""
        return cls(data["name"], data.get("params") or {})


@dataclass(frozen=True)
class Decision:
    """The outcome of a rule on a tally: ``agreed``, the ``checks`` in a stable order, a ``summary``
    sentence (Chinese unless ``decide`` was given other ``words``), and the ``rule`` and ``tally`` it
    was made from."""

    rule: Rule
    agreed: bool
    checks: tuple[Check, ...]
    summary: str
    tally: Tally
    words: Words = field(default=chinese, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, for storing with the closed vote and rendering the minutes."""
        return {
            "rule": self.rule.as_dict(),
            "rule_label": self.rule.label_in(self.words),
            "agreed": self.agreed,
            "summary": self.summary,
            "checks": [check.as_dict() for check in self.checks],
            "tally": self.tally.as_dict(),
        }


def _majority(t: Tally, _: Words) -> Check:
    agree, disagree = t.agree.headcount, t.disagree.headcount
    return _share_check("majority", agree, agree + disagree, ">", HALF, words=_)


def _participation(t: Tally, _: Words) -> list[Check]:
    taking_part, everyone = t.participants, t.electorate
    return [
        _share_check("participation_area", taking_part.area, everyone.area, ">=", TWO_THIRDS, unit="m²", words=_),
        _share_check("participation_headcount", taking_part.headcount, everyone.headcount, ">=", TWO_THIRDS,
                     words=_),
    ]


def _approval(t: Tally, op: str, required: Fraction, _: Words) -> list[Check]:
    participants = t.participants
    return [
        _share_check("approval_area", t.agree.area, participants.area, op, required, unit="m²", words=_),
        _share_check("approval_headcount", t.agree.headcount, participants.headcount, op, required, words=_),
    ]


def _group_checks(
    t: Tally, key: str, words: Callable[[str, str], str] | None = None, _: Words = chinese
) -> list[Check]:
    key_label = _group_key_label(key, _)
    present = [(value, count) for value, count in t.groups.get(key, {}).items() if count.electorate > 0]
    if not present:
        # Without any group in the electorate "every group agrees" would be vacuously true and the
        # rule would silently become a simple majority: report it as a failing check instead.
        return [
            Check(
                "groups_present",
                1,
                0,
                False,
                ">=",
                label=_("“%(group)s”分组", group=key_label),
                subject=_("名册中没有按“%(group)s”分组的信息，无法逐群体核对", group=key_label),
                words=_,
            )
        ]
    checks = []
    for value, count in present:  # already in natural order ("3号" before "12号")
        label = _("%(group)s“%(value)s”群体", group=key_label, value=words(key, value) if words else value)
        checks.append(
            _share_check(
                f"group:{value}",
                count.agree,
                count.agree + count.disagree,
                ">",
                HALF,
                label=label,
                subject=_("%(group)s中同意票占同意与反对票之和", group=label),
                words=_,
            )
        )
    return checks


def _checks_for(
    rule: Rule, t: Tally, words: Callable[[str, str], str] | None = None, _: Words = chinese
) -> list[Check]:
    if rule.name == "simple_majority":
        return [_majority(t, _)]
    if rule.name == "two_thirds":
        agree, disagree = t.agree.headcount, t.disagree.headcount
        return [_share_check("supermajority", agree, agree + disagree, ">=", TWO_THIRDS, words=_)]
    if rule.name == "absolute_majority":
        return [_share_check("absolute_majority", t.agree.headcount, t.electorate.headcount, ">", HALF, words=_)]
    if rule.name == "quorum_majority":
        quorum = _share_check(
            "quorum", t.participants.headcount, t.electorate.headcount, ">=", rule.params["quorum"], words=_
        )
        return [quorum, _majority(t, _)]
    if rule.name == "civil_code_ordinary":
        return _participation(t, _) + _approval(t, ">", HALF, _)
    if rule.name == "civil_code_major":
        return _participation(t, _) + _approval(t, ">=", THREE_QUARTERS, _)
    return [_majority(t, _), *_group_checks(t, rule.params["group"], words, _)]


def _pass_text(rule: Rule, t: Tally, checks: list[Check], _: Words) -> str:
    agree, disagree = t.agree.headcount, t.disagree.headcount
    first = checks[0]
    if rule.name == "simple_majority":
        return _("同意%(agree)d票，多于反对%(disagree)d票", agree=agree, disagree=disagree)
    if rule.name == "two_thirds":
        return _("同意票占同意与反对票之和的%(percent)s，达到三分之二以上", percent=first.actual_percent)
    if rule.name == "absolute_majority":
        return _("同意%(agree)d人，占全体表决权人数的%(percent)s，过半数", agree=agree, percent=first.actual_percent)
    if rule.name == "quorum_majority":
        return _(
            "参与表决的人数占全体表决权人数的%(percent)s，达到%(quorum)s，且同意%(agree)d票，多于反对%(disagree)d票",
            percent=first.actual_percent, quorum=_at_least(rule.params["quorum"], _), agree=agree, disagree=disagree,
        )
    if rule.name == "civil_code_ordinary":
        return _("参与表决的面积和人数均达到三分之二以上，同意的面积和人数均过半数")
    if rule.name == "civil_code_major":
        return _("参与表决的面积和人数均达到三分之二以上，同意的面积和人数均达到四分之三以上")
    return _("同意%(agree)d票，多于反对%(disagree)d票，且各%(group)s群体中同意票均多于反对票", agree=agree,
             disagree=disagree, group=_group_key_label(rule.params["group"], _))


_SUMMARY_MAX_CLAUSES = 3


def _summary(rule: Rule, t: Tally, checks: list[Check], agreed: bool, _: Words = chinese) -> str:
    if t.electorate.headcount == 0:
        return _("未通过：表决权人名册为空，无法形成决定。")
    if agreed:
        return _("通过：%(reason)s。", reason=_pass_text(rule, t, checks, _))
    if t.participants.headcount == 0:
        return _("未通过：无人参与表决。")
    failing = [check for check in checks if not check.passed]
    clauses = [check.explanation for check in failing[:_SUMMARY_MAX_CLAUSES]]
    if len(failing) > _SUMMARY_MAX_CLAUSES:
        clauses.append(_("另有%(n)d项要求未满足", n=len(failing) - _SUMMARY_MAX_CLAUSES))
    return _("未通过：%(reasons)s。", reasons=_("；").join(clauses))


def decide(
    rule: Rule | str,
    tally: Tally,
    *,
    group_words: Callable[[str, str], str] | None = None,
    words: Words = chinese,
) -> Decision:
    """Apply ``rule`` (a :class:`Rule`, or a preset name with its default parameters) to ``tally``.

    Never raises for a valid Tally: empty electorates, nobody voting and zero areas give failing
    checks and a summary that says why. ``group_words(group, value)``, where given, names a group's
    value in the check labels (年龄段“60岁以上”群体) while the check names keep the value itself
    (``group:60+``); without it the value is its own name. ``words`` (gettext's shape) words the
    labels, explanations and summary in another language; by default they are Chinese (DESIGN §3).
    The outcome and the figures never depend on the wording.
    """
    if isinstance(rule, str):
        rule = Rule.preset(rule)
    if not isinstance(rule, Rule):
        raise ValueError(f"规则须为 Rule 或预设名称：{rule!r}（rule must be a Rule or a preset name）")
    if not isinstance(tally, Tally):
        raise ValueError(f"须传入 Tally：{tally!r}（expected a Tally; build one with tally()）")
    if not callable(words):
        raise ValueError(f"words 须为翻译函数：{words!r}（words must be a translator such as gettext）")
    checks = _checks_for(rule, tally, group_words, words)
    agreed = all(check.passed for check in checks)
    return Decision(rule, agreed, tuple(checks), _summary(rule, tally, checks, agreed, words), tally, words)


# --------------------------------------------------------------------------------------------------
# Choices between variants
# --------------------------------------------------------------------------------------------------


def _check_options(options: Iterable[str]) -> list[str]:
    if isinstance(options, str):
        raise ValueError("options 须为选项列表，而不是单个字符串（options must be a list of str）")
    listed = list(options)
    if not listed:
        raise ValueError("至少需要一个选项（at least one option is needed）")
    for option in listed:
        if not isinstance(option, str) or not option:
            raise ValueError(f"选项须为非空字符串：{option!r}（options must be non-empty str）")
    duplicates = sorted({option for option in listed if listed.count(option) > 1})
    if duplicates:
        raise ValueError(f"选项重复：{'、'.join(duplicates)}（duplicate option）")
    return listed


def _unknown_option(option: object) -> ValueError:
    return ValueError(f"未知的选项：{option!r}（unknown option）")


@dataclass(frozen=True)
class OptionCount:
    """One option's votes and their ``share`` of all ballots cast (0 when none were cast)."""

    option: str
    votes: int
    share: Fraction


@dataclass(frozen=True)
class CountResult:
    """The outcome of :func:`count_single` or :func:`count_approval`.

    ``results`` lists every option, most votes first (equal votes keep the options' order);
    ``winners`` holds every option with the most votes — more than one is a tie, left for people to
    resolve — and is empty when no option got a vote.
    """

    method: str
    results: list[OptionCount]
    winners: list[str]
    ballots: int

    @property
    def is_tie(self) -> bool:
        return len(self.winners) > 1

    @property
    def votes(self) -> dict[str, int]:
        """``{option: votes}`` in the order of ``results``."""
        return {result.option: result.votes for result in self.results}


def _count_result(method: str, options: list[str], votes: Counter, ballots: int) -> CountResult:
    ordered = sorted(options, key=lambda option: -votes[option])  # sorted() is stable: ties keep order
    results = [
        OptionCount(option, votes[option], Fraction(votes[option], ballots) if ballots else Fraction(0))
        for option in ordered
    ]
    top = max(votes[option] for option in options)
    winners = [option for option in ordered if votes[option] == top] if top > 0 else []
    return CountResult(method, results, winners, ballots)


def count_single(
    options: Iterable[str], ballots: Iterable[str | None] | Mapping[Any, str | None]
) -> CountResult:
    """Count one-choice ballots: each ballot names one option, or is ``None`` (blank, still cast).

    ``ballots`` is an iterable of choices or a mapping voter → choice (its values are counted).
    An option not in ``options`` raises ValueError.
    """
    listed = _check_options(options)
    known = set(listed)
    choices = ballots.values() if isinstance(ballots, Mapping) else ballots
    votes: Counter = Counter()
    cast = 0
    for choice in choices:
        cast += 1
        if choice is None:
            continue
        if not isinstance(choice, str) or choice not in known:
            raise _unknown_option(choice)
        votes[choice] += 1
    return _count_result("single", listed, votes, cast)


def count_approval(
    options: Iterable[str], ballots: Iterable[Iterable[str]] | Mapping[Any, Iterable[str]]
) -> CountResult:
    """Count approval ballots: each ballot is a set of the options the voter accepts (may be empty).

    ``ballots`` is an iterable of sets (or lists) or a mapping voter → set. An option named twice
    on one ballot counts once; an unknown option raises ValueError.
    """
    listed = _check_options(options)
    known = set(listed)
    approvals = ballots.values() if isinstance(ballots, Mapping) else ballots
    votes: Counter = Counter()
    cast = 0
    for approval in approvals:
        # A bare string would be read letter by letter: refuse it rather than guess.
        if isinstance(approval, str) or not isinstance(approval, Iterable):
            raise ValueError(
                f"认可投票的每张选票须为选项集合：{approval!r}（a ballot must be a set of options）"
            )
        chosen = list(approval)
        for option in chosen:
            if not isinstance(option, str) or option not in known:
                raise _unknown_option(option)
        votes.update(set(chosen))
        cast += 1
    return _count_result("approval", listed, votes, cast)


@dataclass(frozen=True)
class SchulzeResult:
    """The outcome of :func:`schulze`.

    ``winners``: the Schulze winners (more than one is a tie; empty when nobody ranked anything).
    ``ranking``: tiers, best first, every option once; options in one tier are tied.
    ``pairwise[a][b]``: how many ballots prefer a to b. ``strongest_paths[a][b]``: the strength of
    the strongest path from a to b. ``ballots``: the number of rankings counted.
    """

    options: list[str]
    winners: list[str]
    ranking: list[list[str]]
    pairwise: dict[str, dict[str, int]]
    strongest_paths: dict[str, dict[str, int]]
    ballots: int

    @property
    def is_tie(self) -> bool:
        return len(self.winners) > 1


def _ranks(ranking: object, known: set[str], unranked: int) -> dict[str, int]:
    """Rank position per option: 0 is best; options not listed get ``unranked`` (below all listed)."""
    if isinstance(ranking, str) or not isinstance(ranking, Iterable):
        raise ValueError(
            f"每张排序选票须为列表，如 ['A', ['B', 'C']]：{ranking!r}（a ranking must be a list）"
        )
    positions: dict[str, int] = {}
    for position, entry in enumerate(ranking):
        tier = [entry] if isinstance(entry, str) else entry
        if not isinstance(tier, Iterable):
            raise ValueError(
                f"排序中的项须为选项或选项列表：{entry!r}（expected an option or a list of them）"
            )
        for option in tier:
            if not isinstance(option, str) or option not in known:
                raise _unknown_option(option)
            if option in positions:
                raise ValueError(f"同一张选票中选项出现两次：{option!r}（option ranked twice）")
            positions[option] = position
    return {option: positions.get(option, unranked) for option in known}


def schulze(options: Iterable[str], rankings: Iterable[Sequence[str | Iterable[str]]]) -> SchulzeResult:
    """Count ranked ballots by the Schulze method.

    Each ranking lists options from most to least preferred; an entry may itself be a list (or set)
    of options ranked equal, e.g. ``["B", ["A", "C"], "D"]``. Options a ballot leaves out rank
    equal to each other, below every option it lists. Unknown or repeated options raise ValueError.
    """
    listed = _check_options(options)
    known = set(listed)
    # Identical ballots are counted once with a weight: the pairwise work grows with distinct
    # rankings, not with the number of voters.
    weights: Counter = Counter()
    cast = 0
    unranked = len(listed)
    for ranking in rankings:
        ranks = _ranks(ranking, known, unranked)
        weights[tuple(ranks[option] for option in listed)] += 1
        cast += 1

    index = range(len(listed))
    d = [[0] * len(listed) for _ in index]
    for ranks, weight in weights.items():
        for i in index:
            for j in index:
                if ranks[i] < ranks[j]:
                    d[i][j] += weight
    ranked_anything = any(rank < unranked for ranks in weights for rank in ranks)

    # Strongest paths (widest paths, Floyd–Warshall style) over the pairwise wins.
    p = [[d[i][j] if i != j and d[i][j] > d[j][i] else 0 for j in index] for i in index]
    for k in index:
        for i in index:
            if i == k:
                continue
            for j in index:
                if j != i and j != k:
                    p[i][j] = max(p[i][j], min(p[i][k], p[k][j]))

    # a beats b when p[a][b] > p[b][a]; Schulze proved this relation transitive, so peeling off the
    # unbeaten options tier by tier gives a consistent ranking.
    remaining = list(index)
    tiers: list[list[int]] = []
    while remaining:
        tier = [i for i in remaining if not any(p[j][i] > p[i][j] for j in remaining if j != i)]
        tiers.append(tier)
        remaining = [i for i in remaining if i not in tier]

    ranking = [[listed[i] for i in tier] for tier in tiers]
    return SchulzeResult(
        options=listed,
        winners=list(ranking[0]) if ranked_anything else [],
        ranking=ranking,
        pairwise={listed[i]: {listed[j]: d[i][j] for j in index if j != i} for i in index},
        strongest_paths={listed[i]: {listed[j]: p[i][j] for j in index if j != i} for i in index},
        ballots=cast,
    )
