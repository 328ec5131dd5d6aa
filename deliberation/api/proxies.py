"""API of written proxies (书面委托): list, record and revoke a vote's authorisations, cast by proxy.

Thin adapters over voting.proxies, the operations the pages call. Every refusal is rolled back and then
recorded in the audit log on its own (audit.refusal_recorded): proxy.refused, ballot.proxy_refused.
"""

from __future__ import annotations

import json

from flask import g
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from deliberation import audit
from deliberation.api.arguments import Blueprint
from deliberation.api.auth import token_required
from deliberation.errors import Invalid
from deliberation.extensions import db
from deliberation.limits import ballot_limit
from deliberation.voting import live, proxies
from deliberation.voting.access import vote_or_404
from deliberation.voting.models import Vote, VoteKind

bp = Blueprint("api_proxies", __name__, description="书面委托：录入、撤销委托，受托人按委托投票")


class PersonRefIn(Schema):
    person_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1),
                               metadata={"description": "a person of the roster; or building_id, room and name"})
    building_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    room = fields.String(load_default="", validate=validate.Length(max=20))
    name = fields.String(load_default="", validate=validate.Length(max=50))


class ProxyIn(Schema):
    owner = fields.Nested(PersonRefIn, load_default=None, allow_none=True,
                          metadata={"description": "the owner who authorises; the caller when left out. "
                                                   "Moderators record signed paper forms for any owner"})
    proxy = fields.Nested(PersonRefIn, required=True, metadata={"description": "the person authorised"})
    instruction = fields.Raw(load_default=None, allow_none=True, metadata={
        "description": "the owner's instruction, written as a ballot's choice (agree | disagree | abstain, an "
                       "option key …); null: 由受托人决定 (the proxy decides)"})


class ProxyIdIn(Schema):
    proxy_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class ProxyBallotIn(ProxyIdIn):
    choice = fields.Raw(required=True, metadata={
        "description": "must equal the instruction, unless the owner left it to the proxy"})


class ProxyOut(Schema):
    id = fields.Integer()
    owner_person_id = fields.Integer()
    owner_name = fields.String()
    owner_units = fields.String()
    proxy_person_id = fields.Integer()
    proxy_name = fields.String()
    instruction = fields.String(allow_none=True, metadata={
        "description": "null: 由受托人决定; empty once a secret vote has closed (not kept)"})
    instruction_label = fields.String()
    source = fields.String(metadata={"enum": ["online", "paper"]})
    has_document = fields.Boolean(metadata={"description": "a photo of the signed form (moderators see it)"})
    created_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)
    state = fields.String(metadata={"enum": ["standing", "revoked", "cast", "owner_voted"]})


class ProxyListOut(Schema):
    vote_id = fields.Integer()
    limit = fields.Integer(metadata={"description": "how many authorisations one person may hold per vote"})
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()
    proxies = fields.List(fields.Nested(ProxyOut), metadata={
        "description": "moderators: every authorisation of the vote; others: those they gave and hold"})


class ProxyListQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class ProxyBallotOut(Schema):
    vote_id = fields.Integer()
    proxy_id = fields.Integer()
    choice = fields.Raw()
    receipt_hash = fields.String(metadata={"description": "the owner's receipt code is sent to the owner"})


def proxy_out(view: proxies.ProxyView) -> dict:
    return {**vars(view), "state": view.state}


def _person_id(vote: Vote, ref: dict | None, field: str) -> int | None:
    """The person a reference names: by id, or by building, room and name on the community's roster."""
    if ref is None:
        return g.api_user.person_id if field == "owner" else None
    if ref.get("person_id") is not None:
        return ref["person_id"]
    person = proxies.find_person(db.session, vote.community_id, ref.get("building_id"), ref.get("room", ""),
                                 ref.get("name", ""))
    if person is None:
        message = _("名册上找不到这个人（请核对楼栋、室号和姓名）")
        raise Invalid(message, fields={field: message})
    return person.id


@bp.route("/votes/<int:vote_id>/proxies")
@token_required
@bp.arguments(ProxyListQuery, location="query")
@bp.response(200, ProxyListOut)
def list_proxies(args, vote_id: int):
    """The vote's written proxies: all of them for moderators; one's own (given and held) for others."""
    vote = vote_or_404(vote_id, g.api_user)
    if vote.can_moderate(g.api_user):
        page = proxies.vote_proxies(db.session, g.api_user, vote, page=args["page"], per_page=args["per_page"])
        found, total, number, pages = page.items, page.total, page.number, page.pages
    else:
        given, held = proxies.my_proxies(db.session, g.api_user, vote)
        mine = {view.id for view in given}
        found = given + [view for view in held if view.id not in mine]
        total, number, pages = len(found), 1, 1
    return {"vote_id": vote.id, "limit": proxies.proxy_limit(), "total": total, "page": number, "pages": pages,
            "proxies": [proxy_out(v) for v in found]}


@bp.route("/votes/<int:vote_id>/proxies", methods=["POST"])
@token_required
@bp.arguments(ProxyIn)
@bp.response(201, ProxyOut)
@bp.alt_response(403, description="not the owner, and not a moderator")
@bp.alt_response(409, description="over the limit, the owner has a standing proxy or has voted, the vote closed")
@bp.alt_response(422, description="the owner is outside the electorate, an unknown person or instruction")
def record_proxy(data, vote_id: int):
    """Record a written proxy: the owner online (owner left out), or a moderator from a signed paper form."""
    vote = vote_or_404(vote_id, g.api_user)
    with audit.refusal_recorded(db.session, g.api_user, "proxy.refused", vote):
        proxy = proxies.record_proxy(db.session, g.api_user, vote, _person_id(vote, data["owner"], "owner"),
                                     _person_id(vote, data["proxy"], "proxy"), data["instruction"])
        view = proxies.my_view(db.session, vote, proxy.id)
    db.session.commit()
    return proxy_out(view)


@bp.route("/votes/<int:vote_id>/proxies/revoke", methods=["POST"])
@token_required
@bp.arguments(ProxyIdIn)
@bp.response(200, ProxyOut)
@bp.alt_response(403, description="not the owner who gave it, and not a moderator")
@bp.alt_response(409, description="already revoked, already used, or the vote closed")
def revoke_proxy(data, vote_id: int):
    """Revoke a written proxy before the proxy has cast the ballot (the owner, or a moderator)."""
    vote = vote_or_404(vote_id, g.api_user)
    with audit.refusal_recorded(db.session, g.api_user, "proxy.refused", vote):
        proxy = proxies.revoke_proxy(db.session, g.api_user, vote, data["proxy_id"])
    view = proxies.my_view(db.session, vote, proxy.id)
    db.session.commit()
    return proxy_out(view)


@bp.route("/votes/<int:vote_id>/proxy-ballot", methods=["POST"])
@token_required
@ballot_limit
@bp.arguments(ProxyBallotIn)
@bp.response(201, ProxyBallotOut)
@bp.alt_response(403, description="not the person authorised, or a choice against the owner's instruction")
@bp.alt_response(409, description="revoked, the owner voted first, already cast, or the vote is not open")
def cast_by_proxy(data, vote_id: int):
    """Cast the owner's ballot as the written proxy instructs; the receipt goes to the owner."""
    vote = vote_or_404(vote_id, g.api_user)
    with audit.refusal_recorded(db.session, g.api_user, "ballot.proxy_refused", vote):
        result = proxies.cast_by_proxy(db.session, g.api_user, vote, data["proxy_id"], data["choice"])
    db.session.commit()
    live.publish(vote_id)
    choice = json.loads(result.choice) if vote.kind in (VoteKind.APPROVAL, VoteKind.RANKED) else result.choice
    return {"vote_id": vote_id, "proxy_id": data["proxy_id"], "choice": choice,
            "receipt_hash": result.receipt_hash}
