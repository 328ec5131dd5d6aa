"""Bad input in every field: script is shown as text everywhere; over-long or empty text is refused whole."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deliberation.consultations import comments, sessions
from deliberation.consultations.models import Consultation, Idea, JointMeeting, Proposal, ProposalVersion

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


def _count(session, model) -> int:
    session.rollback()
    return session.execute(select(func.count()).select_from(model)).scalar()


def test_script_in_every_field_is_shown_as_text_on_every_page(
    client, login, session, community, secretary, resident, round_, consultation
):
    login("shuji")
    created = client.post(
        f"/communities/{community.id}/consultations/new",
        data={"title": "标题" + SCRIPT, "background": "背景" + SCRIPT, "participants": "参与方" + SCRIPT,
              "eligibility": "community"},
    )
    assert created.status_code == 302
    cid = int(created.headers["Location"].rsplit("/", 1)[-1])
    proposal = client.post(
        f"/consultations/{cid}/proposals/new", data={"title": "方案" + SCRIPT, "body": "正文\n\n" + SCRIPT}
    )
    assert proposal.status_code == 302
    pid = int(proposal.headers["Location"].split("/proposals/")[1].split("?")[0])
    version = client.post(
        f"/proposals/{pid}/versions/new",
        data={"title": "方案二" + SCRIPT, "body": "正文二", "change_note": "说明" + SCRIPT},
    )
    assert version.status_code == 302
    meeting = client.post(
        f"/consultations/{cid}/meetings",
        data={"held_at": "2026-11-20T19:00", "place": "地点" + SCRIPT, "attendees": "参会" + SCRIPT,
              "notes": "记录" + SCRIPT},
    )
    assert meeting.status_code == 302
    client.post("/logout")
    login("wangayi")
    idea = client.post(f"/communities/{community.id}/ideas", data={"title": "心愿" + SCRIPT, "body": "内容" + SCRIPT})
    assert idea.status_code == 302
    iid = int(idea.headers["Location"].rsplit("/", 1)[-1])
    client.post("/logout")
    login("shuji")
    pages = [
        f"/communities/{community.id}/consultations",
        f"/consultations/{cid}",
        f"/consultations/{cid}/edit",
        f"/proposals/{pid}",
        f"/proposals/{pid}?version=1",
        f"/proposals/{pid}?diff=2",
        f"/proposals/{pid}/versions/new",
        f"/communities/{community.id}/ideas",
        f"/ideas/{iid}",
    ]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        assert "<script>alert" not in page.text, path
        assert "<img src=x" not in page.text, path  # the tag (and its onerror) stays text
    detail = client.get(f"/consultations/{cid}").text
    for text in ("标题", "背景", "参与方", "地点", "参会", "记录"):
        assert text + ESCAPED in detail, text
    assert "心愿" + ESCAPED in client.get(f"/ideas/{iid}").text
    assert "说明" + ESCAPED in client.get(f"/proposals/{pid}?diff=2").text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/communities/{community}/consultations", {"title": "长" * 201}, "title"),
        ("/communities/{community}/consultations", {"title": "背景太长", "background": "长" * 20001}, "background"),
        ("/communities/{community}/consultations", {"title": "   "}, "title"),
        ("/consultations/{consultation}/proposals", {"title": "方案", "body": "长" * 20001}, "body"),
        ("/consultations/{consultation}/proposals", {"title": "方案", "body": "  "}, "body"),
        ("/communities/{community}/ideas", {"title": "心愿", "body": "长" * 5001}, "body"),
        ("/communities/{community}/ideas", {"title": "", "body": "内容"}, "title"),
    ],
)
def test_empty_or_overlong_text_is_a_422_and_nothing_is_written(
    client, api_token, session, community, consultation, secretary, path, body, field
):
    before = {m: _count(session, m) for m in (Consultation, Proposal, ProposalVersion, Idea)}
    response = client.post(
        "/api/v1" + path.format(community=community.id, consultation=consultation.id),
        headers=api_token("shuji"),
        json=body,
    )
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert {m: _count(session, m) for m in before} == before


def test_overlong_meeting_text_and_report_reason_are_refused(
    session, secretary, resident, consultation, round_
):
    from deliberation.errors import Invalid

    with pytest.raises(Invalid) as refused:
        sessions.add_meeting(session, secretary, consultation, round_.opens_at, "地点", "长" * 2001)
    assert "attendees" in refused.value.fields
    comment = comments.post_comment(session, resident, consultation, "问题")
    with pytest.raises(Invalid) as refused:
        comments.report_comment(session, secretary, comment, "长" * 501)
    assert "reason" in refused.value.fields
    session.rollback()
    assert _count(session, JointMeeting) == 0
