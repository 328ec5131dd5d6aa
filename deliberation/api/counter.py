"""API of the counter (帮办): a ballot of an open, not secret vote, a survey's answers or a comment recorded on a
resident's behalf with how they consented — the operations the counter's pages call (voting.assisted,
surveys.assisted, consultations.assisted). Moderators, and floor captains for the residents of their building.
A refused ballot is rolled back and then recorded in the audit log on its own."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from deliberation import audit
from deliberation.accounts.assisted import resident_for
from deliberation.accounts.models import Community, Consent
from deliberation.api.arguments import Blueprint
from deliberation.api.auth import token_required
from deliberation.api.surveys import SurveyAnswerIn, _answers
from deliberation.consultations import assisted as comments_at_counter
from deliberation.consultations.models import Consultation
from deliberation.errors import NotFound, require
from deliberation.extensions import db
from deliberation.limits import ballot_limit, survey_save_limit
from deliberation.surveys import assisted as surveys_at_counter
from deliberation.surveys.models import Survey
from deliberation.voting import assisted as ballots_at_counter
from deliberation.voting import live
from deliberation.voting.models import Vote

bp = Blueprint("api_counter", __name__, description="帮办：为到站或来电的居民代为录入选票、问卷答卷和意见")

CONSENT = fields.String(required=True, validate=validate.OneOf([c.value for c in Consent]), metadata={
    "description": "how the resident consented: in_person (本人到场), phone (电话确认), written (书面委托)"})
PERSON = fields.Integer(required=True, metadata={"description": "the resident (a person of the roster)"})


class AssistedBallotIn(Schema):
    person_id = PERSON
    consent = CONSENT
    choice = fields.Raw(required=True, metadata={"description": "as for POST /votes/{vote_id}/ballot"})


class AssistedBallotOut(Schema):
    vote_id = fields.Integer()
    person_id = fields.Integer()
    receipt = fields.String(metadata={"description": "the receipt code, for the resident to keep"})
    changed = fields.Boolean()


class AssistedResponseIn(Schema):
    person_id = PERSON
    consent = CONSENT
    answers = fields.List(fields.Nested(SurveyAnswerIn), required=True)


class AssistedCommentIn(Schema):
    person_id = PERSON
    consent = CONSENT
    body = fields.String(required=True)


class AssistedOut(Schema):
    id = fields.Integer(metadata={"description": "the survey response or the comment"})
    person_id = fields.Integer()
    consent = fields.String()


def _counter_of(found, message: str) -> Community:
    """The community of a vote, survey or session the token's user serves the counter of: 404 for what they may
    not see (another community), 403 for a resident."""
    community = db.session.get(Community, found.community_id) if found is not None else None
    if community is None or not community.can_view(g.api_user):
        raise NotFound(message)
    require(community.can_serve_counter(g.api_user), _("只有主持人或楼组长可以代为录入"))
    return community


@bp.route("/votes/<int:vote_id>/assisted", methods=["POST"])
@token_required
@ballot_limit
@bp.arguments(AssistedBallotIn)
@bp.response(201, AssistedBallotOut, description="a new ballot")
@bp.alt_response(200, schema=AssistedBallotOut, description="the resident's ballot was changed")
@bp.alt_response(403, description="not a moderator, nor the floor captain of the resident's building; outside the "
                                  "electorate")
@bp.alt_response(409, description="a secret vote (paper forms), a vote not open, a ballot not the resident's")
def record_ballot(data, vote_id: int):
    """Record the resident's ballot of an open vote that is not secret, as they consented."""
    vote = db.session.get(Vote, vote_id)
    community = _counter_of(vote, _("找不到该表决"))
    person = resident_for(db.session, g.api_user, community, data["person_id"])
    with audit.refusal_recorded(db.session, g.api_user, "ballot.assisted_refused", vote):
        result = ballots_at_counter.record_ballot(db.session, g.api_user, vote, person, data["choice"],
                                                  data["consent"])
    db.session.commit()
    live.publish(vote_id)
    body = {"vote_id": vote_id, "person_id": person.id, "receipt": result.receipt, "changed": not result.created}
    return body, 201 if result.created else 200


@bp.route("/surveys/<int:survey_id>/assisted", methods=["POST"])
@token_required
@survey_save_limit
@bp.arguments(AssistedResponseIn)
@bp.response(200, AssistedOut)
@bp.alt_response(409, description="an anonymous survey (paper questionnaires), a survey not open")
def record_response(data, survey_id: int):
    """Record (or replace) the resident's submitted answers to a survey that is not anonymous."""
    survey = db.session.get(Survey, survey_id)
    community = _counter_of(survey, _("找不到该问卷"))
    person = resident_for(db.session, g.api_user, community, data["person_id"])
    response = surveys_at_counter.record_response(db.session, g.api_user, survey, person, _answers(data["answers"]),
                                                  data["consent"])
    db.session.commit()
    return {"id": response.id, "person_id": person.id, "consent": response.consent.value}


@bp.route("/consultations/<int:consultation_id>/assisted-comments", methods=["POST"])
@token_required
@bp.arguments(AssistedCommentIn)
@bp.response(201, AssistedOut)
def record_comment(data, consultation_id: int):
    """Record the resident's comment in the session's open round."""
    consultation = db.session.get(Consultation, consultation_id)
    community = _counter_of(consultation, _("找不到该议事"))
    person = resident_for(db.session, g.api_user, community, data["person_id"])
    comment = comments_at_counter.record_comment(db.session, g.api_user, consultation, person, data["body"],
                                                 data["consent"])
    db.session.commit()
    return {"id": comment.id, "person_id": person.id, "consent": comment.consent.value}, 201
