"""Fixtures of the minutes tests: a consultation run through the services from start to close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from deliberation.consultations import services
from deliberation.consultations.models import Consultation, Phase
from deliberation.db import utcnow
from tests.announced import close_and_announce

TITLE = "党群服务站升级改造方案征询"


@pytest.fixture
def residents(make_user, community):
    return [
        make_user("wangayi", community, building="3号楼", room="302"),
        make_user("lishushu", community, building="5号楼", room="101"),
        make_user("zhaonainai", community, building="3号楼", room="501", tenure="tenant"),
    ]


@pytest.fixture
def resident(residents):
    return residents[0]


@dataclass
class Run:
    consultation: Consultation
    concern_text: str
    answer_text: str


def run_consultation(session, secretary, residents, community, *, close: bool = True) -> Run:
    """Create, comment (two rounds), answer, meet, revise, and move on to voting (and close)."""
    a, b, c = residents
    consultation = services.create_consultation(
        session, secretary, community,
        services.ConsultationInput(
            title=TITLE,
            background="服务站面积小、设施旧。\n街道安排了改造资金。",
            participants="居民区党总支、居委会\n业委会、物业服务中心\n居民代表、楼组长",
        ),
    )
    services.move_phase(session, secretary, consultation, Phase.COMMENTING)
    plan = services.create_proposal(session, secretary, consultation, "方案一：原址内部改造",
                                    "## 方案概要\n\n- 新增无障碍卫生间\n- 更换空调\n\n| 项目 | 万元 |\n|---|---|\n| 土建 | 18 |")
    services.open_round(session, secretary, consultation, utcnow() + timedelta(days=3))
    concern = services.post_comment(session, a, consultation, "卫生间一定要能进轮椅，坡道要缓。",
                                    proposal_id=plan.id)
    other = services.post_comment(session, b, consultation, "施工期间活动去哪里？")
    services.post_comment(session, c, consultation, "同意楼上的意见", parent_id=concern.id)
    services.support_comment(session, b, concern)
    services.support_comment(session, c, concern)
    services.support_comment(session, a, other)
    answer = "设计单位已把坡道坡度调整为1:12，卫生间门宽90厘米。"
    services.post_comment(session, secretary, consultation, answer, parent_id=concern.id, official_answer=True)
    round_one = consultation.rounds[0]
    services.close_round(session, secretary, round_one)
    # Move round one into the past, as if the consultation had run over days.
    round_one.opens_at, round_one.closes_at = utcnow() - timedelta(days=6), utcnow() - timedelta(days=4)
    session.flush()
    services.add_meeting(session, secretary, consultation, utcnow() - timedelta(hours=2), "居民区会议室",
                         "街道社区办、设计单位、居民代表 8 人", "逐条讨论了第一轮意见。")
    services.add_version(session, secretary, plan, "方案一：原址内部改造（修改稿）",
                         "## 方案概要\n\n- 新增无障碍卫生间，门宽90厘米\n- 更换空调", "按第一轮意见加宽卫生间门")
    services.open_round(session, secretary, consultation, utcnow() + timedelta(days=3))
    services.post_comment(session, c, consultation, "修改稿可以。", proposal_id=plan.id)
    services.move_phase(session, secretary, consultation, Phase.VOTING)
    if close:
        services.move_phase(session, secretary, consultation, Phase.CLOSED)
    session.commit()
    return Run(consultation, concern.body, answer)


@pytest.fixture
def run(session, secretary, residents, community):
    return run_consultation(session, secretary, residents, community)


@dataclass
class VotedRun:
    consultation: Consultation
    vote: object
    owners: list


@pytest.fixture
def voted_run(session, secretary, residents, community, make_user):
    """A full run with a Civil Code (ordinary matter) vote: online and paper ballots, closed, session closed."""
    from deliberation.accounts.models import Building
    from deliberation.voting import services as voting
    from tests.voting.rolls import ready_to_open

    more = [make_user("sunshushu", community, building="5号楼", room="202"),
            make_user("zhoujie", community, building="3号楼", room="601")]
    result = run_consultation(session, secretary, residents, community, close=False)
    consultation = result.consultation
    plan = consultation.proposals[0]
    vote = voting.create_vote(session, secretary, consultation, voting.VoteInput(
        title="表决：方案一（修改稿）", proposal_id=plan.id, rule_name="civil_code_ordinary"))
    ready_to_open(session, secretary, vote)
    voting.open_vote(session, secretary, vote)
    voting.cast_ballot(session, residents[0], vote, "agree")
    voting.cast_ballot(session, more[0], vote, "disagree")
    building = session.query(Building).filter_by(community_id=community.id, name="5号楼").one()
    outcomes = voting.enter_paper_ballots(session, secretary, vote, building,
                                          [voting.PaperEntry(room="101", choice="同意", line=1)])
    assert [o.status for o in outcomes] == ["recorded"], outcomes
    close_and_announce(session, secretary, vote)
    services.move_phase(session, secretary, consultation, Phase.CLOSED)
    session.commit()
    return VotedRun(consultation, vote, [residents[0], residents[1], *more])
