"""Every question answered: the state of a resident's wish or question (已收到 / 处理中 / 已答复 / 已转为方案), from
one rule, shown to its author wherever it appears."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.consultations import comments, ideas
from deliberation.consultations.models import QuestionState
from deliberation.errors import Conflict, Forbidden

STEPS = {
    "in_progress": lambda s, mod, idea, other, c: ideas.mark_in_progress(s, mod, idea),
    "answer": lambda s, mod, idea, other, c: ideas.answer_idea(s, mod, idea, "已联系物业，下周处理。"),
    "promote": lambda s, mod, idea, other, c: ideas.promote_idea(s, mod, idea, c),
    "merge": lambda s, mod, idea, other, c: ideas.merge_idea(s, mod, idea, other.id),
}


@pytest.mark.parametrize(("steps", "state", "label"), [
    pytest.param([], QuestionState.RECEIVED, "已收到", id="posted_is_received"),
    pytest.param(["in_progress"], QuestionState.IN_PROGRESS, "处理中", id="taken_up_is_in_progress"),
    pytest.param(["answer"], QuestionState.ANSWERED, "已答复", id="answered"),
    pytest.param(["in_progress", "answer"], QuestionState.ANSWERED, "已答复", id="an_answer_ends_in_progress"),
    pytest.param(["promote"], QuestionState.PROMOTED, "已转为方案", id="promoted"),
    pytest.param(["answer", "promote"], QuestionState.PROMOTED, "已转为方案", id="promotion_outranks_an_answer"),
    pytest.param(["in_progress", "promote"], QuestionState.PROMOTED, "已转为方案", id="promoted_while_in_progress"),
    pytest.param(["merge"], QuestionState.MERGED, "已合并", id="merged_into_another"),
])
def test_a_wishs_state_follows_what_happened_to_it(session, client, login, secretary, resident, neighbour,
                                                   community, consultation, steps, state, label):
    idea = ideas.post_idea(session, resident, community, "楼道灯坏了", "3号楼2单元楼道灯不亮")
    other = ideas.post_idea(session, neighbour, community, "楼道照明", "各楼楼道灯老化")
    for step in steps:
        STEPS[step](session, secretary, idea, other, consultation)
    session.commit()
    assert idea.question_state == state
    login("wangayi")
    for url in (f"/ideas/{idea.id}", f"/communities/{community.id}/ideas", "/"):
        page = client.get(url).get_data(as_text=True)
        if state == QuestionState.MERGED and url.startswith("/communities"):
            continue  # the wall shows the wish it was merged into, not the merged one
        assert f'status-{state.value}">{label}</span>' in page, url


def test_marking_in_progress_is_audited_and_happens_once(session, secretary, resident, community):
    idea = ideas.post_idea(session, resident, community, "加装扶手", "楼梯加扶手")
    ideas.mark_in_progress(session, secretary, idea)
    with pytest.raises(Conflict):
        ideas.mark_in_progress(session, secretary, idea)
    session.commit()
    events = session.execute(select(AuditEvent).where(AuditEvent.action == "idea.in_progress")).scalars().all()
    assert [(e.actor_id, e.object_id) for e in events] == [(secretary.id, idea.id)]
    assert idea.in_progress_by_id == secretary.id


def test_a_resident_cannot_mark_a_wish_in_progress(session, resident, neighbour, community):
    idea = ideas.post_idea(session, resident, community, "加装扶手", "楼梯加扶手")
    with pytest.raises(Forbidden):
        ideas.mark_in_progress(session, neighbour, idea)


def test_the_moderator_marks_from_the_wish_page(client, login, session, secretary, resident, community):
    idea = ideas.post_idea(session, resident, community, "加装扶手", "楼梯加扶手")
    session.commit()
    login("shuji")
    assert f'action="/ideas/{idea.id}/in-progress"' in client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert client.post(f"/ideas/{idea.id}/in-progress").status_code == 302
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f'action="/ideas/{idea.id}/in-progress"' not in page and 'status-in_progress">处理中' in page


@pytest.mark.parametrize(("answer", "label"), [
    pytest.param(None, "已收到", id="waiting"),
    pytest.param("official", "已答复", id="officially_answered"),
    pytest.param("reply", "已收到", id="a_neighbours_reply_is_no_answer"),
])
def test_the_author_sees_the_state_of_their_comment(client, login, session, consultation, round_, secretary,
                                                    resident, neighbour, answer, label):
    asked = comments.post_comment(session, resident, consultation, "施工期间活动去哪里？")
    if answer == "official":
        comments.post_comment(session, secretary, consultation, "暂借隔壁小学活动室。", parent_id=asked.id,
                              official_answer=True)
    elif answer == "reply":
        comments.post_comment(session, neighbour, consultation, "我也想知道", parent_id=asked.id)
    session.commit()
    login("wangayi")
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    article = page[page.index(f'id="comment-{asked.id}"'):]
    article = article[:article.index("</header>")]
    assert f">{label}</span>" in article
    client.post("/logout")
    login("lishushu")  # someone else's comment shows no state
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    article = page[page.index(f'id="comment-{asked.id}"'):]
    assert "status-" not in article[:article.index("</header>")]


def test_the_api_gives_the_same_state(client, api_token, session, secretary, resident, community):
    idea = ideas.post_idea(session, resident, community, "加装扶手", "楼梯加扶手")
    ideas.mark_in_progress(session, secretary, idea)
    session.commit()
    headers = api_token("wangayi")
    wall = client.get(f"/api/v1/communities/{community.id}/ideas", headers=headers).get_json()
    assert [(i["id"], i["state"]) for i in wall["items"]] == [(idea.id, "in_progress")]
    waiting = client.get("/api/v1/me/waiting", headers=headers).get_json()
    assert [(w["id"], w["state"]) for w in waiting["resident"]["wishes"]] == [(idea.id, "in_progress")]
