"""Who a person is, as the breakdowns count them: age band, tenure and building order codes, and their labels.

Services, stored rows and snapshots carry the codes; templates, charts, minutes and exports turn a code into
its label in the reader's language with `age_band_label`, `tenure_label` and `group_label`.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from deliberation import disclosure
from deliberation.accounts.models import Tenure
from deliberation.rules import natural_key

UNDER_18, ADULT_YOUNG, MIDDLE, OLDER = "<18", "18-34", "35-59", "60+"
UNDER_35 = "<35"  # rows stored before the under-18 and 18–34 bands existed
UNKNOWN = ""  # no birth year, no tenure, no building
AGE_BANDS = (UNDER_18, ADULT_YOUNG, MIDDLE, OLDER)
AGE_BAND_ORDER = (UNDER_18, ADULT_YOUNG, UNDER_35, MIDDLE, OLDER, UNKNOWN)
TENURE_ORDER = (Tenure.OWNER.value, Tenure.TENANT.value, Tenure.FAMILY.value, UNKNOWN)
GROUPS = ("building", "age", "tenure")

_AGE_LABELS = {
    UNDER_18: _l("未满18岁"),
    ADULT_YOUNG: _l("18–34岁"),
    UNDER_35: _l("35岁以下"),
    MIDDLE: _l("35–59岁"),
    OLDER: _l("60岁以上"),
}
_GROUP_LABELS = {"building": _l("楼栋"), "age": _l("年龄段"), "tenure": _l("产权")}

__all__ = ["AGE_BANDS", "AGE_BAND_ORDER", "GROUPS", "TENURE_ORDER", "UNKNOWN", "age_band", "age_band_label",
           "building_label", "group_label", "natural_key", "ordered", "tenure_label"]


def age_band(birth_year: int | None, year: int) -> str:
    """The age band code of someone born in `birth_year`, in `year` ("" when the birth year is unknown)."""
    if birth_year is None:
        return UNKNOWN
    age = year - birth_year
    return UNDER_18 if age < 18 else ADULT_YOUNG if age < 35 else MIDDLE if age < 60 else OLDER


def age_band_label(code: str | None) -> str:
    """The words for an age band code in the reader's language."""
    return str(_AGE_LABELS.get(code or "", _l("未登记")))


def tenure_label(code: Tenure | str | None) -> str:
    """The words for a tenure code in the reader's language."""
    try:
        return str(Tenure(code).title) if code else str(_l("未登记"))
    except ValueError:
        return str(_l("未登记"))


def building_label(name: str | None) -> str:
    """A building's name as shown in a breakdown ("" is a person with no building on the roster)."""
    return name if name else str(_l("未登记"))


def group_label(group: str) -> str:
    """The title of a breakdown: building, age band or tenure."""
    return str(_GROUP_LABELS.get(group, group))


def value_label(group: str, code: str | None) -> str:
    """The words for one value of a breakdown group (其他 and 少于5人 too: deliberation.disclosure)."""
    if code in disclosure.CODES:
        return disclosure.label(code)
    if group == "age":
        return age_band_label(code)
    if group == "tenure":
        return tenure_label(code)
    return building_label(code)


def ordered(group: str, values) -> list[str]:
    """The values of a breakdown group in reading order: bands youngest first, tenure owner first, buildings
    in natural order (2号楼 before 10号楼); the unknown value last."""
    values = set(values)
    if group == "age":
        return [v for v in AGE_BAND_ORDER if v in values]
    if group == "tenure":
        return [v for v in TENURE_ORDER if v in values]
    return sorted(values - {UNKNOWN}, key=natural_key) + ([UNKNOWN] if UNKNOWN in values else [])


def room_order(room) -> tuple:
    """ORDER BY terms for room numbers as people count them in SQL (102 before 1001): shorter first."""
    return (func.length(room), room)
