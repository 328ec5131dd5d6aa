"""Survey results appear in the minutes when the session had a survey (from surveys.results)."""

from __future__ import annotations

from deliberation.minutes import contents as minutes_contents
from deliberation.minutes import services


def test_a_closed_survey_of_the_session_is_summarised(session, run, secretary, residents):
    from deliberation.surveys import answering, builder

    survey = builder.create_survey(session, secretary, run.consultation.community, builder.SurveyInput(
        title="服务站开放时间调查", consultation_id=run.consultation.id))
    question = builder.add_question(session, secretary, survey, builder.QuestionInput(
        kind="single", text="您希望服务站几点开门？", options=["早上7点", "早上8点"], required=True))
    builder.add_question(session, secretary, survey, builder.QuestionInput(kind="long_text", text="其他建议"))
    builder.publish_survey(session, secretary, survey)
    for resident, choice in zip(residents, (0, 0, 1), strict=True):
        answering.save_response(session, resident, survey, {question.id: answering.AnswerInput(choices=[choice])},
                                submit=True)
    builder.close_survey(session, secretary, survey)
    session.commit()
    m = minutes_contents.assemble(session, secretary, run.consultation)
    (section,) = m.surveys
    assert (section.title, section.responses, section.eligible) == ("服务站开放时间调查", 3, 3)
    first = section.questions[0]
    assert first.text == "您希望服务站几点开门？" and first.answers == 3
    assert [(r.label, r.count) for r in first.rows] == [("早上7点", 2), ("早上8点", 1)]
    md = services.export(session, secretary, run.consultation, "md")[0].decode()
    assert "## 六、问卷调查" in md and "## 七、表决情况" in md and "## 八、结论" in md
    assert "| 早上7点 | 2 | 67% |" in md
    tables = services.export(session, secretary, run.consultation, "csv")[0].decode("utf-8-sig")
    assert "问卷1 第1题,早上7点,2,67%" in tables


def test_a_draft_survey_stays_out(session, run, secretary):
    from deliberation.surveys import builder

    builder.create_survey(session, secretary, run.consultation.community, builder.SurveyInput(
        title="还没发布的问卷", consultation_id=run.consultation.id))
    assert minutes_contents.assemble(session, secretary, run.consultation).surveys == []
