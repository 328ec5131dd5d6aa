"""The wish wall: post, support, answer, merge duplicates, promote into a proposal (linked both ways)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.consultations import ideas
from deliberation.consultations.models import IdeaStatus, Notification, Phase
from deliberation.errors import Conflict, Forbidden, Invalid


@pytest.fixture
def idea(session, community, resident):
    found = ideas.post_idea(session, resident, community, "小区里加几张休息长椅", "从菜场回来没地方坐")
    session.commit()
    return found


def test_a_resident_posts_an_idea_on_the_wall(client, login, session, community, resident):
    login("wangayi")
    response = client.post(
        f"/communities/{community.id}/ideas", data={"title": "共享工具角", "body": "借工具不方便"}
    )
    assert response.status_code == 302
    assert "共享工具角" in client.get(f"/communities/{community.id}/ideas").text


@pytest.mark.parametrize(("title", "body"), [("", "内容"), ("标题", ""), ("标题", "很" * 5001)])
def test_an_empty_or_overlong_idea_is_refused(client, login, community, resident, title, body):
    login("wangayi")
    response = client.post(f"/communities/{community.id}/ideas", data={"title": title, "body": body})
    assert response.status_code == 422


def test_one_support_per_person_and_withdrawable(session, idea, neighbour, resident):
    ideas.support_idea(session, neighbour, idea)
    assert idea.support_count == 1
    with pytest.raises(Conflict):
        ideas.support_idea(session, neighbour, idea)
    with pytest.raises(Conflict):
        ideas.support_idea(session, resident, idea)  # not one's own
    ideas.withdraw_idea_support(session, neighbour, idea)
    assert idea.support_count == 0


def test_the_moderator_answers_and_the_author_is_told(session, idea, secretary, resident, neighbour):
    with pytest.raises(Forbidden):
        ideas.answer_idea(session, neighbour, idea, "我来答")
    ideas.answer_idea(session, secretary, idea, "下个月加装 4 张长椅")
    assert idea.status == IdeaStatus.ANSWERED
    assert (
        session.execute(select(Notification.user_id).where(Notification.kind == "idea")).scalar()
        == resident.id
    )


def test_merging_a_duplicate_moves_its_supporters(
    session, community, idea, resident, neighbour, make_user, secretary
):
    third = make_user("zhouyeye", community)
    duplicate = ideas.post_idea(session, neighbour, community, "多放几张椅子", "同上")
    ideas.support_idea(session, third, duplicate)
    ideas.support_idea(session, third, idea)
    ideas.support_idea(session, resident, duplicate)  # the target's own author: not moved
    ideas.merge_idea(session, secretary, duplicate, idea.id)
    assert duplicate.status == IdeaStatus.MERGED and duplicate.merged_into_id == idea.id
    assert idea.support_count == 1
    with pytest.raises(Conflict):
        ideas.merge_idea(session, secretary, idea, idea.id)


def test_an_idea_of_another_community_cannot_be_a_merge_target(
    session, idea, other_community, outsider, secretary
):
    foreign = ideas.post_idea(session, outsider, other_community, "别处心愿", "内容")
    with pytest.raises(Invalid):
        ideas.merge_idea(session, secretary, idea, foreign.id)


def test_promoting_an_idea_makes_a_proposal_linked_both_ways(
    client, login, session, idea, consultation, secretary
):
    login("shuji")
    response = client.post(f"/ideas/{idea.id}/promote", data={"consultation_id": consultation.id})
    assert response.status_code == 302
    session.refresh(idea)
    assert idea.status == IdeaStatus.PROMOTED and idea.proposal is not None
    proposal = idea.proposal
    assert proposal.consultation_id == consultation.id and proposal.ideas == [idea]
    assert "小区里加几张休息长椅" in client.get(f"/proposals/{proposal.id}").text
    assert f"/proposals/{proposal.id}" in client.get(f"/ideas/{idea.id}").text


def test_ideas_of_another_community_do_not_exist(client, login, idea, outsider):
    login("zhaojie")
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    assert client.post(f"/ideas/{idea.id}/support").status_code == 404


def test_an_idea_is_promoted_only_into_a_session_that_takes_ideas(
    client, login, session, idea, make_consultation, secretary, resident
):
    commenting = make_consultation("征求意见中的议事")
    voting = make_consultation("表决中的议事", phase=Phase.VOTING)
    assert commenting.can_take_ideas(secretary) and not commenting.can_take_ideas(resident)
    assert not voting.can_take_ideas(secretary)
    with pytest.raises(Conflict):
        ideas.promote_idea(session, secretary, idea, voting)
    session.rollback()
    login("shuji")
    page = client.get(f"/ideas/{idea.id}").text
    assert "征求意见中的议事" in page and "表决中的议事" not in page
    # The page's form cannot be sent past the rule: the service holds it.
    response = client.post(f"/ideas/{idea.id}/promote", data={"consultation_id": voting.id})
    assert response.status_code == 409
    assert '<p class="error" id="consultation_id-error">这一议事不再接收方案</p>' in response.text
    session.refresh(idea)
    assert idea.status == IdeaStatus.OPEN and idea.proposal_id is None
    # None chosen: said next to the list, not a missing page.
    response = client.post(f"/ideas/{idea.id}/promote", data={})
    assert response.status_code == 422
    assert '<p class="error" id="consultation_id-error">找不到该议事</p>' in response.text


@pytest.mark.parametrize(("answer", "message"), [
    pytest.param("", "请填写答复", id="empty"),
    pytest.param("   ", "请填写答复", id="only_spaces"),
    pytest.param("下个月加装长椅。" * 626, "最多 5000 个字，请删减一些", id="over_5000_characters"),
])
def test_a_refused_answer_is_shown_again_with_what_was_typed(client, login, session, idea, secretary, answer,
                                                             message):
    login("shuji")
    response = client.post(f"/ideas/{idea.id}/answer", data={"answer": answer})
    assert response.status_code == 422
    page = response.text
    assert f'<p class="error" id="answer-error">{message}</p>' in page  # next to the field, in plain words
    assert 'aria-invalid="true"' in page and answer.strip() in page
    session.refresh(idea)
    assert idea.answer in (None, "") and idea.status == IdeaStatus.OPEN


@pytest.mark.parametrize(("typed", "message"), [
    pytest.param("", "请填写心愿编号", id="empty"),
    pytest.param("第三条", "请填写心愿编号", id="not_a_number"),
])
def test_a_refused_merge_is_shown_again_with_what_was_typed(client, login, idea, secretary, typed, message):
    login("shuji")
    response = client.post(f"/ideas/{idea.id}/merge", data={"target_id": typed})
    assert response.status_code == 422
    assert f'<p class="error" id="target_id-error">{message}</p>' in response.text
    assert f'value="{typed}"' in response.text or not typed


def test_a_merge_into_another_communitys_idea_says_why_next_to_the_number(
    client, login, session, idea, other_community, outsider, secretary
):
    foreign = ideas.post_idea(session, outsider, other_community, "别处心愿", "内容")
    session.commit()
    login("shuji")
    response = client.post(f"/ideas/{idea.id}/merge", data={"target_id": str(foreign.id)})
    assert response.status_code == 422
    page = response.text
    assert "请选择本居民区的另一条心愿" in page and '<p class="error" id="target_id-error">找不到该心愿</p>' in page
    assert f'value="{foreign.id}"' in page and "别处心愿" not in page
