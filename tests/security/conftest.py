"""A world of two communities, A and B, with one object of every kind in each, and the actors
of the threat model (docs/SECURITY.md): anonymous, resident of A, floor captain of A, moderator
of A, resident of B, moderator of B, administrator.

Everything of A carries the marker AAAMARK in its text, so a test can assert that no answer to an
outsider contains any of A's data.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from PIL import Image

from tests.conftest import PASSWORD

MARK = {"A": "AAAMARK", "B": "BBBMARK"}


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 50)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class World:
    users: dict = field(default_factory=dict)        # actor name -> User
    objects: dict = field(default_factory=dict)      # ("A"|"B", kind) -> id or value
    communities: dict = field(default_factory=dict)  # "A"|"B" -> Community

    def obj(self, side: str, kind: str):
        return self.objects[(side, kind)]


def build_side(session, world: World, side: str, community, moderator, resident, captain) -> None:
    """One object of every kind in a community, made through the services."""
    from deliberation.accounts import services as accounts
    from deliberation.booking import feeds
    from deliberation.booking.bookings import create_booking
    from deliberation.booking.models import Booker, Noise
    from deliberation.booking.rooms import create_room
    from deliberation.booking.schedule import local_slot, local_today, week_start
    from deliberation.booking.series import create_series
    from deliberation.booking.setup import add_closed_date, set_opening_hours
    from deliberation.booking.teams import register_team
    from deliberation.consultations import services as consult
    from deliberation.consultations.meetings import sign_in_token
    from deliberation.consultations.models import Phase
    from deliberation.db import utcnow

    mark = MARK[side]
    consultation = consult.create_consultation(
        session, moderator, community,
        consult.ConsultationInput(title=f"{mark} 议事", background=f"{mark} 背景"))
    consult.move_phase(session, moderator, consultation, Phase.COMMENTING)
    round_ = consult.open_round(session, moderator, consultation, utcnow() + timedelta(days=7))
    proposal = consult.create_proposal(session, moderator, consultation, f"{mark} 方案", f"{mark} 方案内容",
                                       pictures=[(png_bytes(), f"{mark}.png")])
    comment = consult.post_comment(session, resident, consultation, f"{mark} 意见")
    idea = consult.post_idea(session, resident, community, f"{mark} 心愿", f"{mark} 心愿内容")
    meeting = consult.add_meeting(session, moderator, consultation, utcnow(), f"{mark} 会议室", f"{mark} 参会")
    word = consult.add_blocked_word(session, moderator, community, f"{mark}词")
    room = create_room(session, moderator, community, name=f"{mark} 活动室", capacity=20,
                       noise=Noise.NORMAL, needs_approval=True, booker=Booker.RESIDENTS)
    set_opening_hours(session, moderator, room, [(d, time(8), time(22)) for d in range(7)])
    monday = week_start(local_today()) + timedelta(days=14)
    starts_at, ends_at = local_slot(monday, time(9), time(10))
    reservation = create_booking(session, resident, room, title=f"{mark} 预约", attendance=5,
                                 starts_at=starts_at, ends_at=ends_at)
    series = create_series(session, resident, room, title=f"{mark} 每周", attendance=5, weekday=2,
                           start_time=time(14), end_time=time(15), first_day=monday,
                           until=monday + timedelta(days=21)).series
    upload = accounts.store_roster_upload(session, moderator, community, f"{mark}.csv",
                                          f"楼栋,房号,姓名,身份\n9号楼,901,{mark},业主\n".encode())
    team = register_team(session, moderator, community, f"{mark} 舞蹈队", [resident])
    closed = add_closed_date(session, moderator, room, monday + timedelta(days=5), f"{mark} 消杀")
    session.flush()
    from deliberation.accounts.models import Building, FloorCaptain
    from deliberation.surveys import builder
    from deliberation.voting import services as voting
    from deliberation.voting.models import ObjectionStage, VoteObjection

    vote = voting.create_vote(session, moderator, consultation,
                              voting.VoteInput(title=f"{mark} 表决", proposal_id=proposal.id))
    voting.open_vote(session, moderator, vote)
    survey = builder.create_survey(session, moderator, community, builder.SurveyInput(title=f"{mark} 问卷"))
    question = builder.add_question(session, moderator, survey, builder.QuestionInput(
        "single", f"{mark} 问题", required=True, options=[f"{mark} 选项", "其他"]))
    builder.publish_survey(session, moderator, survey)
    building = session.query(Building).filter_by(community_id=community.id, name="1号楼").one()
    captaincy = FloorCaptain(user=captain, building=building, granted_by_id=moderator.id)
    session.add(captaincy)
    session.flush()
    # The resident voted online, then a paper form for the same flat came in: a conflict to settle.
    voting.cast_ballot(session, resident, vote, "agree")
    outcome, = voting.enter_paper_ballots(session, moderator, vote, building,
                                         [voting.PaperEntry(room="101", choice="2", line=1)])
    assert outcome.status == "conflict", outcome
    conflict = session.query(voting.PaperConflict).filter_by(vote_id=vote.id).one()
    objection = VoteObjection(vote_id=vote.id, stage=ObjectionStage.ROLL, lodged_by_id=resident.id,
                              person_id=resident.person_id, kind="other", reason=f"{mark} 异议")
    session.add(objection)
    # A message to the side's resident that failed (the moderator's 消息发送记录 may send it again).
    from deliberation.jobs.models import Channel, Delivery, DeliveryStatus

    delivery = Delivery(key=f"world:{side}", user_id=resident.id, channel=Channel.SMS, address="13800138000",
                        subject=f"{mark} 通知", body=f"{mark} 通知", status=DeliveryStatus.FAILED, attempts=5,
                        last_error="SmsError: HTTP 500")
    session.add(delivery)
    # An API token of the side's resident of its own, so revoking it in the matrix leaves the clients' tokens be.
    accounts.issue_api_token(session, resident, timedelta(days=1))
    session.flush()
    api_token = max(t.id for t in accounts.api_tokens_of(session, resident))
    picture = proposal.versions[0].pictures[0]
    world.communities[side] = community
    world.objects.update({
        (side, "community"): community.id,
        (side, "consultation"): consultation.id,
        (side, "round"): round_.id,
        (side, "proposal"): proposal.id,
        (side, "picture"): picture.id,
        (side, "comment"): comment.id,
        (side, "idea"): idea.id,
        (side, "meeting"): meeting.id,
        (side, "meeting_token"): sign_in_token(meeting),
        (side, "word"): word.id,
        (side, "room"): room.id,
        (side, "booking"): reservation.id,
        (side, "series"): series.id,
        (side, "upload"): upload.id,
        (side, "feed_token"): feeds.feed_token(resident),
        (side, "team"): team.id,
        (side, "api_token"): api_token,
        (side, "team_member"): resident.id,
        (side, "person"): resident.person_id,  # a resident at the counter (帮办)
        (side, "closed"): closed.id,
        (side, "vote"): vote.id,
        (side, "survey"): survey.id,
        (side, "question"): question.id,
        (side, "captain"): captaincy.id,
        (side, "conflict"): conflict.id,
        (side, "objection"): objection.id,
        (side, "delivery"): delivery.id,
        (side, "fmt"): "csv",
        (side, "notice_stage"): "call",  # the vote is open: its call to vote (表决公告) is printable
        (side, "notice_format"): "pdf",
    })


@pytest.fixture
def world(session, make_community, make_user) -> World:
    world = World()
    a = make_community("银杏居民区 AAAMARK")
    b = make_community("梧桐居民区 BBBMARK")
    world.users["admin"] = make_user("admin", None, is_admin=True)
    world.users["mod_a"] = make_user("mod_a", a, role="moderator")
    world.users["res_a"] = make_user("res_a", a, building="1号楼", room="101")
    world.users["captain_a"] = make_user("captain_a", a, building="1号楼", room="102")
    world.users["mod_b"] = make_user("mod_b", b, role="moderator")
    world.users["res_b"] = make_user("res_b", b, building="1号楼", room="101")
    # The floor captain of A captains A's 1号楼; in B the moderator holds that post, so that
    # res_b stays a plain resident.
    build_side(session, world, "A", a, world.users["mod_a"], world.users["res_a"], world.users["captain_a"])
    build_side(session, world, "B", b, world.users["mod_b"], world.users["res_b"], world.users["mod_b"])
    session.commit()
    return world


class Clients(dict):
    """actor -> (test client, API headers), signed in on first use: a session cookie for the pages
    and a bearer token for the API (anonymous: neither)."""

    def __init__(self, app, world):
        super().__init__()
        self.app, self.world = app, world

    def __missing__(self, actor):
        client, headers = self.app.test_client(), {}
        if actor != "anonymous":
            response = client.post("/login", data={"username": actor, "password": PASSWORD})
            assert response.status_code == 302, actor
            token = client.post("/api/v1/auth/token", json={"username": actor, "password": PASSWORD})
            assert token.status_code == 200, actor
            headers = {"Authorization": "Bearer " + token.get_json()["token"]}
        self[actor] = (client, headers)
        return self[actor]


@pytest.fixture
def clients(app, world):
    return Clients(app, world)
