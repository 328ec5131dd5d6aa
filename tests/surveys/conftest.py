"""Fixtures of the survey tests: a community, a secretary, residents of two buildings, a survey."""

from __future__ import annotations

import pytest

from deliberation.surveys import builder
from deliberation.surveys.answering import AnswerInput
from deliberation.surveys.builder import QuestionInput, SurveyInput


@pytest.fixture
def resident(make_user, community):
    return make_user("wangayi", community, building="3号楼", room="302")


@pytest.fixture
def neighbour(make_user, community):
    return make_user("lishushu", community, building="5号楼", room="101", tenure="tenant")


FIVE_QUESTIONS = [
    QuestionInput("single", "您多久去一次党群服务站？", required=True, options=["每周", "每月", "很少"]),
    QuestionInput("multiple", "您希望增加哪些空间？", options=["阅览室", "儿童活动区", "健身角", "食堂"],
                  max_choices=2, allow_other=True),
    QuestionInput("scale_1_5", "您对现在的服务站满意吗？", required=True),
    QuestionInput("ranking", "请给开放时段排序", options=["上午", "下午", "晚上"]),
    QuestionInput("long_text", "还有什么想说的？"),
]


@pytest.fixture
def make_survey(session, secretary, community):
    """A survey built through the services (five questions by default), published unless asked not to."""

    def make(title: str = "党群服务站使用需求调查", *, questions=None, publish: bool = True, actor=None,
             in_community=None, **fields):
        actor = actor or secretary
        survey = builder.create_survey(session, actor, in_community or community, SurveyInput(title=title, **fields))
        for question in FIVE_QUESTIONS if questions is None else questions:
            builder.add_question(session, actor, survey, question)
        if publish:
            builder.publish_survey(session, actor, survey)
        session.commit()
        return survey

    return make


@pytest.fixture
def survey(make_survey):
    return make_survey()


def full_answers(survey, **overrides) -> dict[int, AnswerInput]:
    """A complete, valid answer to the five-question survey; overrides by question position (q1..q5)."""
    q = {n: question for n, question in enumerate(survey.questions, start=1)}
    answers = {
        q[1].id: AnswerInput(choices=[0]),
        q[2].id: AnswerInput(choices=[1, 2]),
        q[3].id: AnswerInput(value=4),
        q[4].id: AnswerInput(ranking=[2, 0, 1]),
        q[5].id: AnswerInput(text="希望晚上也开放"),
    }
    for key, value in overrides.items():
        number = int(key.removeprefix("q"))
        if value is None:
            answers.pop(q[number].id, None)
        else:
            answers[q[number].id] = value
    return answers


def form_data(survey, **fields) -> dict:
    """Posted fields of the answer page by question position: q1="0", q2=["1", "other"], q2_other="…"."""
    q = {n: question for n, question in enumerate(survey.questions, start=1)}
    data = {}
    for key, value in fields.items():
        number, _sep, rest = key.removeprefix("q").partition("_")
        data[f"q{q[int(number)].id}" + (f"_{rest}" if rest else "")] = value
    return data
