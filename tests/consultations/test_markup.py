"""Proposals are Markdown stored as sanitised HTML; version differences are readable."""

from __future__ import annotations

import pytest

from deliberation.consultations import proposals
from deliberation.consultations.markup import line_diff, render_markdown, sanitize_html


@pytest.mark.parametrize(
    ("markdown", "forbidden"),
    [
        ("<script>alert(1)</script>", ["<script", "alert(1)"]),
        ("<img src=x onerror=alert(1)>", ["<img", "onerror"]),
        ("[点我](javascript:alert(1))", ["<a", "href"]),  # left as plain text
        ('<a href="javascript:alert(1)">点我</a>', ["javascript:"]),
        ('<a href="https://example.com" onclick="steal()">链接</a>', ["onclick", "steal"]),
        ('<p style="position:fixed">样式</p>', ["style", "position"]),
        ("<style>body{display:none}</style>", ["<style", "display"]),
        ("[数据](data:text/html;base64,PHNjcmlwdD4=)", ["<a", "href"]),
        ('<iframe src="https://evil.example"></iframe>', ["<iframe"]),
    ],
)
def test_dangerous_markup_is_removed(markdown, forbidden):
    html = render_markdown(markdown)
    for bad in forbidden:
        assert bad not in html


def test_allowed_markup_is_kept_and_links_get_rel_nofollow_noopener():
    html = render_markdown(
        "# 方案\n\n- **加粗** 和 *强调*\n\n[导则](https://www.shanghai.gov.cn/)\n\n"
        "| 项目 | 万元 |\n|---|---|\n| 坡道 | 9 |\n\n> 引用\n\n`代码`"
    )
    assert "<h3>方案</h3>" in html
    assert "<strong>加粗</strong>" in html and "<em>强调</em>" in html
    assert '<a href="https://www.shanghai.gov.cn/" rel="nofollow noopener">导则</a>' in html
    assert "<table>" in html and "<td>坡道</td>" in html
    assert "<blockquote>" in html and "<code>代码</code>" in html


def test_mailto_links_survive_but_a_pasted_rel_is_replaced():
    html = sanitize_html('<a href="mailto:jwh@example.com" rel="opener" target="_blank">写信</a>')
    assert html == '<a href="mailto:jwh@example.com" rel="nofollow noopener">写信</a>'


def test_the_proposal_keeps_the_markdown_and_stores_only_sanitised_html(session, consultation, secretary):
    proposal = proposals.create_proposal(
        session, secretary, consultation, "方案一", "正文 <script>alert('x')</script> <b onmouseover=x>粗</b>"
    )
    version = proposal.current_version
    assert "<script>" in version.body_markdown
    assert "<script" not in version.body_html and "onmouseover" not in version.body_html


def test_line_diff_lists_added_and_removed_lines():
    lines = line_diff("第一行\n坡道\n第三行", "第一行\n坡道加扶手\n第三行\n充电柜")
    assert [(line.kind, line.text) for line in lines] == [
        ("same", "第一行"),
        ("removed", "坡道"),
        ("added", "坡道加扶手"),
        ("same", "第三行"),
        ("added", "充电柜"),
    ]


def test_a_new_version_keeps_the_earlier_one_and_the_difference_is_shown_escaped(
    client, login, session, consultation, secretary, resident
):
    proposal = proposals.create_proposal(session, secretary, consultation, "方案一", "坡道\n施工三个月")
    proposals.add_version(
        session,
        secretary,
        proposal,
        "方案一（第二版）",
        "坡道加扶手\n施工三个月\n<b>避开春节</b>",
        "根据居民意见修改",
    )
    session.commit()
    assert [v.number for v in proposal.versions] == [1, 2]
    login("wangayi")
    page = client.get(f"/proposals/{proposal.id}?diff=2")
    assert page.status_code == 200
    text = page.text
    assert "根据居民意见修改" in text
    assert 'class="removed"' in text and 'class="added"' in text
    assert "&lt;b&gt;避开春节&lt;/b&gt;" in text
    old = client.get(f"/proposals/{proposal.id}?version=1")
    assert "这是旧版本" in old.text and "施工三个月" in old.text


def test_a_new_version_needs_a_change_note(session, consultation, secretary):
    from deliberation.errors import Invalid

    proposal = proposals.create_proposal(session, secretary, consultation, "方案一", "正文")
    with pytest.raises(Invalid):
        proposals.add_version(session, secretary, proposal, "方案一", "新正文", "  ")
