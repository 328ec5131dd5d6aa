"""The demo consultation loads and reads as a consultation under way."""

from __future__ import annotations

from sqlalchemy import select

from deliberation.consultations.demo import TITLE, load_demo_consultation
from deliberation.consultations.models import Comment, Idea, Phase, RoundState


def test_the_demo_consultation(client, login, session, community, secretary, resident, neighbour, make_user):
    third = make_user("zhouyeye", community)
    consultation = load_demo_consultation(session, community, secretary, [resident, neighbour, third])
    session.commit()
    assert consultation.title == TITLE == "党群服务站升级改造方案征询"
    assert consultation.effective_phase == Phase.COMMENTING
    plan_one, plan_two = consultation.proposals
    assert plan_one.is_variant and plan_two.is_variant
    assert [v.number for v in plan_one.versions] == [1, 2]
    assert len(plan_one.versions[0].pictures) == 2 and len(plan_two.current_version.pictures) == 1
    [first] = consultation.rounds
    assert first.state == RoundState.CLOSED
    question = session.execute(
        select(Comment).where(Comment.body.like("这次升级真的有必要吗？%"))
    ).scalar_one()
    answer = session.execute(
        select(Comment).where(Comment.parent_id == question.id, Comment.is_official_answer)
    ).scalar_one()
    assert answer.author_id == secretary.id
    assert consultation.meetings and session.execute(select(Idea)).scalars().all()
    login("wangayi")
    page = client.get(f"/consultations/{consultation.id}")
    assert page.status_code == 200
    assert "这次升级真的有必要吗？" in page.text and "正式答复" in page.text
    picture = plan_one.current_version.pictures[0]
    assert client.get(f"/pictures/{picture.id}").headers["Content-Type"] == "image/png"
