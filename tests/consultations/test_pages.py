"""The pages a secretary and a resident walk through, without JavaScript and without inline styles."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from deliberation.consultations import comments, ideas, proposals
from deliberation.consultations.models import BlockedWord, Consultation, JointMeeting, Notification, Phase

NEXT_YEAR = date.today().year + 1


def _no_inline_code(html: str) -> None:
    # Script only from our own static files (the 朗读 button's speak.js), never inline.
    assert all(re.fullmatch(r'<script src="/static/js/[a-z_]+\.js" defer>', tag)
               for tag in re.findall(r"<script[^>]*>", html)), re.findall(r"<script[^>]*>", html)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_a_secretary_sets_up_a_session_with_the_forms(client, login, session, secretary, community):
    login("shuji")
    form = client.get(f"/communities/{community.id}/consultations/new")
    assert form.status_code == 200
    _no_inline_code(form.text)
    refused = client.post(
        f"/communities/{community.id}/consultations/new", data={"title": "", "background": "写了"}
    )
    assert refused.status_code == 422 and "写了" in refused.text
    response = client.post(
        f"/communities/{community.id}/consultations/new",
        data={
            "title": "党群服务站升级改造方案征询",
            "background": "服务站面积小",
            "participants": "居委会、业委会、物业",
            "eligibility": "community",
            "commenting_at": "",
            "voting_at": "",
            "closes_at": "",
        },
    )
    assert response.status_code == 302
    consultation = session.execute(select(Consultation)).scalar_one()
    assert consultation.phase == Phase.DRAFT
    edit = client.post(
        f"/consultations/{consultation.id}/edit",
        data={
            "title": "党群服务站升级改造方案征询",
            "background": "服务站面积小，设施旧",
            "eligibility": "community",
            "pre_moderation": "y",
            "closes_at": f"{NEXT_YEAR}-12-31T18:00",  # a close more than five years ahead is refused
        },
    )
    assert edit.status_code == 302
    session.refresh(consultation)
    assert consultation.pre_moderation and consultation.closes_at.hour == 10  # 18:00 in Shanghai is 10:00 UTC
    client.post(f"/consultations/{consultation.id}/phase", data={"phase": "commenting"})
    client.post(f"/consultations/{consultation.id}/rounds", data={"closes_at": f"{NEXT_YEAR}-01-31T20:00"})
    client.post(
        f"/consultations/{consultation.id}/meetings",
        data={
            "held_at": "2026-11-20T14:00",
            "place": "服务站会议室",
            "attendees": "街道、物业、居民代表",
            "notes": "记录",
        },
    )
    session.refresh(consultation)
    assert consultation.phase == Phase.COMMENTING
    assert consultation.open_round is not None
    assert session.execute(select(JointMeeting.place)).scalar() == "服务站会议室"
    page = client.get(f"/consultations/{consultation.id}")
    _no_inline_code(page.text)
    assert "服务站会议室" in page.text and "第 1 轮" in page.text


def test_the_buildings_eligibility_form_lists_the_communitys_buildings(
    client, login, session, secretary, resident, community
):
    login("shuji")
    page = client.get(f"/communities/{community.id}/consultations/new").text
    assert "3号楼" in page
    building_id = int(re.search(r'name="building_ids" type="checkbox" value="(\d+)"', page).group(1))
    response = client.post(
        f"/communities/{community.id}/consultations/new",
        data={"title": "3号楼加装电梯", "eligibility": "buildings", "building_ids": [building_id]},
    )
    assert response.status_code == 302
    consultation = session.execute(select(Consultation)).scalar_one()
    assert [b.name for b in consultation.buildings] == ["3号楼"]
    missing = client.post(
        f"/communities/{community.id}/consultations/new", data={"title": "没选楼", "eligibility": "buildings"}
    )
    assert missing.status_code == 422 and "请选择本居民区的楼栋" in missing.text


def test_residents_get_403_on_moderator_pages(client, login, consultation, resident, community):
    login("wangayi")
    for path in (
        f"/communities/{community.id}/consultations/new",
        f"/consultations/{consultation.id}/edit",
        f"/consultations/{consultation.id}/proposals/new",
        f"/communities/{community.id}/moderation",
    ):
        assert client.get(path).status_code == 403, path


def test_every_page_renders_for_a_moderator_and_a_resident(
    client, login, session, consultation, round_, resident, secretary, community
):
    proposal = proposals.create_proposal(session, secretary, consultation, "方案一", "正文")
    comment = comments.post_comment(session, resident, consultation, "意见")
    comments.post_comment(
        session, secretary, consultation, "答复", parent_id=comment.id, official_answer=True
    )
    idea = ideas.post_idea(session, resident, community, "长椅", "加长椅")
    session.commit()
    pages = [
        f"/communities/{community.id}/consultations",
        f"/consultations/{consultation.id}",
        f"/consultations/{consultation.id}?sort=newest&round=1&page=1",
        f"/proposals/{proposal.id}",
        f"/communities/{community.id}/ideas",
        f"/communities/{community.id}/ideas?sort=newest",
        f"/ideas/{idea.id}",
        "/notifications",
    ]
    for username, extra in (
        (
            "shuji",
            [
                f"/consultations/{consultation.id}/edit",
                f"/consultations/{consultation.id}/proposals/new",
                f"/proposals/{proposal.id}/versions/new",
                f"/communities/{community.id}/moderation",
            ],
        ),
        ("wangayi", []),
    ):
        login(username)
        for path in pages + extra:
            response = client.get(path)
            assert response.status_code == 200, (username, path)
            _no_inline_code(response.text)
            assert "css/consultations.css" in response.text
        client.post("/logout")


def test_notifications_are_listed_and_marked_read(
    client, login, session, consultation, round_, resident, secretary
):
    comment = comments.post_comment(session, resident, consultation, "有必要吗？")
    comments.post_comment(
        session, secretary, consultation, "有必要", parent_id=comment.id, official_answer=True
    )
    session.commit()
    login("wangayi")
    page = client.get("/notifications").text
    assert "收到了正式答复" in page and f"/consultations/{consultation.id}#comment-" in page
    client.post("/notifications/read")
    assert session.execute(select(Notification.read_at)).scalar() is not None


def test_blocked_words_are_added_and_removed_on_the_moderation_page(
    client, login, session, secretary, community
):
    login("shuji")
    client.post(f"/communities/{community.id}/blocked-words", data={"word": "骗子"})
    word = session.execute(select(BlockedWord)).scalar_one()
    assert "骗子" in client.get(f"/communities/{community.id}/moderation").text
    client.post(f"/communities/{community.id}/blocked-words/{word.id}/delete")
    assert session.execute(select(BlockedWord)).first() is None


def test_the_care_mode_page_renders(client, login, session, consultation, resident):
    login("wangayi")
    client.post("/preferences/care")
    page = client.get(f"/consultations/{consultation.id}").text
    assert 'class="care"' in page


def test_email_is_queued_only_when_smtp_is_configured(
    app, session, consultation, round_, resident, secretary
):
    from deliberation.jobs.models import Delivery as OutboxMessage

    comment = comments.post_comment(session, resident, consultation, "问")
    comments.post_comment(session, secretary, consultation, "答", parent_id=comment.id, official_answer=True)
    assert session.execute(select(OutboxMessage)).first() is None
    app.config["SMTP_URL"] = "smtp://mail.example:25"
    app.config["DELIVER_AFTER_COMMIT"] = False
    comments.post_comment(session, secretary, consultation, "补充", parent_id=comment.id)
    assert session.execute(select(OutboxMessage)).first() is None  # the resident has no e-mail address
    resident.email = "wangayi@example.org"
    comments.post_comment(session, secretary, consultation, "再补充", parent_id=comment.id)
    assert session.execute(select(OutboxMessage.user_id)).scalar() == resident.id


def test_a_round_refused_shows_its_form_again_with_what_was_typed(client, login, session, secretary, community):
    """A round's dates refused (no close; a close before its opening) or a round opened in the wrong phase: the
    session page again, the round's form open with the dates as typed and why, nothing opened."""
    from deliberation.consultations import services

    consultation = services.create_consultation(session, secretary, community, services.ConsultationInput(
        title="花园改造征询", background="花园"))
    services.move_phase(session, secretary, consultation, Phase.COMMENTING)
    session.commit()
    login("shuji")
    missing = client.post(f"/consultations/{consultation.id}/rounds", data={"opens_at": f"{NEXT_YEAR}-03-01T09:00"})
    assert missing.status_code == 422
    assert f'value="{NEXT_YEAR}-03-01T09:00"' in missing.text
    assert 'id="round-form" open' in missing.text
    backwards = client.post(f"/consultations/{consultation.id}/rounds",
                            data={"opens_at": f"{NEXT_YEAR}-03-01T09:00", "closes_at": f"{NEXT_YEAR}-02-01T18:00"})
    assert backwards.status_code == 422
    assert "截止时间须晚于开始时间和现在" in backwards.text and "截止时间太早" in backwards.text
    assert f'value="{NEXT_YEAR}-02-01T18:00"' in backwards.text and 'id="round-form" open' in backwards.text
    _no_inline_code(backwards.text)
    session.refresh(consultation)
    assert consultation.rounds == []
