"""Input made safe before it reaches the database or a date conversion: the one place for it.

- **Text** carries no NUL (PostgreSQL refuses it in text columns) and no lone surrogate (it cannot be
  encoded as UTF-8): a request with either is refused, naming the field, before any view runs.
- **JSON** is nested at most MAX_JSON_DEPTH deep: deeper, the parser would recurse past Python's limit.
- **Whole numbers** fit the database's INTEGER column (ids in URLs, bodies and parameters alike).
- **Dates and times** lie between EARLIEST and LATEST: Asia/Shanghai conversions of 0001-01-01 or
  9999-12-31 overflow, and no consultation is held in either.

Pages check forms through `deliberation.forms.SafeForm`, the API its parsed arguments through
`deliberation.api.arguments`; both ask `problem()` here. Query parameters read by hand go through
`day_arg()` and `id_arg()`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask import request
from flask_babel import gettext as _

from deliberation.errors import DomainError

MAX_JSON_DEPTH = 32
ID_MAX = 2**31 - 1
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)

# A JSON escape of a high surrogate not followed by a low one, or a low one not preceded by a high one.
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_NUL_ESCAPE = re.compile(rb"\\u0000")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class UnsafeInput(DomainError):
    """A request refused before any view ran (400), with the field it concerns."""


def check_request() -> None:
    """Before each request: refuse a NUL or a lone surrogate in the query, the form or the JSON body,
    and JSON nested deeper than MAX_JSON_DEPTH."""
    for where in (request.args, request.form):
        for name, value in where.items(multi=True):
            if (message := text_problem(name)) or (message := text_problem(value)):
                raise UnsafeInput(message, fields={name: message})
    if request.is_json:
        body = request.get_data(cache=True)
        if _NUL_ESCAPE.search(body) or b"\x00" in body:
            raise UnsafeInput(_("提交的文字含有空字符（NUL），请删除后重试"))
        if _LONE_SURROGATE.search(body):
            raise UnsafeInput(_("提交的文字含有无法识别的字符，请删除后重试"))
        if json_depth(body) > MAX_JSON_DEPTH:
            raise UnsafeInput(_("提交的数据嵌套太深（最多 %(n)d 层）", n=MAX_JSON_DEPTH))


def text_problem(value: str) -> str | None:
    """Why a text cannot be stored, or None."""
    if "\x00" in value:
        return _("不能含有空字符（NUL）")
    if any("\ud800" <= c <= "\udfff" for c in value):
        return _("含有无法识别的字符")
    return None


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count), without
    parsing it. An ordinary body has few brackets and is not measured."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def problem(value) -> str | None:
    """Why a parsed value (a number, a date, a time) cannot be used, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        return _("数字超出范围")
    if isinstance(value, datetime):
        day = value.astimezone(UTC).date() if value.tzinfo else value.date()
        if not EARLIEST <= day <= LATEST:
            return _("日期须在 %(first)d 年至 %(last)d 年之间", first=EARLIEST.year, last=LATEST.year)
    elif isinstance(value, date) and not EARLIEST <= value <= LATEST:
        return _("日期须在 %(first)d 年至 %(last)d 年之间", first=EARLIEST.year, last=LATEST.year)
    if isinstance(value, str):
        return text_problem(value)
    return None


def problems_in(data, path: str = "") -> dict[str, str]:
    """Every unusable value in parsed data (dicts, lists), by its dotted path."""
    found: dict[str, str] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            found.update(problems_in(value, f"{path}.{key}" if path else str(key)))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found.update(problems_in(value, f"{path}.{index}" if path else str(index)))
    elif message := problem(data):
        found[path or "value"] = message
    return found


def day_arg(name: str) -> date | None:
    """A date from the query string (?week=2026-12-07), or None when missing, malformed or outside
    EARLIEST..LATEST."""
    try:
        value = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    return value if EARLIEST <= value <= LATEST else None


def is_id(text: str) -> bool:
    """Whether a text is a positive id that fits the INTEGER column (ASCII digits only)."""
    return text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= ID_MAX


def id_arg(name: str) -> int | None:
    """A positive id from the query string, or None when missing, malformed or too large for the column."""
    value = request.args.get(name, "")
    return int(value) if is_id(value) else None
