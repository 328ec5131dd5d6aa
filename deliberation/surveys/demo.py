"""The demo survey: 「党群服务站使用需求调查」 with five questions and forty paper forms typed in.

Everything goes through the services, as in real use: the secretary builds and publishes the survey
and enters the paper forms collected by the floor captains. Answers are drawn from a seeded random
generator, so the demo reads the same every time.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliberation.accounts.models import Community, Household, Person, Unit, User
from deliberation.consultations.models import Consultation
from deliberation.db import utcnow
from deliberation.surveys import builder, paper, respondents
from deliberation.surveys.answering import AnswerInput
from deliberation.surveys.builder import QuestionInput, SurveyInput
from deliberation.surveys.models import Survey

TITLE = "党群服务站使用需求调查"
INTRO = """服务站改造前，想先听听大家怎么用、缺什么。问卷约需 3 分钟，匿名填写，结果会在居民区公告栏和本平台公布。
行动不便的居民可向楼组长领取纸质问卷，填好后交回楼组长或居委会。"""

QUESTIONS = [
    QuestionInput("single", "您多久去一次党群服务站？", required=True,
                  options=["每周几次", "每周一次", "每月一两次", "很少去"]),
    QuestionInput("multiple", "改造后，您最希望增加哪些空间？",
                  options=["阅览室", "儿童活动区", "老年活动室", "健身角", "社区食堂"],
                  max_choices=2, allow_other=True, help_text="最多选两项"),
    QuestionInput("scale_1_5", "您对服务站现在的环境满意吗？", required=True, help_text="1 为很不满意，5 为很满意"),
    QuestionInput("ranking", "请给希望增加的开放时段排序", options=["工作日晚上", "周六全天", "周日全天"]),
    QuestionInput("long_text", "还有什么想对居委会说的？"),
]

COMMENTS = [
    "希望晚上能开到九点，下班后也能去。",
    "卫生间一定要方便轮椅进出。",
    "夏天空调不够凉，老人坐不住。",
    "孩子放学后没地方去，希望有个写作业的角落。",
    "施工期间活动别停，借个地方也行。",
    "希望多办几次健康讲座。",
]


def _answers(survey: Survey, rng: random.Random) -> dict[int, AnswerInput]:
    q1, q2, q3, q4, q5 = survey.questions
    answers = {
        q1.id: AnswerInput(choices=[rng.choices(range(4), weights=(2, 3, 3, 2))[0]]),
        q2.id: AnswerInput(choices=sorted(rng.sample(range(5), rng.choice((1, 2))))),
        q3.id: AnswerInput(value=rng.choices(range(1, 6), weights=(1, 3, 4, 3, 1))[0]),
        q4.id: AnswerInput(ranking=rng.sample(range(3), 3)),
    }
    if rng.random() < 0.1:
        answers[q2.id] = AnswerInput(choices=[rng.randrange(5)], other=True, other_text="快递代收点")
    if rng.random() < 0.35:
        answers[q5.id] = AnswerInput(text=rng.choice(COMMENTS))
    return answers


def load_demo_survey(session: Session, community: Community, secretary: User,
                     consultation: Consultation | None = None, paper_forms: int = 40) -> Survey:
    """Build, publish and fill the demo survey (in the consultation when one is given)."""
    rng = random.Random(5)
    survey = builder.create_survey(session, secretary, community, SurveyInput(
        title=TITLE, intro=INTRO, anonymous=True, consultation_id=consultation.id if consultation else None,
        closes_at=utcnow() + timedelta(days=14)))
    for question in QUESTIONS:
        builder.add_question(session, secretary, survey, question)
    builder.publish_survey(session, secretary, survey)
    eligible = respondents.eligible_ids(session, survey).subquery()
    candidates = session.execute(
        select(Person.name, Unit.building_id, Unit.room)
        .join(Household, Household.id == Person.household_id)
        .join(Unit, Unit.id == Household.unit_id)
        .where(Person.community_id == community.id, Person.id.in_(select(eligible.c.id)))
        .order_by(Person.id)
        .limit(600)
    ).all()
    seen: set[tuple[str, int, str]] = set()
    for name, building_id, room in rng.sample(candidates, min(paper_forms, len(candidates))):
        if (name, building_id, room) in seen:  # two people of one name in one flat: one form
            continue
        seen.add((name, building_id, room))
        paper.enter_paper_response(session, secretary, survey, _answers(survey, rng), building_id=building_id,
                                   room=room, person_name=name)
    session.flush()
    return survey
