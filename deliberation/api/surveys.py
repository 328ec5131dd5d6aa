"""API of the surveys capability: create and publish (moderators), read, answer, results.

Thin adapters over the surveys capability's operations (builder, answering, results, lists), the same
ones the pages call. Surveys a user may not see answer 404, as the pages do; results wait for the close
unless the user moderates.
"""

from __future__ import annotations

from datetime import UTC

from flask import g
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from deliberation.accounts.access import community_or_404
from deliberation.api.arguments import Blueprint
from deliberation.api.auth import token_required
from deliberation.errors import Invalid, NotFound
from deliberation.extensions import db
from deliberation.limits import survey_save_limit
from deliberation.pagination import paginate
from deliberation.surveys import answering, builder, lists, results
from deliberation.surveys.access import survey_or_404
from deliberation.surveys.models import QuestionKind, Response, Survey

bp = Blueprint("api_surveys", __name__, description="问卷：创建、发布、填写与结果")


# -- schemas -----------------------------------------------------------------------------------


class SurveyQuestionIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in QuestionKind]))
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
    help_text = fields.String(load_default="", validate=validate.Length(max=500))
    required = fields.Boolean(load_default=False)
    options = fields.List(fields.String(validate=validate.Length(max=builder.MAX_OPTION_LENGTH)),
                          load_default=list, validate=validate.Length(max=builder.MAX_OPTIONS))
    max_choices = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=20))
    allow_other = fields.Boolean(load_default=False, metadata={"description": "“其他（请注明）” option"})


class SurveyIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    intro = fields.String(load_default="", validate=validate.Length(max=builder.MAX_INTRO))
    anonymity = fields.String(load_default="named", validate=validate.OneOf(["named", "anonymous", "choice"]),
                              metadata={"description": "named | anonymous | choice (each resident chooses)"})
    consultation_id = fields.Integer(load_default=None, allow_none=True)
    opens_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    closes_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    reminder_days = fields.String(load_default="1", validate=validate.Length(max=40), metadata={
        "description": 'days before the close on which those who have not answered are reminded, e.g. "3,1" '
                       '(each 1 to 14); "" for none'})
    questions = fields.List(fields.Nested(SurveyQuestionIn), load_default=list,
                            validate=validate.Length(max=builder.MAX_QUESTIONS))


class SurveyQuestionOut(Schema):
    id = fields.Integer()
    position = fields.Integer()
    kind = fields.String()
    text = fields.String()
    help_text = fields.String()
    required = fields.Boolean()
    options = fields.List(fields.String(), metadata={"description": "answers refer to options by index, from 0"})
    max_choices = fields.Integer(allow_none=True)
    allow_other = fields.Boolean()
    max_length = fields.Integer(metadata={"description": "text questions: the most characters accepted"})


class SurveyOut(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    consultation_id = fields.Integer(allow_none=True)
    title = fields.String()
    intro = fields.String()
    anonymity = fields.String(metadata={"description": "named | anonymous | choice"})
    state = fields.String(metadata={"description": "draft | scheduled | open | closed (by the clock too)"})
    opens_at = fields.DateTime(allow_none=True)
    closes_at = fields.DateTime(allow_none=True)
    reminder_days = fields.String(metadata={"description": 'days before the close to remind, e.g. "3,1"'})
    version = fields.Integer()
    previous_version_id = fields.Integer(allow_none=True)
    questions = fields.List(fields.Nested(SurveyQuestionOut))


class SurveyAnswerIn(Schema):
    question_id = fields.Integer(required=True)
    choices = fields.List(fields.Integer(), load_default=list,
                          metadata={"description": "single/multiple: chosen option indexes"})
    other = fields.String(load_default="", metadata={"description": "text of “其他”; non-empty means chosen"})
    text = fields.String(load_default="", metadata={"description": "short_text / long_text"})
    value = fields.Integer(load_default=None, allow_none=True, metadata={"description": "scale_1_5: 1–5"})
    ranking = fields.List(fields.Integer(), load_default=list,
                          metadata={"description": "ranking: option indexes, most preferred first"})


class SurveyResponseIn(Schema):
    answers = fields.List(fields.Nested(SurveyAnswerIn), required=True)
    submit = fields.Boolean(load_default=True, metadata={"description": "false: keep it as a draft"})
    anonymous = fields.Boolean(load_default=None, allow_none=True,
                               metadata={"description": "where the survey's anonymity is 'choice': the resident's "
                                                        "choice (default anonymous)"})


class SurveyAnswerOut(Schema):
    question_id = fields.Integer()
    choices = fields.List(fields.Integer())
    other = fields.String()
    text = fields.String()
    value = fields.Integer(allow_none=True)
    ranking = fields.List(fields.Integer())


class SurveyResponseOut(Schema):
    id = fields.Integer()
    survey_id = fields.Integer()
    source = fields.String()
    submitted = fields.Boolean()
    submitted_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    anonymous = fields.Boolean(metadata={"description": "kept without the person"})
    answers = fields.List(fields.Nested(SurveyAnswerOut))


class SurveyOptionRowOut(Schema):
    label = fields.String()
    count = fields.Integer()
    percent = fields.String()
    average_rank = fields.String()


class SurveyQuestionResultOut(Schema):
    id = fields.Integer()
    position = fields.Integer()
    label = fields.String()
    kind = fields.String()
    answered = fields.Integer()
    rows = fields.List(fields.Nested(SurveyOptionRowOut))
    average = fields.String()
    text_count = fields.Integer()
    texts = fields.List(fields.String(), metadata={"description": "free text; blocked words hidden for residents"})


class SurveyGroupOut(Schema):
    key = fields.String()
    label = fields.String()
    responses = fields.Integer()
    eligible = fields.Integer()
    rate = fields.String()


class SurveyBreakdownOut(Schema):
    building = fields.List(fields.Nested(SurveyGroupOut))
    age = fields.List(fields.Nested(SurveyGroupOut))
    tenure = fields.List(fields.Nested(SurveyGroupOut))


class SurveyResultsOut(Schema):
    survey_id = fields.Integer()
    title = fields.String()
    response_count = fields.Integer()
    online_count = fields.Integer()
    paper_count = fields.Integer()
    eligible_count = fields.Integer()
    response_rate = fields.String()
    questions = fields.List(fields.Nested(SurveyQuestionResultOut))
    breakdown = fields.Nested(SurveyBreakdownOut)


# -- serialisers -------------------------------------------------------------------------------


def _survey(survey: Survey) -> dict:
    return {
        "id": survey.id,
        "community_id": survey.community_id,
        "consultation_id": survey.consultation_id,
        "title": survey.title,
        "intro": survey.intro,
        "anonymity": survey.anonymity.value,
        "state": survey.effective_state.value,
        "opens_at": survey.opens_at,
        "closes_at": survey.closes_at,
        "reminder_days": survey.reminder_days,
        "version": survey.version,
        "previous_version_id": survey.previous_version_id,
        "questions": [
            {"id": q.id, "position": q.position, "kind": q.kind.value, "text": q.text, "help_text": q.help_text,
             "required": q.required, "options": list(q.options or []), "max_choices": q.max_choices,
             "allow_other": q.allow_other, "max_length": answering.text_limit(q)}
            for q in survey.questions
        ],
    }


def _response(response: Response) -> dict:
    return {
        "id": response.id,
        "survey_id": response.survey_id,
        "source": response.source.value,
        "submitted": response.is_submitted,
        "submitted_at": response.submitted_at,
        "updated_at": response.updated_at,
        "anonymous": response.person_id is None,
        "answers": [
            {"question_id": qid, "choices": a.choices, "other": a.other_text, "text": a.text, "value": a.value,
             "ranking": a.ranking}
            for qid, a in answering.answers_of(response).items()
        ],
    }


def _answers(items: list[dict]) -> dict[int, answering.AnswerInput]:
    return {
        item["question_id"]: answering.AnswerInput(
            choices=item["choices"], other=bool(item["other"].strip()), other_text=item["other"], text=item["text"],
            value=item["value"], ranking=item["ranking"])
        for item in items
    }


# -- endpoints ---------------------------------------------------------------------------------


class SurveySummaryOut(Schema):
    id = fields.Integer()
    title = fields.String()
    state = fields.String()
    anonymity = fields.String()
    consultation_id = fields.Integer(allow_none=True)
    closes_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class SurveyPageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


@bp.route("/communities/<int:community_id>/surveys")
@token_required
@bp.arguments(SurveyPageQuery, location="query")
@bp.response(200, SurveySummaryOut(many=True))
def list_surveys(query, community_id: int):
    """The community's surveys the user may see (drafts for moderators only), newest first."""
    community = community_or_404(community_id, g.api_user)
    page = paginate(db.session, lists.community_surveys(db.session, g.api_user, community),
                    per_page=query["per_page"], number=query["page"])
    return [{"id": s.id, "title": s.title, "state": s.effective_state.value, "anonymity": s.anonymity.value,
             "consultation_id": s.consultation_id, "closes_at": s.closes_at, "version": s.version}
            for s in page.items]


@bp.route("/communities/<int:community_id>/surveys", methods=["POST"])
@token_required
@bp.arguments(SurveyIn)
@bp.response(201, SurveyOut)
def create_survey(data, community_id: int):
    """Create a survey with its questions, as a draft (moderators)."""
    community = community_or_404(community_id, g.api_user, moderate=True)
    questions = data.pop("questions")
    survey = builder.create_survey(db.session, g.api_user, community, builder.SurveyInput(**data))
    for number, question in enumerate(questions, start=1):
        try:
            builder.add_question(db.session, g.api_user, survey, builder.QuestionInput(**question))
        except Invalid as error:
            error.fields = {f"questions.{number}.{name}": message for name, message in error.fields.items()}
            raise
    db.session.commit()
    return _survey(survey)


@bp.route("/surveys/<int:survey_id>/publish", methods=["POST"])
@token_required
@bp.response(200, SurveyOut)
def publish_survey(survey_id: int):
    """Publish a draft survey (moderators): the eligible residents may answer from its opening time."""
    survey = survey_or_404(survey_id, g.api_user, moderate=True)
    builder.publish_survey(db.session, g.api_user, survey)
    db.session.commit()
    return _survey(survey)


@bp.route("/surveys/<int:survey_id>")
@token_required
@bp.response(200, SurveyOut)
def read_survey(survey_id: int):
    """A survey and its questions (drafts for moderators only)."""
    return _survey(survey_or_404(survey_id, g.api_user))


@bp.route("/surveys/<int:survey_id>/response")
@token_required
@bp.response(200, SurveyResponseOut)
def read_response(survey_id: int):
    """The user's own response (draft or submitted); 404 when there is none."""
    survey = survey_or_404(survey_id, g.api_user)
    response = answering.my_response(db.session, g.api_user, survey)
    if response is None:
        raise NotFound(_("您还没有填写这份问卷"))
    return _response(response)


@bp.route("/surveys/<int:survey_id>/responses", methods=["POST"])
@survey_save_limit
@token_required
@bp.arguments(SurveyResponseIn)
@bp.response(201, SurveyResponseOut)
def submit_response(data, survey_id: int):
    """Submit a new response; 409 if the user already has one (update it with PUT …/response)."""
    survey = survey_or_404(survey_id, g.api_user)
    response = answering.save_response(db.session, g.api_user, survey, _answers(data["answers"]),
                                       submit=data["submit"], new=True, anonymous=data["anonymous"])
    db.session.commit()
    return _response(response)


@bp.route("/surveys/<int:survey_id>/response", methods=["PUT"])
@survey_save_limit
@token_required
@bp.arguments(SurveyResponseIn)
@bp.response(200, SurveyResponseOut)
def update_response(data, survey_id: int):
    """Create or replace the user's own response, until the survey closes."""
    survey = survey_or_404(survey_id, g.api_user)
    response = answering.save_response(db.session, g.api_user, survey, _answers(data["answers"]),
                                       submit=data["submit"], anonymous=data["anonymous"])
    db.session.commit()
    return _response(response)


@bp.route("/surveys/<int:survey_id>/results")
@token_required
@bp.response(200, SurveyResultsOut)
def read_results(survey_id: int):
    """Counts and percentages per question, free text, breakdowns and the response rate.

    Moderators at any time; residents once the survey has closed (403 before).
    """
    survey = survey_or_404(survey_id, g.api_user)
    results.require_results(survey, g.api_user)
    summary = results.survey_summary(db.session, survey)
    texts = results.free_texts(db.session, survey)
    moderator = survey.can_moderate(g.api_user)
    groups = results.breakdowns(db.session, survey)
    return {
        **{k: getattr(summary, k) for k in ("survey_id", "title", "response_count", "online_count", "paper_count",
                                            "eligible_count", "response_rate")},
        "questions": [
            {"id": q.id, "position": q.position, "label": q.label, "kind": q.kind, "answered": q.answered,
             "rows": [vars(r) for r in q.rows], "average": q.average, "text_count": q.text_count,
             "texts": [t.text for t in texts.get(q.id, []) if moderator or not t.hidden]}
            for q in summary.questions
        ],
        "breakdown": {dimension: [vars(r) for r in rows] for dimension, rows in groups.items()},
    }
