"""Markdown to sanitised HTML, and readable differences between versions of a proposal."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import bleach
from bleach.html5lib_shim import Filter
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p",
        "ul",
        "ol",
        "li",
        "em",
        "strong",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "h3",
        "h4",
        "blockquote",
        "br",
        "code",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

# Raw HTML in the Markdown goes through to the allow-list, which keeps the harmless tags (a pasted
# table) and strips the rest with its attributes, so nothing of an <img onerror> survives even as text.
_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")
_big_headings = re.compile(r"<(/?)h[12]>")
# bleach strips a tag but keeps its text; the text of a script or style element is not for reading.
_script_or_style = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)


class _LinkRel(Filter):
    """Every link gets rel="nofollow noopener": no SEO credit and no window.opener for outside sites."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attrs = dict(token.get("data") or {})
                attrs[(None, "rel")] = LINK_REL
                token["data"] = attrs
            yield token


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_LinkRel],
)


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed tags and attributes; links only http, https and mailto."""
    return _cleaner.clean(_script_or_style.sub("", html or ""))


def render_markdown(text: str) -> str:
    """A proposal's Markdown as HTML safe to show; page headings become section headings (h3/h4)."""
    html = _markdown.render(text or "")
    html = _big_headings.sub(lambda m: f"<{m.group(1)}h{3 if m.group(0)[-2] == '1' else 4}>", html)
    return sanitize_html(html).strip()


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed" or "same"
    text: str


def line_diff(old: str, new: str) -> list[DiffLine]:
    """Line by line what changed from old to new; the template escapes the text."""
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(DiffLine("same", line) for line in old_lines[i1:i2])
            continue
        lines.extend(DiffLine("removed", line) for line in old_lines[i1:i2])
        lines.extend(DiffLine("added", line) for line in new_lines[j1:j2])
    return lines
