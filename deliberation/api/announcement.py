"""API of the result's posting and announcement: objections to a preliminary result, their answers (with a
recount), and the announcement that makes the result final.

Thin adapters over voting.announcement, the operations the pages call. A refused objection, answer or
announcement is rolled back and recorded in the audit log on its own (audit.refusal_recorded); a vote or
objection of another community answers 404 (and the app records that refusal too).
"""

from __future__ import annotations

from flask import g
from marshmallow import Schema, fields, validate

from deliberation import audit
from deliberation.api.arguments import Blueprint
from deliberation.api.auth import token_required
from deliberation.api.voting import VoteOut, vote_out
from deliberation.extensions import db
from deliberation.pagination import paginate
from deliberation.voting import announcement, labels, lifecycle, objections
from deliberation.voting.access import vote_or_404
from deliberation.voting.models import VoteObjection

bp = Blueprint("api_announcement", __name__, description="表决结果公示与公告：异议、答复（重新计票）、公告")


class ResultObjectionIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(objections.KINDS[announcement.RESULT]),
                         metadata={"description": "ballot: my ballot is not in the list; count: the count is "
                                                  "wrong; other"})
    reason = fields.String(required=True, validate=validate.Length(max=objections.REASON_LIMIT))


class ObjectionAnswerIn(Schema):
    accepted = fields.Boolean(required=True)
    answer = fields.String(load_default="", validate=validate.Length(max=objections.REASON_LIMIT),
                           metadata={"description": "the words the objector reads (required when rejected)"})
    recount = fields.Boolean(load_default=False, metadata={
        "description": "an accepted objection: count the stored ballots again and store the new result; the "
                       "figures before and after are kept in correction"})


class ResultObjectionOut(Schema):
    id = fields.Integer()
    vote_id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    reason = fields.String()
    created_at = fields.AwareDateTime()
    answered_at = fields.AwareDateTime(allow_none=True)
    accepted = fields.Boolean(allow_none=True, metadata={"description": "null until answered"})
    answer = fields.String()
    correction = fields.Dict(allow_none=True, metadata={
        "description": "a recount: {recount, secret, old, new, changed, decision_changed}"})


class ResultObjectionsOut(Schema):
    vote_id = fields.Integer()
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()
    unanswered = fields.Integer(metadata={"description": "objections waiting for an answer (moderators: all)"})
    objections = fields.List(fields.Nested(ResultObjectionOut))


class ObjectionsQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


def objection_out(objection: VoteObjection) -> dict:
    return {"id": objection.id, "vote_id": objection.vote_id, "kind": objection.kind,
            "kind_label": labels.objection_kind_label(objection.kind), "reason": objection.reason,
            "created_at": objection.created_at, "answered_at": objection.answered_at,
            "accepted": objection.accepted, "answer": objection.answer, "correction": objection.correction}


@bp.route("/votes/<int:vote_id>/result-objections", methods=["POST"])
@token_required
@bp.arguments(ResultObjectionIn)
@bp.response(201, ResultObjectionOut)
@bp.alt_response(403, description="not a member of the vote's frozen electorate")
@bp.alt_response(409, description="the preliminary result's window is not running")
def lodge_objection(data, vote_id: int):
    """Object to the preliminary result inside its window (members of the frozen electorate)."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, g.api_user))
    with audit.refusal_recorded(db.session, g.api_user, "vote.objection.refused", vote, stage="result"):
        objection = announcement.lodge(db.session, g.api_user, vote, data["kind"], data["reason"])
        db.session.flush()
    body = objection_out(objection)
    db.session.commit()
    return body, 201


@bp.route("/votes/<int:vote_id>/result-objections")
@token_required
@bp.arguments(ObjectionsQuery, location="query")
@bp.response(200, ResultObjectionsOut)
def list_objections(query, vote_id: int):
    """The result objections: all of them for moderators, one's own for everyone else; unanswered first."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, g.api_user))
    page = paginate(db.session, announcement.listing_query(g.api_user, vote), per_page=query["per_page"],
                    number=query["page"])
    waiting = objections.unanswered(db.session, vote, announcement.RESULT) if vote.can_moderate(g.api_user) else (
        sum(o.answered_at is None for o in page.items))
    return {"vote_id": vote.id, "total": page.total, "page": page.number, "pages": page.pages,
            "unanswered": waiting, "objections": [objection_out(o) for o in page.items]}


@bp.route("/votes/<int:vote_id>/result-objections/<int:objection_id>/answer", methods=["POST"])
@token_required
@bp.arguments(ObjectionAnswerIn)
@bp.response(200, ResultObjectionOut)
@bp.alt_response(409, description="already answered, or the result is no longer preliminary (recount)")
@bp.alt_response(422, description="a rejection without words, or a recount of a rejected objection")
def answer_objection(data, vote_id: int, objection_id: int):
    """Answer a result objection (moderators): accepted or rejected, with words; an accepted one may recount."""
    vote = vote_or_404(vote_id, g.api_user, moderate=True)
    with audit.refusal_recorded(db.session, g.api_user, "vote.objection.answer_refused", vote,
                                objection_id=objection_id):
        objection = announcement.answer(db.session, g.api_user, vote, objection_id, data["accepted"],
                                        data["answer"], recount=data["recount"])
    body = objection_out(objection)
    db.session.commit()
    return body


@bp.route("/votes/<int:vote_id>/announce", methods=["POST"])
@token_required
@bp.response(200, VoteOut)
@bp.alt_response(409, description="not closed, already announced, the window still runs, or an objection "
                                  "waits for its answer")
def announce(vote_id: int):
    """Announce the result (moderators): once the window has run and every objection is answered; final."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, g.api_user, moderate=True))
    with audit.refusal_recorded(db.session, g.api_user, "vote.announce_refused", vote):
        announcement.announce(db.session, g.api_user, vote)
    db.session.commit()
    return vote_out(vote)
