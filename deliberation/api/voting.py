"""API of the voting capability: create, open and close votes, cast ballots, paper forms, results, receipts.

Thin adapters over the voting operations (lifecycle, casting, paper, results, receipts), the same
ones the pages call. A refused ballot or paper form is rolled back and then recorded in the audit
log on its own (audit.refusal_recorded), so refusals are kept too.
"""

from __future__ import annotations

from datetime import UTC

from flask import g
from marshmallow import Schema, fields, validate

from deliberation import audit
from deliberation.api.arguments import Blueprint
from deliberation.api.auth import token_required
from deliberation.consultations.access import consultation_or_404
from deliberation.db import reads_first
from deliberation.extensions import db
from deliberation.limits import ballot_limit
from deliberation.rules import PRESETS
from deliberation.voting import (
    casting,
    electorate,
    labels,
    lifecycle,
    live,
    paper,
    receipts,
    results,
    telling,
)
from deliberation.voting.access import ballot_vote_or_404, paper_vote_or_404, vote_or_404
from deliberation.voting.models import Vote, VoteBasis, VoteKind

bp = Blueprint("api_voting", __name__, description="表决：创建、开启、关闭、投票、纸质征询单、结果与回执")



class VoteOptionOut(Schema):
    key = fields.String(metadata={"description": "the value to send in a ballot's choice"})
    label = fields.String()
    proposal_id = fields.Integer(allow_none=True)
    proposal_version = fields.Integer(allow_none=True)


class VoteIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default="proposal", validate=validate.OneOf([k.value for k in VoteKind]))
    proposal_id = fields.Integer(load_default=None, allow_none=True)
    option_proposal_ids = fields.List(fields.Integer(), load_default=list)
    option_labels = fields.List(fields.String(validate=validate.Length(max=200)), load_default=list)
    rule = fields.String(load_default="simple_majority", validate=validate.OneOf(PRESETS),
                         metadata={"description": "a preset of the rules module (kind proposal)"})
    quorum = fields.String(load_default=None, allow_none=True, metadata={"description": 'e.g. "3/5"'})
    group = fields.String(load_default=None, allow_none=True,
                          validate=validate.OneOf(["building", "age", "tenure"]))
    basis = fields.String(load_default="person", validate=validate.OneOf([b.value for b in VoteBasis]))
    secret = fields.Boolean(load_default=False)
    advisory_all = fields.Boolean(load_default=False)
    show_running = fields.Boolean(load_default=False)
    opens_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    closes_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    objection_days = fields.Integer(load_default=3, validate=validate.Range(min=0, max=30), metadata={
        "description": "days the preliminary result is posted for objections after the close; 0 (announced "
                       "at the close) only for a vote that binds nobody (not an owners' vote)"})
    reminder_days = fields.String(load_default="1", validate=validate.Length(max=40), metadata={
        "description": 'days before the close on which those who have not voted are reminded, e.g. "3,1" '
                       '(each 1 to 14); "" for none'})


class VoteOut(Schema):
    id = fields.Integer()
    consultation_id = fields.Integer()
    proposal_id = fields.Integer(allow_none=True)
    title = fields.String()
    kind = fields.String()
    rule = fields.Dict()
    rule_text = fields.String(metadata={"description": "what it takes to pass, in plain words (the request's "
                                                       "language: Chinese unless Accept-Language asks for English)"})
    basis = fields.String()
    secret = fields.Boolean()
    advisory_all = fields.Boolean()
    show_running = fields.Boolean()
    state = fields.String(metadata={"enum": ["draft", "open", "closed"]})
    opens_at = fields.AwareDateTime(allow_none=True)
    closes_at = fields.AwareDateTime(allow_none=True)
    opened_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    electorate = fields.Integer()
    electorate_text = fields.String(metadata={"description": "how the electorate was counted at the opening"})
    proposal_version = fields.Integer(allow_none=True, metadata={
        "description": "the version of the proposal the vote asks about (fixed at the opening)"})
    options = fields.List(fields.Nested(VoteOptionOut))
    objection_days = fields.Integer()
    reminder_days = fields.String(metadata={"description": 'days before the close to remind, e.g. "3,1"'})
    objections_until = fields.AwareDateTime(allow_none=True, metadata={
        "description": "set at the close: until when objections to the preliminary result are taken"})
    announced_at = fields.AwareDateTime(allow_none=True, metadata={"description": "when the result was announced"})
    final = fields.Boolean(metadata={"description": "true once the result is announced (binding); a closed vote "
                                                   "not yet announced has a preliminary result"})
    result_label = fields.String(metadata={"description": "结果公示中 / 已公告 once closed"})


class BallotIn(Schema):
    choice = fields.Raw(required=True, metadata={
        "description": 'agree | disagree | abstain; an option key; a list of keys (approval); '
                       'a list of keys or lists of keys, best first (ranked)'})


class BallotOut(Schema):
    vote_id = fields.Integer()
    receipt = fields.String(metadata={"description": "the receipt code: keep it to check the published list"})
    receipt_hash = fields.String()
    choice = fields.Raw()
    changed = fields.Boolean()
    advisory = fields.Boolean()


class PaperEntryIn(Schema):
    room = fields.String(required=True, validate=validate.Length(min=1, max=20))
    choice = fields.String(required=True, validate=validate.Length(min=1, max=100),
                           metadata={"description": "as written on the form: 1/2/3, 同意/不同意/弃权, or option numbers"})
    name = fields.String(load_default="", validate=validate.Length(max=50))


class PaperBallotsIn(Schema):
    building_id = fields.Integer(required=True)
    entries = fields.List(fields.Nested(PaperEntryIn), required=True, validate=validate.Length(min=1, max=500))


class PaperOutcomeOut(Schema):
    line = fields.Integer()
    room = fields.String()
    status = fields.String(metadata={"enum": ["recorded", "conflict", "error"]})
    message = fields.String()
    receipt = fields.String()


class PaperBallotsOut(Schema):
    recorded = fields.Integer()
    conflicts = fields.Integer()
    errors = fields.Integer()
    outcomes = fields.List(fields.Nested(PaperOutcomeOut))


class VoteResultOut(Schema):
    vote_id = fields.Integer()
    kind = fields.String()
    state = fields.String()
    final = fields.Boolean(metadata={"description": "true once announced: the binding decision"})
    preliminary = fields.Boolean(metadata={"description": "closed, not yet announced: posted for objections"})
    preliminary_label = fields.String(metadata={"description": "e.g. 初步结果（公示中，至 12 月 5 日 23:00）; "
                                                               "empty once announced"})
    rule = fields.Dict()
    rule_label = fields.String()
    rule_text = fields.String()
    tally = fields.Dict(allow_none=True)
    checks = fields.List(fields.Dict(), metadata={"description": "each condition of the rule: labels and "
                                                  "explanation in the request's language"})
    agreed = fields.Boolean(allow_none=True)
    summary = fields.String(metadata={"description": "why it passed or failed, in the request's language "
                                                     "(Chinese by default, as the stored record is)"})
    choice_result = fields.Dict(allow_none=True, metadata={
        "description": "variants: winners, ranking; ranked votes also the Schulze pairwise table (pairwise[a][b]: "
                       "ballots preferring a to b) and first choices (votes: ballots ranking that option alone "
                       "first; tied_first: ballots ranking several first together), which add up to the ballots"})
    tally_rows = fields.List(fields.List(fields.Raw()))
    breakdown = fields.Dict()
    online = fields.Integer()
    paper = fields.Integer()
    proxy = fields.Integer(metadata={"description": "ballots cast by proxy (书面委托); online + paper + proxy = "
                                                    "participants"})
    electorate = fields.Integer()
    participants = fields.Integer()
    areas = fields.Dict()
    title = fields.String()
    advisory = fields.Dict(allow_none=True)


class VoteReceiptOut(Schema):
    receipt_hash = fields.String()
    choice = fields.Raw()
    choice_label = fields.String()
    source = fields.String()


class VoteReceiptsOut(Schema):
    vote_id = fields.Integer()
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()
    receipts = fields.List(fields.Nested(VoteReceiptOut))


class VoteReceiptsQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


def vote_out(vote: Vote) -> dict:
    return {
        "id": vote.id, "consultation_id": vote.consultation_id, "proposal_id": vote.proposal_id,
        "title": vote.title, "kind": vote.kind.value,
        "rule": {"name": vote.rule_name, "params": vote.rule_params or {}},
        "rule_text": labels.rule_text(vote), "basis": vote.basis.value, "secret": vote.secret,
        "advisory_all": vote.advisory_all, "show_running": vote.show_running, "state": vote.state.value,
        "opens_at": vote.opens_at, "closes_at": vote.closes_at, "opened_at": vote.opened_at,
        "closed_at": vote.closed_at, "electorate": electorate.electorate_size(db.session, vote),
        "electorate_text": labels.electorate_text(vote), "proposal_version": vote.proposal_version,
        "options": [{"key": o.key, "label": o.label, "proposal_id": o.proposal_id,
                     "proposal_version": o.proposal_version} for o in vote.options],
        "objection_days": vote.objection_days, "reminder_days": vote.reminder_days, "objections_until": vote.objections_until,
        "announced_at": vote.announced_at, "final": vote.announced_at is not None,
        "result_label": labels.result_stage_label(vote) if vote.closed_at else "",
    }


def _choice_out(vote: Vote, stored: str):
    import json

    return json.loads(stored) if vote.kind in (VoteKind.APPROVAL, VoteKind.RANKED) else stored


@bp.route("/consultations/<int:consultation_id>/votes", methods=["POST"])
@token_required
@bp.arguments(VoteIn)
@bp.response(201, VoteOut)
def create_vote(data, consultation_id: int):
    """Create a vote in draft (moderators); the answer says in plain Chinese what it takes to pass."""
    consultation = consultation_or_404(consultation_id, g.api_user, moderate=True)
    rule = data.pop("rule")
    vote = lifecycle.create_vote(db.session, g.api_user, consultation, lifecycle.VoteInput(rule_name=rule, **data))
    db.session.commit()
    return vote_out(vote)


@bp.route("/consultations/<int:consultation_id>/votes")
@token_required
@bp.response(200, VoteOut(many=True))
def list_votes(consultation_id: int):
    """The consultation's votes the user may see (drafts: moderators only)."""
    consultation = consultation_or_404(consultation_id, g.api_user)
    return [vote_out(v) for v in results.votes_for_consultation(db.session, g.api_user, consultation)]


@bp.route("/votes/<int:vote_id>")
@token_required
@bp.response(200, VoteOut)
def get_vote(vote_id: int):
    """One vote."""
    vote = vote_or_404(vote_id, g.api_user)
    vote = lifecycle.catch_up(db.session, vote)
    return vote_out(vote)


@bp.route("/votes/<int:vote_id>/open", methods=["POST"])
@token_required
@bp.response(200, VoteOut)
def open_vote(vote_id: int):
    """Open a draft vote now (moderators): the electorate is frozen. An owners' Civil Code vote opens once its
    roll was posted, its period has run and every objection to it is answered (409 otherwise, with the reason)."""
    vote = vote_or_404(vote_id, g.api_user, moderate=True)
    with audit.refusal_recorded(db.session, g.api_user, "vote.open_refused", vote):
        vote = lifecycle.open_vote(db.session, g.api_user, vote)
    db.session.commit()
    return vote_out(vote)


@bp.route("/votes/<int:vote_id>/close", methods=["POST"])
@token_required
@bp.response(200, VoteOut)
def close_vote(vote_id: int):
    """Close an open vote (moderators) and store the decision; a closed vote stays as it is."""
    vote = lifecycle.close_vote(db.session, g.api_user, vote_or_404(vote_id, g.api_user, moderate=True))
    db.session.commit()
    live.publish(vote_id)
    return vote_out(vote)


@bp.route("/votes/<int:vote_id>/ballot", methods=["POST"])
@reads_first  # the ordinary new ballot is answered before the app (api.short_way); every other comes here
@token_required
@ballot_limit
@bp.arguments(BallotIn)
@bp.response(201, BallotOut, description="a new ballot")
@bp.alt_response(200, schema=BallotOut, description="the ballot was changed")
@bp.alt_response(403, description="outside the electorate")
@bp.alt_response(409, description="the vote is not open, or the household / paper form already answered")
@bp.alt_response(422, description="unknown choice")
def cast_ballot(data, vote_id: int):
    """Cast a ballot, or change it until the close. Keep the receipt code to check the published list."""
    vote, voter = ballot_vote_or_404(vote_id, g.api_user)
    with audit.refusal_recorded(db.session, g.api_user, "ballot.refused", vote):
        result = casting.cast_ballot(db.session, g.api_user, vote, data["choice"], voter)
    telling.voted(db.session, g.api_user.id, vote_id)
    body = {"vote_id": vote_id, "receipt": result.receipt, "receipt_hash": result.receipt_hash,
            "choice": _choice_out(vote, result.choice), "changed": not result.created,
            "advisory": result.advisory}
    db.session.commit()
    live.publish(vote_id)
    return body, 201 if result.created else 200


@bp.route("/votes/<int:vote_id>/paper-ballots", methods=["POST"])
@reads_first  # SQLite's write lock only for the forms' writes (paper.enter_paper_ballots: db.begin_writes)
@token_required
@bp.arguments(PaperBallotsIn)
@bp.response(200, PaperBallotsOut)
def enter_paper_ballots(data, vote_id: int):
    """Enter paper forms (征询单) of one building in bulk (moderators, or that building's floor captain).

    Each entry is recorded, set aside as a conflict when the voter already has a ballot (never
    overwritten), or refused with a reason.
    """
    vote = paper_vote_or_404(vote_id, g.api_user)
    building = paper.entry_building(db.session, vote, data["building_id"])
    entries = [paper.PaperEntry(room=e["room"], choice=e["choice"], name=e["name"], line=n + 1)
               for n, e in enumerate(data["entries"])]
    with audit.refusal_recorded(db.session, g.api_user, "ballot.paper_refused", vote):
        outcomes = paper.enter_paper_ballots(db.session, g.api_user, vote, building, entries)
    db.session.commit()
    live.publish(vote_id)
    return {"recorded": sum(o.status == "recorded" for o in outcomes),
            "conflicts": sum(o.status == "conflict" for o in outcomes),
            "errors": sum(o.status == "error" for o in outcomes),
            "outcomes": [vars(o) for o in outcomes]}


@bp.route("/votes/<int:vote_id>/result")
@token_required
@bp.response(200, VoteResultOut)
def vote_result(vote_id: int):
    """Rule, tally, every check (required against actual), agreed and summary; stored once closed."""
    vote = vote_or_404(vote_id, g.api_user)
    vote = lifecycle.catch_up(db.session, vote)
    return results.report_as_dict(results.vote_result(db.session, g.api_user, vote))


@bp.route("/votes/<int:vote_id>/receipts")
@token_required
@bp.arguments(VoteReceiptsQuery, location="query")
@bp.response(200, VoteReceiptsOut)
@bp.alt_response(409, description="the vote is not closed yet")
def vote_receipts(args, vote_id: int):
    """After the close: every receipt hash with its choice and source — never a name."""
    vote = vote_or_404(vote_id, g.api_user)
    vote = lifecycle.catch_up(db.session, vote)
    page = receipts.receipts(db.session, vote, per_page=args["per_page"], page=args["page"])
    return {"vote_id": vote.id, "total": page.total, "page": page.number, "pages": page.pages,
            "receipts": [{"receipt_hash": h, "choice": _choice_out(vote, c),
                          "choice_label": labels.describe_choice(vote, c), "source": str(s)}
                         for h, c, s in page.items]}
