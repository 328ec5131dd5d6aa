"""The API's field messages as people read them: nested errors flattened, marshmallow's words translated.

marshmallow and webargs report invalid input as nested English, e.g. ``{"entries": {2: {"room":
["Missing data for required field."]}}}``. The API answers ``{"entries.2.room": "必须填写"}``
instead (DESIGN §4): one entry per invalid value, its path in dots (list positions from 0, as the
request numbers them), its message in the request's language. Messages this platform wrote itself
(already through the catalogue) pass unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from flask_babel import gettext as _

# marshmallow's and webargs' default messages → the catalogue's words. Each pattern's named groups
# become the message's values.
_KNOWN: list[tuple[re.Pattern, Callable[..., str]]] = [
    (re.compile(pattern), words) for pattern, words in (
        (r"Missing data for required field\.", lambda: _("必须填写")),
        (r"Field may not be null\.", lambda: _("不能为空")),
        (r"Invalid value\.", lambda: _("值无效")),
        (r"Unknown field\.", lambda: _("不认识的字段")),
        (r"Invalid input type\.|Not a valid mapping type\.", lambda: _("应为对象（键值对）")),
        (r"Not a valid list\.|Not a valid tuple\.", lambda: _("应为列表")),
        (r"Not a valid string\.|Not a valid utf-8 string\.", lambda: _("应为文字")),
        (r"Not a valid integer\.", lambda: _("应为整数")),
        (r"Not a valid number\.", lambda: _("应为数字")),
        (r"Number too large\.", lambda: _("数字太大")),
        (r"Special numeric values \(nan or infinity\) are not permitted\.", lambda: _("应为有限的数字")),
        (r"Not a valid boolean\.", lambda: _("应为 true 或 false")),
        (r"Not a valid (?:aware |naive )?datetime\.|\".*\" cannot be formatted as a datetime\.",
         lambda: _("应为日期和时间，如 2026-12-02T09:30:00+08:00")),
        (r"Not a valid date\.", lambda: _("应为日期，如 2026-12-02")),
        (r"Not a valid time\.", lambda: _("应为时间，如 09:30")),
        (r"Not a valid email address\.", lambda: _("电子邮箱地址无效")),
        (r"Not a valid URL\.", lambda: _("网址无效")),
        (r"Not a valid UUID\.", lambda: _("编号格式无效")),
        (r"Shorter than minimum length (?P<min>\d+)\.", lambda min: _("长度至少为 %(min)s", min=min)),
        (r"Longer than maximum length (?P<max>\d+)\.", lambda max: _("长度最多为 %(max)s", max=max)),
        (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.",
         lambda min, max: _("长度须在 %(min)s 到 %(max)s 之间", min=min, max=max)),
        (r"Length must be (?P<equal>\d+)\.", lambda equal: _("长度须为 %(n)s", n=equal)),
        (r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
         lambda min, max: _("须在 %(min)s 到 %(max)s 之间", min=min, max=max)),
        (r"Must be greater than or equal to (?P<min>\S+)\.", lambda min: _("须不小于 %(min)s", min=min)),
        (r"Must be less than or equal to (?P<max>\S+)\.", lambda max: _("须不大于 %(max)s", max=max)),
        (r"Must be greater than (?P<min>\S+)\.", lambda min: _("须大于 %(min)s", min=min)),
        (r"Must be less than (?P<max>\S+)\.", lambda max: _("须小于 %(max)s", max=max)),
        (r"Must be one of: (?P<choices>.*)\.", lambda choices: _("须为以下之一：%(choices)s", choices=choices)),
        (r"Invalid JSON body\.", lambda: _("请求内容不是有效的 JSON")),
    )
]


def translate(message: str) -> str:
    """One message in the request's language: a known library message translated, ours unchanged."""
    text = str(message).strip()
    for pattern, words in _KNOWN:
        if found := pattern.fullmatch(text):
            return words(**found.groupdict())
    return text


def flatten(messages: object, path: str = "") -> dict[str, str]:
    """Nested error messages → {"entries.2.room": "必须填写", …}: one readable message per path.

    A schema-wide message (marshmallow's ``_schema``) is filed under its parent's path, or under
    ``_schema`` at the top; a message about the whole body (not valid JSON) under "".
    """
    if isinstance(messages, Mapping):
        fields: dict[str, str] = {}
        for key, inner in messages.items():
            name = path if key == "_schema" and path else (f"{path}.{key}" if path else str(key))
            for found, text in flatten(inner, name).items():
                fields[found] = f"{fields[found]} {text}" if found in fields else text
        return fields
    if isinstance(messages, list | tuple):
        texts = [translate(item) for item in messages if not isinstance(item, Mapping | list | tuple)]
        fields = {path: " ".join(texts)} if texts else {}
        for item in messages:
            if isinstance(item, Mapping | list | tuple):
                for found, text in flatten(item, path).items():
                    fields[found] = f"{fields[found]} {text}" if found in fields else text
        return fields
    return {path: translate(messages)}
