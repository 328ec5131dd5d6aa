"""The booking blueprint and what its pages share: the words for weekdays, noise, bookers, status; hours rows."""

from __future__ import annotations

from datetime import time

from flask import Blueprint
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from deliberation.booking.models import Room

bp = Blueprint("booking", __name__)

WEEKDAYS = (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日"))
NOISE = {"quiet": _l("安静"), "normal": _l("一般"), "noisy": _l("吵闹")}
BOOKER = {"residents": _l("居民均可预约"), "teams": _l("仅限已登记团队"), "moderators": _l("仅限居委会")}
STATUS = {"pending": _l("待审批"), "approved": _l("已确认"), "declined": _l("未获批准"),
          "cancelled": _l("已取消")}


def hours_rows(room: Room) -> list[tuple[str, str, bool]]:
    """A room's weekly hours with runs of equal days joined: (周一至周四, 09:00–21:00, closed?)."""
    next_day = _("（次日）")
    texts = ["、".join(f"{h.opens:%H:%M}–{h.closes:%H:%M}" + (next_day if h.past_midnight and h.closes != time() else "")
                      for h in room.hours_on(weekday)) for weekday in range(7)]
    rows, first = [], 0
    for weekday in range(1, 8):
        if weekday == 7 or texts[weekday] != texts[first]:
            last = weekday - 1
            days = str(WEEKDAYS[first]) if first == last else _("%(first)s至%(last)s", first=WEEKDAYS[first],
                                                                   last=WEEKDAYS[last])
            rows.append((days, texts[first] or _("不开放"), not texts[first]))
            first = weekday
    return rows


@bp.context_processor
def _labels():
    return {"weekday_names": WEEKDAYS, "noise_labels": NOISE, "booker_labels": BOOKER,
            "status_labels": STATUS, "hours_rows": hours_rows}
