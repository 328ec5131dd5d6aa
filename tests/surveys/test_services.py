"""The survey rules through the services: building, freezing, versions, answering and its bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from deliberation.audit import AuditEvent
from deliberation.consultations import services as consultation_services
from deliberation.consultations.models import Eligibility, Phase
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid
from deliberation.surveys import answering, builder, paper, respondents, results
from deliberation.surveys.answering import AnswerInput
from deliberation.surveys.builder import QuestionInput, SurveyInput
from deliberation.surveys.models import Answer, Participation, Response, SurveyState
from tests.surveys.conftest import full_answers


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar()


# -- builder -----------------------------------------------------------------------------------


def test_builder_adds_every_kind_of_question_in_order(survey):
    kinds = [q.kind.value for q in survey.questions]
    assert kinds == ["single", "multiple", "scale_1_5", "ranking", "long_text"]
    assert [q.position for q in survey.questions] == [1, 2, 3, 4, 5]
    multiple = survey.questions[1]
    assert multiple.max_choices == 2 and multiple.allow_other


def test_only_moderators_build(session, community, resident):
    with pytest.raises(Forbidden):
        builder.create_survey(session, resident, community, SurveyInput(title="问卷"))


@pytest.mark.parametrize(("question", "field"), [
    (QuestionInput("single", "只有一个选项", options=["是"]), "options"),
    (QuestionInput("single", "", options=["是", "否"]), "text"),
    (QuestionInput("multiple", "最多项数太大", options=["甲", "乙"], max_choices=5), "max_choices"),
    (QuestionInput("nonsense", "题型不对"), "kind"),
    (QuestionInput("single", "选项太长", options=["甲" * 101, "乙"]), "options"),
])
def test_bad_questions_are_refused_naming_the_field(session, secretary, make_survey, question, field):
    survey = make_survey(questions=[], publish=False)
    with pytest.raises(Invalid) as refused:
        builder.add_question(session, secretary, survey, question)
    assert field in refused.value.fields


def test_reorder_moves_a_question_up_and_down(session, secretary, make_survey):
    survey = make_survey(publish=False)
    third = survey.questions[2]
    builder.move_question(session, secretary, third, "up")
    session.commit()
    assert [q.text for q in survey.questions][1] == third.text
    builder.move_question(session, secretary, third, "down")
    builder.move_question(session, secretary, third, "down")
    session.commit()
    assert [q.text for q in survey.questions][3] == third.text
    first = survey.questions[0]
    builder.move_question(session, secretary, first, "up")  # already first: stays
    assert survey.questions[0].id == first.id


def test_delete_renumbers(session, secretary, make_survey):
    survey = make_survey(publish=False)
    builder.delete_question(session, secretary, survey.questions[1])
    session.commit()
    assert [q.position for q in survey.questions] == [1, 2, 3, 4]


def test_publish_needs_a_question_and_a_future_close(session, secretary, make_survey):
    empty = make_survey(questions=[], publish=False)
    with pytest.raises(Invalid):
        builder.publish_survey(session, secretary, empty)
    late = make_survey(publish=False)
    late.closes_at = utcnow() - timedelta(hours=1)
    with pytest.raises(Invalid):
        builder.publish_survey(session, secretary, late)


def test_questions_freeze_once_anyone_answered_and_a_new_version_copies_them(session, secretary, resident,
                                                                           survey):
    answering.save_response(session, resident, survey, {}, submit=False)  # a draft is enough
    session.commit()
    with pytest.raises(Conflict):
        builder.add_question(session, secretary, survey, QuestionInput("short_text", "再加一题"))
    with pytest.raises(Conflict):
        builder.update_question(session, secretary, survey.questions[0],
                                QuestionInput("single", "改题目", options=["甲", "乙"]))
    with pytest.raises(Conflict):
        builder.move_question(session, secretary, survey.questions[0], "down")
    with pytest.raises(Conflict):
        builder.delete_question(session, secretary, survey.questions[0])
    copy = builder.new_version(session, secretary, survey)
    session.commit()
    assert copy.version == 2 and copy.previous_version_id == survey.id and copy.state == SurveyState.DRAFT
    assert [q.text for q in copy.questions] == [q.text for q in survey.questions]
    assert copy.questions[1].options == survey.questions[1].options
    builder.add_question(session, secretary, copy, QuestionInput("short_text", "再加一题"))
    builder.publish_survey(session, secretary, copy)
    session.commit()
    assert survey.effective_state == SurveyState.CLOSED  # the old version stops taking answers
    with pytest.raises(Conflict):
        builder.new_version(session, secretary, survey)


def test_state_follows_the_clock(make_survey):
    now = utcnow()
    later = make_survey("以后开始", opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2))
    assert later.effective_state == SurveyState.SCHEDULED
    assert later.state_at(now + timedelta(days=1, hours=1)) == SurveyState.OPEN
    assert later.state_at(now + timedelta(days=3)) == SurveyState.CLOSED
    draft = make_survey("草稿", publish=False)
    assert draft.effective_state == SurveyState.DRAFT


# -- answering ---------------------------------------------------------------------------------


def test_a_resident_submits_and_edits_until_the_close(session, resident, survey):
    response = answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    session.commit()
    assert response.is_submitted and response.person_id == resident.person_id
    answering.save_response(session, resident, survey, full_answers(survey, q3=AnswerInput(value=2)), submit=True)
    session.commit()
    assert count(session, Response) == 1
    values = session.execute(select(Answer.value).where(Answer.value.is_not(None))).scalars().all()
    assert values == [2]
    survey.closes_at = utcnow() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(Conflict) as refused:
        answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    assert "截止" in refused.value.message


def test_a_draft_may_leave_required_questions_empty_but_a_submission_may_not(session, resident, survey):
    draft = answering.save_response(session, resident, survey, full_answers(survey, q1=None), submit=False)
    session.commit()
    assert not draft.is_submitted
    with pytest.raises(Invalid) as refused:
        answering.save_response(session, resident, survey, full_answers(survey, q1=None), submit=True)
    assert refused.value.fields == {f"q{survey.questions[0].id}": "此题为必答题，请作答"}


BAD_INPUT = [
    ("option not in the question", {"q1": AnswerInput(choices=[7])}, 1, "所选的选项不在本题中"),
    ("negative option", {"q1": AnswerInput(choices=[-1])}, 1, "所选的选项不在本题中"),
    ("two answers to a single choice", {"q1": AnswerInput(choices=[0, 1])}, 1, "本题只能选一项"),
    ("too many choices", {"q2": AnswerInput(choices=[0, 1, 2])}, 2, "本题最多选 2 项（现在选了 3 项）"),
    ("other counts as a choice", {"q2": AnswerInput(choices=[0, 1], other=True, other_text="菜场")}, 2,
     "本题最多选 2 项（现在选了 3 项）"),
    ("other without its text", {"q2": AnswerInput(other=True)}, 2, "选了“其他”，请注明具体内容"),
    ("other where there is none", {"q1": AnswerInput(other=True, other_text="别的")}, 1, "本题没有“其他”选项"),
    ("scale out of range", {"q3": AnswerInput(value=6)}, 3, "请选择 1 到 5 之间的分数"),
    ("required left empty", {"q3": None}, 3, "此题为必答题，请作答"),
    ("ranking twice the same", {"q4": AnswerInput(ranking=[0, 0, 1])}, 4, "每个名次只能给一个选项，每个选项只能排一次"),
    ("rank out of range", {"q4": AnswerInput(ranks={0: 9})}, 4, "名次须在 1 到 3 之间"),
    ("text over the limit", {"q5": AnswerInput(text="长" * 2001)}, 5, "不能超过 2000 个字（现在 2001 个字）"),
]


@pytest.mark.parametrize(("case", "override", "position", "message"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_refused_next_to_its_question_and_nothing_is_saved(session, resident, survey, case,
                                                                       override, position, message):
    with pytest.raises(Invalid) as refused:
        answering.save_response(session, resident, survey, full_answers(survey, **override), submit=True)
    session.rollback()
    assert refused.value.fields == {f"q{survey.questions[position - 1].id}": message}
    assert count(session, Response) == 0 and count(session, Answer) == 0 and count(session, Participation) == 0


def test_bad_input_on_an_existing_response_keeps_the_stored_answers(session, resident, survey):
    answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    session.commit()
    with pytest.raises(Invalid):
        answering.save_response(session, resident, survey, full_answers(survey, q1=AnswerInput(choices=[5])),
                                submit=True)
    session.rollback()
    assert count(session, Answer) == 8  # q1 one choice, q2 two, q3 one value, q4 three ranks, q5 one text
    texts = session.execute(select(Answer.text).where(Answer.text.is_not(None))).scalars().all()
    assert texts == ["希望晚上也开放"]


def test_a_second_response_is_refused(session, resident, survey):
    answering.save_response(session, resident, survey, full_answers(survey), submit=True, new=True)
    session.commit()
    with pytest.raises(Conflict) as refused:
        answering.save_response(session, resident, survey, full_answers(survey), submit=True, new=True)
    assert "每人只能填一份" in refused.value.message


def test_one_response_each_is_a_unique_constraint(session, resident, survey):
    from sqlalchemy.exc import IntegrityError

    session.add(Participation(survey_id=survey.id, person_id=resident.person_id))
    session.commit()
    session.add(Participation(survey_id=survey.id, person_id=resident.person_id))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_unknown_question_ids_are_refused(session, resident, survey):
    with pytest.raises(Invalid) as refused:
        answering.save_response(session, resident, survey, {**full_answers(survey), 99999: AnswerInput(text="x")},
                                submit=True)
    assert "answers" in refused.value.fields


def test_outsiders_and_users_without_a_person_may_not_answer(session, outsider, secretary, survey):
    with pytest.raises(Forbidden):
        answering.save_response(session, outsider, survey, full_answers(survey), submit=True)
    with pytest.raises(Forbidden):
        answering.save_response(session, secretary, survey, full_answers(survey), submit=True)


def test_a_sessions_survey_follows_the_sessions_eligibility(session, secretary, community, resident, neighbour,
                                                            make_survey):
    building = resident.person.household.unit.building
    consultation = consultation_services.create_consultation(
        session, secretary, community,
        consultation_services.ConsultationInput(title="3号楼加装电梯", eligibility=Eligibility.BUILDINGS.value,
                                                building_ids=[building.id]))
    consultation_services.move_phase(session, secretary, consultation, Phase.COMMENTING)
    session.commit()
    survey = make_survey("电梯意向", consultation_id=consultation.id)
    assert respondents.may_answer(session, survey, resident)
    assert not respondents.may_answer(session, survey, neighbour)
    with pytest.raises(Forbidden):
        answering.save_response(session, neighbour, survey, full_answers(survey), submit=True)
    summary = results.survey_summary(session, survey)
    assert summary.eligible_count == 1


def test_anonymous_responses_carry_no_person_yet_stay_one_each_and_editable(session, resident, make_survey):
    survey = make_survey("匿名调查", anonymous=True)
    response = answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    session.commit()
    assert response.person_id is None and response.user_id is None
    assert response.building_id is not None and response.tenure == "owner"
    found = answering.my_response(session, resident, survey)
    assert found.id == response.id
    participation = session.execute(select(Participation)).scalar_one()
    assert participation.person_id == resident.person_id
    assert not hasattr(participation, "response_id")
    events = session.execute(select(AuditEvent).where(AuditEvent.action == "survey.submit")).scalars().all()
    assert len(events) == 1 and events[0].object_id is None
    with pytest.raises(Conflict):
        answering.save_response(session, resident, survey, full_answers(survey), submit=True, new=True)


def test_anonymity_cannot_change_once_answered(session, secretary, resident, survey):
    answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    session.commit()
    with pytest.raises(Conflict):
        builder.update_survey(session, secretary, survey, SurveyInput(title=survey.title, anonymous=True))


# -- paper -------------------------------------------------------------------------------------


def test_paper_forms_are_marked_with_who_entered_them_and_the_unit(session, secretary, resident, survey):
    unit = resident.person.household.unit
    response = paper.enter_paper_response(
        session, secretary, survey, full_answers(survey, q1=None), building_id=unit.building_id, room=unit.room)
    session.commit()
    assert response.source == "paper" and response.entered_by_id == secretary.id and response.unit_id == unit.id
    assert response.is_submitted  # required questions may be blank on paper


def test_paper_for_a_person_who_answered_online_is_a_second_response(session, secretary, resident, survey):
    answering.save_response(session, resident, survey, full_answers(survey), submit=True)
    session.commit()
    unit = resident.person.household.unit
    with pytest.raises(Conflict):
        paper.enter_paper_response(session, secretary, survey, full_answers(survey), building_id=unit.building_id,
                                   room=unit.room, person_name=resident.person.name)
    session.rollback()
    assert count(session, Response) == 1


def test_a_resident_cannot_overwrite_their_paper_form_online(session, secretary, resident, survey):
    unit = resident.person.household.unit
    paper.enter_paper_response(session, secretary, survey, full_answers(survey), building_id=unit.building_id,
                               room=unit.room, person_name=resident.person.name)
    session.commit()
    with pytest.raises(Conflict):
        answering.save_response(session, resident, survey, full_answers(survey), submit=True)


@pytest.mark.parametrize(("room", "name", "field"), [("999", "", "room"), ("", "", "room"),
                                                     (None, "不存在的人", "person_name")])
def test_paper_entry_checks_the_unit_and_the_name(session, secretary, resident, survey, room, name, field):
    unit = resident.person.household.unit
    with pytest.raises(Invalid) as refused:
        paper.enter_paper_response(session, secretary, survey, full_answers(survey), building_id=unit.building_id,
                                   room=unit.room if room is None else room, person_name=name)
    assert field in refused.value.fields


def test_paper_entry_still_refuses_bad_answers_and_closed_surveys(session, secretary, resident, survey):
    unit = resident.person.household.unit
    with pytest.raises(Invalid):
        paper.enter_paper_response(session, secretary, survey, full_answers(survey, q2=AnswerInput(choices=[0, 1, 2])),
                                   building_id=unit.building_id, room=unit.room)
    builder.close_survey(session, secretary, survey)
    session.commit()
    with pytest.raises(Conflict):
        paper.enter_paper_response(session, secretary, survey, full_answers(survey), building_id=unit.building_id,
                                   room=unit.room)
    with pytest.raises(Forbidden):
        paper.enter_paper_response(session, resident, survey, full_answers(survey), building_id=unit.building_id,
                                   room=unit.room)


def test_where_residents_choose_each_response_is_named_or_anonymous_as_chosen(session, resident, neighbour,
                                                                             make_survey):
    survey = make_survey("自选", anonymity="choice")
    hidden = answering.save_response(session, resident, survey, full_answers(survey), submit=True, anonymous=True)
    signed = answering.save_response(session, neighbour, survey, full_answers(survey), submit=True, anonymous=False)
    session.commit()
    assert hidden.person_id is None and hidden.user_id is None
    assert signed.person_id == neighbour.person_id and signed.user_id == neighbour.id
    # changing one's mind before the close: the name goes (or comes) with the next save
    answering.save_response(session, neighbour, survey, full_answers(survey), submit=True, anonymous=True)
    session.commit()
    assert signed.person_id is None
    assert answering.my_response(session, neighbour, survey).id == signed.id
