"""API of the posted roll (表决权人名册公示): post it, read it page by page, object to it, list and answer objections.

Thin adapters over voting.roll, the operations the pages call. A refused operation is rolled back and recorded in
the audit log on its own (audit.refusal_recorded). Another community's vote or objection answers 404.
"""

from __future__ import annotations

from flask import g
from marshmallow import Schema, fields, validate

from deliberation import audit
from deliberation.api.arguments import Blueprint
from deliberation.api.auth import token_required
from deliberation.extensions import db
from deliberation.voting import labels, lifecycle, objections, roll
from deliberation.voting.access import vote_or_404
from deliberation.voting.models import ObjectionStage, Vote, VoteObjection

bp = Blueprint("api_roll", __name__, description="表决权人名册公示：公示名册、查看名册、提出异议、答复异议")


class RollPostIn(Schema):
    days = fields.Integer(load_default=roll.DEFAULT_DAYS, metadata={
        "description": f"the posting period in days, {roll.MIN_DAYS}–{roll.MAX_DAYS} (7 proposed); posting again "
                       "while it runs may only lengthen it"})


class RollStateOut(Schema):
    vote_id = fields.Integer()
    needed = fields.Boolean(metadata={"description": "an owners' Civil Code vote: opens only after its roll"})
    posted_at = fields.AwareDateTime(allow_none=True)
    until = fields.AwareDateTime(allow_none=True, metadata={"description": "objections are taken until then"})
    objections_open = fields.Boolean()
    opening_blockers = fields.List(fields.String(), metadata={
        "description": "why the vote may not open yet because of its roll, in the request's language"})


class RollUnitOut(Schema):
    unit_id = fields.Integer()
    label = fields.String(metadata={"description": "building, staircase and room: 3号楼2单元302室"})


class RollEntryOut(Schema):
    units = fields.List(fields.Nested(RollUnitOut))
    owners = fields.List(fields.String(), metadata={"description": "names masked: 张*伟, 张*"})
    area = fields.String(metadata={"description": "exclusive area in m², two decimals"})
    developer = fields.Boolean()


class RollOut(RollStateOut):
    frozen = fields.Boolean(metadata={"description": "true once the vote opened: the rows frozen then"})
    voters = fields.Integer(metadata={"description": "headcount as Civil Code Art. 278 counts it"})
    area = fields.String(metadata={"description": "total exclusive area in m²"})
    counted = fields.String(metadata={"description": "how both were counted, with the scope's words"})
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()
    entries = fields.List(fields.Nested(RollEntryOut))


class RollQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=roll.PER_PAGE, validate=validate.Range(min=1, max=500))


class ObjectionIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(objections.KINDS[ObjectionStage.ROLL]), metadata={
        "description": "area (面积有误), owner (业主有误或已过户), missing (遗漏), other"})
    reason = fields.String(required=True, validate=validate.Length(max=objections.REASON_LIMIT))
    unit_id = fields.Integer(load_default=None, allow_none=True, metadata={
        "description": "the unit objected to (a roll entry's unit_id)"})


class AnswerIn(Schema):
    accepted = fields.Boolean(required=True)
    answer = fields.String(load_default="", validate=validate.Length(max=objections.REASON_LIMIT), metadata={
        "description": "what the objector reads; required when rejected"})
    area = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20), metadata={
        "description": "accepted objection of kind area: the unit's correct area in m²"})
    owners = fields.List(fields.String(validate=validate.Length(max=50)), load_default=None, allow_none=True,
                         metadata={"description": "accepted objection of kind owner or missing: the unit's owners"})


class ObjectionOut(Schema):
    id = fields.Integer()
    vote_id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    unit_id = fields.Integer(allow_none=True)
    unit = fields.String()
    reason = fields.String()
    created_at = fields.AwareDateTime()
    answered_at = fields.AwareDateTime(allow_none=True)
    accepted = fields.Boolean(allow_none=True)
    answer = fields.String()
    correction = fields.Dict(allow_none=True, metadata={
        "description": "what an accepted objection changed: field, old, new, and the totals before and after"})
    correction_text = fields.String()


def _state(vote: Vote) -> dict:
    return {"vote_id": vote.id, "needed": roll.needs_roll(vote), "posted_at": vote.roll_posted_at,
            "until": vote.roll_until, "objections_open": vote.objections_open(ObjectionStage.ROLL),
            "opening_blockers": roll.opening_blockers(db.session, vote)}


def _objection_out(objection: VoteObjection, units: dict[int, str]) -> dict:
    return {"id": objection.id, "vote_id": objection.vote_id, "kind": objection.kind,
            "kind_label": labels.objection_kind_label(objection.kind), "unit_id": objection.unit_id,
            "unit": units.get(objection.unit_id, ""), "reason": objection.reason, "created_at": objection.created_at,
            "answered_at": objection.answered_at, "accepted": objection.accepted, "answer": objection.answer,
            "correction": objection.correction, "correction_text": roll.correction_text(objection.correction)}


@bp.route("/votes/<int:vote_id>/roll", methods=["POST"])
@token_required
@bp.arguments(RollPostIn)
@bp.response(200, RollStateOut)
@bp.alt_response(409, description="not an owners' vote, or it has opened")
@bp.alt_response(422, description="days outside 1–60, shorter than the running period, or past the planned opening")
def post_roll(data, vote_id: int):
    """Post the roll of a draft owners' vote (moderators) for a number of days; the vote opens only after it."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, g.api_user, moderate=True))
    with audit.refusal_recorded(db.session, g.api_user, "vote.roll.post_refused", vote):
        roll.post_roll(db.session, g.api_user, vote, data["days"])
    db.session.commit()
    return _state(vote)


@bp.route("/votes/<int:vote_id>/roll")
@token_required
@bp.arguments(RollQuery, location="query")
@bp.response(200, RollOut)
def get_roll(args, vote_id: int):
    """The roll, page by page in natural order (building, staircase, room): units, owners' names masked, areas;
    the totals and how they were counted. Everyone of the community once posted; moderators always."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, g.api_user))
    data = roll.read_roll(db.session, g.api_user, vote, page=args["page"], per_page=args["per_page"])
    return {**_state(vote), "frozen": data.frozen, "voters": data.voters, "area": data.area,
            "counted": data.counted_text, "total": data.entries.total, "page": data.entries.number,
            "pages": data.entries.pages,
            "entries": [{"units": [{"unit_id": u.unit_id, "label": u.label} for u in e.units],
                         "owners": list(e.owners), "area": e.area, "developer": e.developer}
                        for e in data.entries.items]}


@bp.route("/votes/<int:vote_id>/roll/objections", methods=["POST"])
@token_required
@bp.arguments(ObjectionIn)
@bp.response(201, ObjectionOut)
@bp.alt_response(403, description="not a person of the community's roster")
@bp.alt_response(409, description="the posting period is not running")
def lodge_objection(data, vote_id: int):
    """Object to the posted roll while its period runs (面积有误, 已过户, 遗漏…), with a reason."""
    vote = vote_or_404(vote_id, g.api_user)
    with audit.refusal_recorded(db.session, g.api_user, "vote.objection.refused", vote):
        objection = roll.lodge_objection(db.session, g.api_user, vote, data["kind"], data["reason"], data["unit_id"])
    db.session.commit()
    return _objection_out(objection, roll.unit_labels(db.session, [objection.unit_id]))


@bp.route("/votes/<int:vote_id>/roll/objections")
@token_required
@bp.response(200, ObjectionOut(many=True))
def list_objections(vote_id: int):
    """The objections to the roll: all for moderators, one's own for everyone else; unanswered first."""
    vote = vote_or_404(vote_id, g.api_user)
    listed = objections.listing(db.session, g.api_user, vote, ObjectionStage.ROLL)
    units = roll.unit_labels(db.session, [o.unit_id for o in listed])
    return [_objection_out(o, units) for o in listed]


@bp.route("/votes/<int:vote_id>/roll/objections/<int:objection_id>/answer", methods=["POST"])
@token_required
@bp.arguments(AnswerIn)
@bp.response(200, ObjectionOut)
@bp.alt_response(409, description="already answered, or the vote has opened")
@bp.alt_response(422, description="a rejection without a reason, or a correction missing or malformed")
def answer_objection(data, vote_id: int, objection_id: int):
    """Answer an objection (moderators): accepted, an area or owner objection corrects the roster with the value
    given and the roll is re-counted; rejected, the answer says why."""
    vote = vote_or_404(vote_id, g.api_user, moderate=True)
    objection = roll.get_objection(db.session, g.api_user, vote, objection_id)
    with audit.refusal_recorded(db.session, g.api_user, "vote.objection.answer_refused", vote):
        roll.answer_objection(db.session, g.api_user, objection, data["accepted"], data["answer"], area=data["area"],
                              owners=data["owners"])
    db.session.commit()
    return _objection_out(objection, roll.unit_labels(db.session, [objection.unit_id]))
