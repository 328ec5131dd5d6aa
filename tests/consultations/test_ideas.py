"""The wish wall: post, support, answer, merge duplicates, promote into a proposal (linked both ways)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.consultations import services
from deliberation.consultations.models import IdeaStatus, Notification
from deliberation.errors import Conflict, Forbidden, Invalid


@pytest.fixture
def idea(session, community, resident):
    found = services.post_idea(session, resident, community, "小区里加几张休息长椅", "从菜场回来没地方坐")
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
    services.support_idea(session, neighbour, idea)
    assert idea.support_count == 1
    with pytest.raises(Conflict):
        services.support_idea(session, neighbour, idea)
    with pytest.raises(Conflict):
        services.support_idea(session, resident, idea)  # not one's own
    services.withdraw_idea_support(session, neighbour, idea)
    assert idea.support_count == 0


def test_the_moderator_answers_and_the_author_is_told(session, idea, secretary, resident, neighbour):
    with pytest.raises(Forbidden):
        services.answer_idea(session, neighbour, idea, "我来答")
    services.answer_idea(session, secretary, idea, "下个月加装 4 张长椅")
    assert idea.status == IdeaStatus.ANSWERED
    assert (
        session.execute(select(Notification.user_id).where(Notification.kind == "idea")).scalar()
        == resident.id
    )


def test_merging_a_duplicate_moves_its_supporters(
    session, community, idea, resident, neighbour, make_user, secretary
):
    third = make_user("zhouyeye", community)
    duplicate = services.post_idea(session, neighbour, community, "多放几张椅子", "同上")
    services.support_idea(session, third, duplicate)
    services.support_idea(session, third, idea)
    services.support_idea(session, resident, duplicate)  # the target's own author: not moved
    services.merge_idea(session, secretary, duplicate, idea.id)
    assert duplicate.status == IdeaStatus.MERGED and duplicate.merged_into_id == idea.id
    assert idea.support_count == 1
    with pytest.raises(Conflict):
        services.merge_idea(session, secretary, idea, idea.id)


def test_an_idea_of_another_community_cannot_be_a_merge_target(
    session, idea, other_community, outsider, secretary
):
    foreign = services.post_idea(session, outsider, other_community, "别处心愿", "内容")
    with pytest.raises(Invalid):
        services.merge_idea(session, secretary, idea, foreign.id)


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
