"""The front door (待我参与): each item for the right person and never for others, the moderator's counts,
the deadlines in Shanghai days, and a page whose statements do not grow with what waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from deliberation.booking.bookings import create_booking
from deliberation.booking.rooms import create_room
from deliberation.booking.schedule import local_slot, local_today
from deliberation.booking.setup import set_opening_hours
from deliberation.consultations import comments, ideas, notifications, proposals, sessions
from deliberation.consultations.models import Eligibility, Phase
from deliberation.db import utcnow
from deliberation.home import frontdoor
from deliberation.home.deadlines import days_left, deadline_words, waited_words
from deliberation.surveys import builder
from deliberation.surveys.answering import AnswerInput, save_response
from deliberation.surveys.builder import QuestionInput, SurveyInput
from deliberation.voting import casting
from deliberation.voting.lifecycle import VoteInput, create_vote, open_vote
from deliberation.voting.models import ObjectionStage, PaperConflict, Vote, VoteObjection
from tests.statements import recorded
from tests.voting.rolls import ready_to_open


@pytest.fixture
def people(make_user, community, other_community, secretary):
    """Two owners and a tenant of 银杏居民区, a resident and the moderator of another community."""
    return {
        "owner": make_user("wangayi", community, building="3号楼", room="302"),
        "neighbour": make_user("lishushu", community, building="5号楼", room="101"),
        "tenant": make_user("zuhu", community, tenure="tenant", building="3号楼", room="303"),
        "stranger": make_user("waiguoren", other_community, building="1号楼", room="101"),
        "other_moderator": make_user("wutong", other_community, role="moderator"),
        "secretary": secretary,
    }


def _session(session, actor, community, title="党群服务站升级改造方案征询", phase=Phase.VOTING, **fields):
    consultation = sessions.create_consultation(
        session, actor, community, sessions.ConsultationInput(title=title, background="背景", **fields))
    if phase != Phase.DRAFT:
        sessions.move_phase(session, actor, consultation, phase)
    session.commit()
    return consultation


@pytest.fixture
def voting_session(session, secretary, community):
    consultation = _session(session, secretary, community)
    proposals.create_proposal(session, secretary, consultation, "方案一：原址改造", "内容")
    session.commit()
    return consultation


@pytest.fixture
def make_vote(session, secretary, voting_session):
    def make(title="是否同意方案一", *, days=2, **fields):
        vote = create_vote(session, secretary, voting_session, VoteInput(
            title=title, proposal_id=voting_session.proposals[0].id, closes_at=utcnow() + timedelta(days=days),
            **fields))
        ready_to_open(session, secretary, vote)
        open_vote(session, secretary, vote)
        session.commit()
        return vote

    return make


def _survey(session, actor, community, title="党群服务站使用需求调查", **fields):
    survey = builder.create_survey(session, actor, community, SurveyInput(title=title, **fields))
    builder.add_question(session, actor, survey, QuestionInput("single", "您多久去一次？", required=True,
                                                               options=["每周", "很少"]))
    builder.publish_survey(session, actor, survey)
    session.commit()
    return survey


def door_of(session, user):
    user = session.get(type(user), user.id)
    now = utcnow()
    communities = frontdoor.communities_of(session, user)
    return frontdoor.resident_door(session, user, communities, now)


def desk_of(session, user):
    user = session.get(type(user), user.id)
    now = utcnow()
    return frontdoor.moderator_desk(session, user, frontdoor.communities_of(session, user), now)


def vote_titles(session, user) -> list[str]:
    return [v.title for v in door_of(session, user).votes]


# -- votes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [False, True], ids=["open_ballot", "secret_ballot"])
def test_an_open_vote_waits_for_each_voter_until_they_have_voted(session, people, make_vote, secret):
    vote = make_vote(secret=secret)
    assert vote_titles(session, people["owner"]) == ["是否同意方案一"]
    assert vote_titles(session, people["tenant"]) == ["是否同意方案一"]

    casting.cast_ballot(session, people["owner"], vote, "agree")
    session.commit()

    assert vote_titles(session, people["owner"]) == []
    assert vote_titles(session, people["tenant"]) == ["是否同意方案一"]
    assert vote_titles(session, people["stranger"]) == []
    assert vote_titles(session, people["secretary"]) == []  # no person of the roster: nobody to vote as


def test_an_owners_vote_waits_for_owners_and_not_for_tenants(session, people, make_vote):
    make_vote("业主表决：是否同意方案一", basis="owner", rule_name="civil_code_ordinary")
    assert vote_titles(session, people["owner"]) == ["业主表决：是否同意方案一"]
    assert vote_titles(session, people["neighbour"]) == ["业主表决：是否同意方案一"]
    assert vote_titles(session, people["tenant"]) == []


def test_a_household_vote_leaves_for_the_whole_household_once_one_has_voted(session, people, make_vote,
                                                                              make_user, community):
    from deliberation.accounts.models import Person

    relative = make_user("jiashu", community, tenure="family", building="3号楼", room="999")
    owner_person = session.get(Person, people["owner"].person_id)
    session.get(Person, relative.person_id).household_id = owner_person.household_id
    session.commit()
    vote = make_vote("每户一票", basis="household")
    assert vote_titles(session, relative) == ["每户一票"]
    assert vote_titles(session, people["owner"]) == ["每户一票"]

    casting.cast_ballot(session, session.get(type(relative), relative.id), vote, "agree")
    session.commit()
    assert vote_titles(session, people["owner"]) == []
    assert vote_titles(session, people["neighbour"]) == ["每户一票"]


def test_closed_and_past_deadline_votes_wait_for_nobody(session, people, make_vote):
    closed = make_vote("已结束的表决")
    closed.closes_at = utcnow() - timedelta(minutes=1)  # the schedule passed; the front door catches it up
    session.commit()
    assert vote_titles(session, people["owner"]) == []
    frontdoor.bring_up_to_date(session, people["owner"], frontdoor.communities_of(session, people["owner"]),
                               utcnow())
    assert session.get(Vote, closed.id).closed_at is not None


def test_a_vote_scheduled_to_open_appears_once_its_time_has_come(session, secretary, people, voting_session,
                                                                  client, login):
    vote = create_vote(session, secretary, voting_session, VoteInput(
        title="定时开启的表决", proposal_id=voting_session.proposals[0].id,
        opens_at=utcnow() + timedelta(hours=1), closes_at=utcnow() + timedelta(days=3)))
    session.commit()
    assert vote_titles(session, people["owner"]) == []
    vote.opens_at = utcnow() - timedelta(minutes=1)
    session.commit()
    login("wangayi")
    page = client.get("/").get_data(as_text=True)
    assert "定时开启的表决" in page and "还剩 3 天" in page


# -- surveys, sessions, wishes, bookings, notices ---------------------------------------------------------


def test_a_standalone_survey_waits_for_the_community_until_answered(session, people, secretary, community,
                                                                     other_community):
    survey = _survey(session, secretary, community, closes_at=utcnow() + timedelta(days=5))
    _survey(session, people["other_moderator"], other_community, title="别的小区的问卷")
    draft = builder.create_survey(session, secretary, community, SurveyInput(title="草稿问卷"))
    session.commit()
    assert draft.id
    titles = lambda user: [s.title for s in door_of(session, user).surveys]  # noqa: E731
    assert titles(people["owner"]) == ["党群服务站使用需求调查"]
    assert titles(people["tenant"]) == ["党群服务站使用需求调查"]
    assert titles(people["stranger"]) == ["别的小区的问卷"]

    owner = session.get(type(people["owner"]), people["owner"].id)
    save_response(session, owner, survey, {survey.questions[0].id: AnswerInput(choices=[0])}, submit=True)
    session.commit()
    assert titles(people["owner"]) == []
    assert titles(people["tenant"]) == ["党群服务站使用需求调查"]


def test_a_sessions_survey_waits_only_for_those_the_session_includes(session, people, secretary, community):
    from deliberation.accounts.models import Building

    building = session.execute(select(Building).where(Building.name == "5号楼")).scalar_one()
    consultation = _session(session, secretary, community, title="5号楼议事", phase=Phase.COMMENTING,
                            eligibility=Eligibility.BUILDINGS, building_ids=[building.id])
    _survey(session, secretary, community, title="5号楼问卷", consultation_id=consultation.id)
    closed = _survey(session, secretary, community, title="已截止的问卷")
    closed.closes_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert [s.title for s in door_of(session, people["neighbour"]).surveys] == ["5号楼问卷"]
    assert [s.title for s in door_of(session, people["owner"]).surveys] == []


def _round(session, actor, consultation, days: float, opens_in: float = 0):
    """A comment round of the session closing in ``days`` (opening in ``opens_in`` days: 0, now)."""
    opens_at = utcnow() + timedelta(days=opens_in) if opens_in else None
    return comments.open_round(session, actor, consultation, utcnow() + timedelta(days=days), opens_at)


def test_sessions_taking_comments_for_those_they_include(session, people, secretary, community, other_community):
    commenting = _session(session, secretary, community, title="正在征求意见的议事", phase=Phase.COMMENTING)
    _round(session, secretary, commenting, days=4)
    _session(session, secretary, community, title="表决阶段的议事", phase=Phase.VOTING)
    _session(session, secretary, community, title="草拟中的议事", phase=Phase.DRAFT)
    scheduled = _session(session, secretary, community, title="定时进入征求意见", phase=Phase.DRAFT)
    _round(session, secretary, scheduled, days=5)
    scheduled.commenting_at = utcnow() - timedelta(hours=1)
    past = _session(session, secretary, community, title="已过征求意见", phase=Phase.COMMENTING)
    _round(session, secretary, past, days=3)
    past.voting_at = utcnow() - timedelta(hours=1)
    owners_only = _session(session, secretary, community, title="只请业主", phase=Phase.COMMENTING,
                           eligibility=Eligibility.OWNERS)
    _round(session, secretary, owners_only, days=6)
    other = _session(session, people["other_moderator"], other_community, title="别的小区的议事",
                     phase=Phase.COMMENTING)
    _round(session, people["other_moderator"], other, days=2)
    session.commit()
    owner_door = door_of(session, people["owner"])
    assert [s.title for s in owner_door.sessions] == ["正在征求意见的议事", "定时进入征求意见", "只请业主"]
    assert [s.round_closes_at for s in owner_door.sessions] == sorted(s.round_closes_at for s in owner_door.sessions)
    assert [s.title for s in door_of(session, people["tenant"]).sessions] == ["正在征求意见的议事", "定时进入征求意见"]


def test_a_session_between_comment_rounds_is_not_offered(session, people, secretary, community):
    """In the commenting phase, but no round takes comments now (none yet, the next not begun, the last one
    closed): a comment would be refused, so the front door does not offer it."""
    open_now = _session(session, secretary, community, title="本轮开放中", phase=Phase.COMMENTING)
    open_round = _round(session, secretary, open_now, days=2)
    _session(session, secretary, community, title="还没有开设轮次", phase=Phase.COMMENTING)
    later = _session(session, secretary, community, title="下一轮明天开始", phase=Phase.COMMENTING)
    _round(session, secretary, later, days=3, opens_in=1)
    closed = _session(session, secretary, community, title="上一轮已截止", phase=Phase.COMMENTING)
    last = _round(session, secretary, closed, days=1)
    last.closes_at = utcnow() - timedelta(minutes=1)
    session.commit()
    door = door_of(session, people["owner"])
    assert [s.title for s in door.sessions] == ["本轮开放中"]
    assert door.sessions.items[0].round_closes_at == open_round.closes_at


def test_ones_own_wishes_bookings_and_unread_notices(session, people, secretary, community):
    owner = session.get(type(people["owner"]), people["owner"].id)
    wish = ideas.post_idea(session, owner, community, "楼下装个休息椅", "老人走累了可以坐坐。")
    ideas.post_idea(session, people["neighbour"], community, "别人的心愿", "内容")
    ideas.answer_idea(session, secretary, wish, "已经联系物业，下月安装。")
    room = create_room(session, secretary, community, name="书画室", capacity=12, needs_approval=True)
    set_opening_hours(session, secretary, room, [(d, datetime.min.time().replace(hour=8),
                                                  datetime.min.time().replace(hour=22)) for d in range(7)])
    starts_at, ends_at = local_slot(local_today() + timedelta(days=2), datetime.min.time().replace(hour=9),
                                    datetime.min.time().replace(hour=10))
    create_booking(session, owner, room, title="读报小组", attendance=4, starts_at=starts_at, ends_at=ends_at)
    notifications.notify(session, [owner.id], "test", "您的心愿有了答复", "/ideas/1")
    session.commit()

    door = door_of(session, owner)
    assert [(i.title, i.status.value) for i in door.ideas] == [("楼下装个休息椅", "answered")]
    assert [(b.title, b.status.value) for b in door.bookings] == [("读报小组", "pending")]
    assert door.unread == 2  # the answer to the wish, and the notice above
    assert not door.empty
    assert door_of(session, people["tenant"]).empty


# -- the moderator's home ---------------------------------------------------------------------------------


def test_the_moderators_counts_and_lists(session, people, secretary, community, make_vote):
    consultation = _session(session, secretary, community, title="意见征集", phase=Phase.COMMENTING)
    comments.open_round(session, secretary, consultation, utcnow() + timedelta(days=4))
    question = comments.post_comment(session, people["owner"], consultation, "服务站晚上能开放吗？")
    answered = comments.post_comment(session, people["tenant"], consultation, "能不能加个电梯？")
    comments.post_comment(session, secretary, consultation, "欢迎大家提意见。")  # the moderator's own: no question
    comments.post_comment(session, secretary, consultation, "会考虑。", parent_id=answered.id, official_answer=True)
    reported = comments.post_comment(session, people["neighbour"], consultation, "广告内容")
    comments.report_comment(session, people["owner"], reported, "广告")
    question.created_at = utcnow() - timedelta(days=3)
    ideas.post_idea(session, people["owner"], community, "装休息椅", "内容")
    vote = make_vote("周五截止的表决", days=2)
    make_vote("下个月截止的表决", days=30)
    _survey(session, secretary, community, title="明天截止的问卷", closes_at=utcnow() + timedelta(days=1))
    session.add(PaperConflict(vote_id=vote.id, voter_key=f"p:{people['owner'].person_id}", unit_label="3号楼302"))
    session.add(VoteObjection(vote_id=vote.id, stage=ObjectionStage.RESULT, kind="count", reason="计票有误"))
    session.add(VoteObjection(vote_id=vote.id, stage=ObjectionStage.RESULT, kind="count", reason="已答复",
                              answered_at=utcnow()))
    session.commit()

    desk = desk_of(session, secretary)
    [duties] = desk.communities
    assert (duties.reports, duties.questions, duties.ideas, duties.bookings) == (1, 2, 1, 0)
    assert [q.body for q in desk.questions] == ["服务站晚上能开放吗？", "广告内容"]
    assert waited_words(desk.questions[0].created_at, utcnow()) == "已等 3 天"
    assert [(c.title, c.count) for c in desk.conflicts] == [("周五截止的表决", 1)]
    assert [(o.title, o.count) for o in desk.objections] == [("周五截止的表决", 1)]
    assert [v.title for v in desk.closing_votes] == ["周五截止的表决"]
    assert [s.title for s in desk.closing_surveys] == ["明天截止的问卷"]

    other = desk_of(session, people["other_moderator"])
    assert [(d.community.name, d.reports, d.questions, d.ideas) for d in other.communities] == [("梧桐居民区", 0, 0, 0)]
    assert other.empty
    assert not desk_of(session, people["owner"]).moderates


def test_an_administrator_sees_every_communitys_duties(session, people, make_user, community, other_community):
    admin = make_user("guanliyuan", is_admin=True)
    ideas.post_idea(session, people["stranger"], other_community, "别的小区的心愿", "内容")
    session.commit()
    desk = desk_of(session, admin)
    assert sorted((d.community.name, d.ideas) for d in desk.communities) == [("梧桐居民区", 1), ("银杏居民区", 0)]
    assert door_of(session, admin).community is None


def test_the_moderators_home_page_shows_a_new_report(session, people, secretary, community, client, login):
    consultation = _session(session, secretary, community, title="意见征集", phase=Phase.COMMENTING)
    comments.open_round(session, secretary, consultation, utcnow() + timedelta(days=4))
    reported = comments.post_comment(session, people["neighbour"], consultation, "广告内容")
    session.commit()
    login(secretary.username)
    before = client.get("/").get_data(as_text=True)
    assert f'id="desk-reports-{community.id}"' in before
    comments.report_comment(session, people["owner"], reported, "广告")
    session.commit()
    page = client.get("/").get_data(as_text=True)
    tile = page[page.index(f'id="desk-reports-{community.id}"'):]
    assert tile[tile.index("<strong>") + 8:tile.index("</strong>")] == "1"
    assert "居委会待办" in page and "等您投票" not in page
    assert 'id="door-notices"' not in before
    notices = page[page.index('id="door-notices"'):]
    assert "“意见征集”中的一条意见被举报，理由：广告" in notices
    assert f'href="/communities/{community.id}/moderation"' in notices


def test_a_resident_sees_no_moderators_desk_and_the_empty_state_in_words(people, client, login):
    login("zuhu")
    page = client.get("/").get_data(as_text=True)
    assert "现在没有等您参与的事" in page and "还剩几天" in page
    assert "居委会待办" not in page
    assert 'href="/communities/' in page


def test_the_page_shows_the_deadline_in_days(session, people, make_vote, client, login):
    make_vote("是否同意方案一", days=2)
    login("wangayi")
    page = client.get("/").get_data(as_text=True)
    assert "等您投票" in page and "是否同意方案一" in page and "还剩 2 天" in page


def test_a_signed_out_visitor_gets_the_welcome(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/login' in response.get_data(as_text=True)


def test_the_front_door_speaks_english_from_the_catalogue(session, people, make_vote, client, login):
    make_vote("是否同意方案一", days=2)
    login("wangayi")
    client.post("/preferences/language", data={"lang": "en"})
    page = client.get("/").get_data(as_text=True)
    assert "Votes waiting for your ballot" in page and "2 days left" in page


def test_a_communitys_surveys_are_linked_from_the_community_and_the_session_list(session, people, secretary,
                                                                                 community, client, login):
    survey = _survey(session, secretary, community, title="不属于议事的问卷")
    login("zuhu")
    surveys_page = f'href="/communities/{community.id}/surveys"'
    assert surveys_page in client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert surveys_page in client.get(f"/communities/{community.id}/consultations").get_data(as_text=True)
    listed = client.get(f"/communities/{community.id}/surveys").get_data(as_text=True)
    assert f'href="/surveys/{survey.id}"' in listed


def test_the_api_gives_the_same_lists(session, people, secretary, community, make_vote, client, api_token):
    vote = make_vote("是否同意方案一", days=2)
    _survey(session, secretary, community, title="明天截止的问卷", closes_at=utcnow() + timedelta(days=1))
    assert client.get("/api/v1/me/waiting").status_code == 401

    mine = client.get("/api/v1/me/waiting", headers=api_token("wangayi")).get_json()
    assert [(v["id"], v["days_left"]) for v in mine["resident"]["votes"]] == [(vote.id, 2)]
    assert [(s["title"], s["days_left"]) for s in mine["resident"]["surveys"]] == [("明天截止的问卷", 1)]
    assert mine["moderator"] is None

    desk = client.get("/api/v1/me/waiting", headers=api_token(secretary.username)).get_json()
    assert desk["resident"]["votes"] == [] and desk["resident"]["community_id"] is None
    assert [v["title"] for v in desk["moderator"]["votes_closing"]] == ["是否同意方案一"]
    assert [d["community_id"] for d in desk["moderator"]["communities"]] == [community.id]

    stranger = client.get("/api/v1/me/waiting", headers=api_token("waiguoren")).get_json()
    assert stranger["resident"]["votes"] == [] and stranger["resident"]["surveys"] == []


# -- the statements a page costs ------------------------------------------------------------------------


# The signed-in user with roles, their communities, the votes due to open or close (3); then for a resident their
# person's community, their places and ownership (eligibility, asked once), the votes, surveys, sessions, wishes,
# bookings, the unread count and the latest notices (10); for a moderator the report queue, questions and wishes
# counted, bookings to approve, the oldest questions and wishes, paper conflicts, objections, votes and surveys
# closing soon (10).
HOME_STATEMENTS = 13
# A secretary who is no resident: the same, with their unread count and latest notices in place of the resident's
# lists (2).
DESK_STATEMENTS = 15


def test_the_home_page_costs_the_same_however_much_waits(session, people, secretary, community, make_vote,
                                                         client, login):
    def some(n: int, start: int):
        for i in range(start, start + n):
            make_vote(f"表决{i}")
            _survey(session, secretary, community, title=f"问卷{i}", closes_at=utcnow() + timedelta(days=2))
            ideas.post_idea(session, people["owner"], community, f"心愿{i}", "内容")
        session.commit()

    some(1, 0)
    login("wangayi")
    client.get("/")
    with recorded(skip=("BEGIN", "SAVEPOINT", "RELEASE")) as few:
        assert client.get("/").status_code == 200
    login(secretary.username)
    with recorded(skip=("BEGIN", "SAVEPOINT", "RELEASE")) as desk_few:
        assert client.get("/").status_code == 200

    some(6, 1)
    notifications.mark_notifications_read(session, people["owner"])  # their openings were announced
    session.commit()
    login("wangayi")
    with recorded(skip=("BEGIN", "SAVEPOINT", "RELEASE")) as many:
        page = client.get("/").get_data(as_text=True)
    assert "表决0" in page and "表决6" not in page and page.count('class="all"') >= 2  # five shown, then 全部
    login(secretary.username)
    with recorded(skip=("BEGIN", "SAVEPOINT", "RELEASE")) as desk_many:
        assert client.get("/").status_code == 200

    assert len(many) == len(few) == HOME_STATEMENTS, many
    assert len(desk_many) == len(desk_few) == DESK_STATEMENTS, desk_many


# -- deadlines in Shanghai days -------------------------------------------------------------------------

NOW = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # 12月3日 01:00 in Shanghai


@pytest.mark.parametrize(("deadline", "days", "words"), [
    pytest.param(NOW + timedelta(hours=3), 0, "今天截止", id="later_today"),
    pytest.param(datetime(2026, 12, 3, 15, 59, tzinfo=UTC), 0, "今天截止", id="23_59_local_is_still_today"),
    pytest.param(datetime(2026, 12, 3, 16, 0, tzinfo=UTC), 0, "今天截止", id="midnight_ends_the_day_before"),
    pytest.param(datetime(2026, 12, 3, 16, 1, tzinfo=UTC), 1, "明天截止", id="just_after_midnight_is_tomorrow"),
    pytest.param(NOW + timedelta(days=2), 2, "还剩 2 天", id="two_days"),
    pytest.param(NOW - timedelta(hours=1), -1, "今天截止", id="just_past"),
])
def test_deadline_words(app, deadline, days, words):
    assert days_left(deadline, NOW) == days
    assert deadline_words(deadline, NOW) == words


@pytest.mark.parametrize(("since", "words"), [
    pytest.param(datetime(2026, 12, 2, 16, 30, tzinfo=UTC), "今天提出", id="after_local_midnight"),
    pytest.param(datetime(2026, 12, 2, 15, 30, tzinfo=UTC), "已等 1 天", id="before_local_midnight"),
    pytest.param(NOW - timedelta(days=5), "已等 5 天", id="five_days"),
])
def test_waited_words(app, since, words):
    assert waited_words(since, NOW) == words
