"""The Markdown minutes quote what residents typed: no viewer may find a javascript:, vbscript: or data: link
in them, however it is spelled (reference definitions, entities, escapes, angle brackets)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from deliberation.minutes import services
from deliberation.minutes.render import _inert

PAYLOADS = [
    "[点我](javascript:alert(1))",
    "[点我](JaVaScRiPt:alert(1))",
    "[点我](  javascript:alert(1))",
    "[点我](\njavascript:alert(1))",
    "[点我](vbscript:msgbox(1))",
    "![图](data:image/svg+xml;base64,PHN2Zy8+)",
    "[点我](data:text/html,<script>alert(1)</script>)",
    "[点我][a]\n\n[a]: javascript:alert(1)",
    "[点我][a]\n\n[a]:\n  javascript:alert(1)",
    "[点我][a]\n\n   [a]: <javascript:alert(1)>",
    "> [点我][a]\n>\n> [a]: javascript:alert(1)",
    "- [点我][a]\n\n  [a]: javascript:alert(1)",
    "[点我][]\n\n[点我]: javascript:alert(1) \"标题\"",
    "[点我](&#106;avascript:alert(1))",
    "[点我](&#x6A;avascript:alert(1))",
    "[点我](&#X6a;&#x61;vascript:alert(1))",
    "[点我](&#0000106;avascript:alert(1))",
    "[点我](javascript&colon;alert(1))",
    "[点我](javascript&#58;alert(1))",
    "[点我](&#x20;javascript:alert(1))",
    "[点我][a]\n\n[a]: &#106;avascript:alert(1)",
    "[点我](javascript\\:alert(1))",
    "[点我](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">点我</a>",
    "<img src=x onerror=alert(1)>",
]
# Harmless in a CommonMark viewer (it percent-encodes a tab, keeps &amp; as "&"), dangerous in one that
# decodes entities twice or hands a tab to the browser, which drops it from the scheme.
LENIENT_VIEWER_PAYLOADS = [
    "[点我](java&Tab;script:alert(1))",
    "[点我](java&NewLine;script:alert(1))",
    "[点我](&amp;#106;avascript:alert(1))",
    "[点我][a]\n\n[a]: &amp;&#35;106;avascript:alert(1)",
]
UNSAFE = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)
URL_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f]")


class Targets(HTMLParser):
    """Every href and src of the rendered HTML (the parser decodes their entities, as a browser does)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [value or "" for name, value in attrs if name in ("href", "src")]


def viewer_urls(markdown: str) -> tuple[list[str], list[str]]:
    """What a permissive viewer makes of the Markdown: raw HTML on, every link kept (no scheme filter)."""
    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = lambda url: True
    parser = Targets()
    parser.feed(md.render(markdown))
    return parser.urls, parser.tags


def runs_script(url: str) -> bool:
    return bool(UNSAFE.match(URL_IGNORED.sub("", url)))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_payload_is_dangerous_as_typed_and_inert_in_the_minutes(payload):
    urls, tags = viewer_urls(payload)
    assert any(runs_script(url) for url in urls) or {"script", "img", "a"} & set(tags), "the payload is real"
    inert = _inert(payload)
    urls, tags = viewer_urls(inert)
    assert not [url for url in urls if runs_script(url)]
    assert "<" not in inert and "script" not in tags, "raw HTML is shown as text"
    assert all(word in inert for word in ("点我", "图") if word in payload), "what the resident wrote stays"


@pytest.mark.parametrize("payload", LENIENT_VIEWER_PAYLOADS)
def test_a_lenient_viewer_s_payload_loses_its_destination(payload):
    inert = _inert(payload)
    assert "](#)" in inert or inert.endswith("]: #")
    assert "avascript" not in inert.replace("](#)", "")


@pytest.mark.parametrize("text", [
    "[街道公告](https://example.org/公告?a=1&b=2)",
    "[图纸][p]\n\n[p]: https://example.org/图纸.pdf",
    "坡度 1:12，门宽 90 厘米；data: 见附件",
    "[锚点](#第二轮)",
])
def test_ordinary_links_and_text_are_kept(text):
    assert _inert(text) == text


def test_a_resident_s_payload_in_a_comment_is_inert_in_the_exported_markdown(session, secretary, run, residents):
    """The consultation is closed by then: the comment's text is set on the record, as if typed earlier."""
    from deliberation.consultations.models import Comment

    consultation = run.consultation
    payload = "[点我][a] 与 [再点](&#106;avascript:alert(2))\n\n[a]: javascript:alert(1)"
    comment = session.query(Comment).filter_by(consultation_id=consultation.id, body=run.concern_text).one()
    comment.body = payload
    session.commit()
    markdown = services.export(session, secretary, consultation, "md")[0].decode()
    assert "点我" in markdown and "再点" in markdown
    urls, _tags = viewer_urls(markdown)
    assert urls == ["#", "#"]
