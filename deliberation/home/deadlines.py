"""How long until a deadline and how long something has waited, in days as people in Shanghai count them.

A deadline at midnight ends the day before (a vote closing at 12月5日 00:00 can be voted in until the
evening of 12月4日), so the last day is the local date of the instant just before it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _

from deliberation.formatting import local_date

SOON_DAYS = 3  # a vote or survey closing within this many days is "closing soon" on the moderator's home


def days_left(deadline: datetime, now: datetime) -> int:
    """Whole local days from today to the deadline's last day: 0 when it ends today, negative when past."""
    return (local_date(deadline - timedelta(microseconds=1)) - local_date(now)).days


def deadline_words(deadline: datetime | None, now: datetime) -> str:
    """今天截止 / 明天截止 / 还剩 N 天; 没有截止时间 when none is set."""
    if deadline is None:
        return _("没有截止时间")
    days = days_left(deadline, now)
    if days <= 0:
        return _("今天截止")
    if days == 1:
        return _("明天截止")
    return _("还剩 %(n)d 天", n=days)


def days_waited(since: datetime, now: datetime) -> int:
    """Whole local days since the day it was raised (0: today)."""
    return max(0, (local_date(now) - local_date(since)).days)


def waited_words(since: datetime | None, now: datetime) -> str:
    """今天提出 / 已等 1 天 / 已等 N 天."""
    if since is None:
        return ""
    days = days_waited(since, now)
    if days == 0:
        return _("今天提出")
    if days == 1:
        return _("已等 1 天")
    return _("已等 %(n)d 天", n=days)
