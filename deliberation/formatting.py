"""Dates and times as people read them: in the reader's time zone and language, for pages and documents; tables
of words translated once per language, and a template's words looked up in one language's translations."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask_babel import format_date as babel_format_date
from flask_babel import format_datetime as babel_format_datetime
from flask_babel import get_locale, get_translations, to_user_timezone
from jinja2 import pass_context
from markupsafe import Markup

SHANGHAI = ZoneInfo("Asia/Shanghai")  # where the communities are: days are counted on its calendar
T = TypeVar("T")


def per_language(build: Callable[[], T]) -> Callable[[], T]:
    """A table of translated words (`build` calls gettext) built once per language, not at every call: a page
    that names six phases looked up thirty translations."""
    built: dict[str, T] = {}

    @functools.wraps(build)
    def table() -> T:
        language = str(get_locale())
        found = built.get(language)
        if found is None:
            found = built[language] = build()
        return found

    return table


def template_gettext() -> dict[str, Callable]:
    """`gettext` and `ngettext` for one rendering, on the translations of its language looked up once: a template's
    `_()` finds them in its context before the environment's, which look the translations up again at every call
    (Flask-Babel). The same as Jinja's new-style gettext (jinja2.ext): our catalogue's words marked safe where the
    template escapes, the variables escaped by Markup's %, always %-formatted (words without a variable or a % read
    as they are: formatting them changes nothing, and most of a page's words are such)."""
    translations = get_translations()

    @pass_context
    def gettext(context, string: str, **variables):
        text = translations.ugettext(string)
        if not variables and "%" not in text:
            return Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704 -- as jinja2.ext
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704 -- as jinja2.ext

    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, **variables):
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704 -- as jinja2.ext

    return {"gettext": gettext, "ngettext": ngettext}


# Babel patterns of digits only, the same in every language, and their strftime: no pattern to interpret.
DIGITS_ONLY = {"yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M", "MM-dd HH:mm": "%m-%d %H:%M", "HH:mm": "%H:%M"}


def format_datetime(value, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A stored UTC time in the reader's time zone (Asia/Shanghai), by a Babel pattern; "" for none."""
    if not value:
        return ""
    try:
        digits = DIGITS_ONLY.get(fmt)
        if digits is not None:
            return to_user_timezone(value).strftime(digits)
        return babel_format_datetime(value, fmt)
    except OverflowError:  # a time stored before inputs were bounded (9999-12-31): shown, so it can be fixed
        return value.strftime("%Y-%m-%d %H:%M UTC")


def format_date(value, fmt: str = "yyyy-MM-dd") -> str:
    """A date (or the date of a time) by a Babel pattern; "" for none."""
    return babel_format_date(value, fmt) if value else ""


def local_date(moment: datetime) -> date:
    """The calendar day of a stored time in Shanghai (a naive time is UTC, as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).date()


def local_days_between(start: datetime, end: datetime) -> int:
    """Whole days from one moment to another as people in Shanghai count them: the same local day is 0,
    23:50 to 00:10 the next day is 1 (the days on the calendar, not the hours between)."""
    return (local_date(end) - local_date(start)).days
