"""API: tokens, the current user, communities, moderators and the roster import."""

from __future__ import annotations

from dataclasses import asdict

from flask import current_app, g
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import Unauthorized

from deliberation.accounts import roles, services
from deliberation.accounts.models import Role
from deliberation.accounts.roster import MAX_ROSTER_BYTES, RosterError, parse_roster
from deliberation.api.arguments import Blueprint
from deliberation.api.auth import token_required
from deliberation.errors import Invalid, require
from deliberation.extensions import db, limiter
from deliberation.limits import login_account_limit

bp = Blueprint("api_accounts", __name__, description="登录令牌、当前用户、居民区与名册")



class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=50))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class TokenResponse(Schema):
    token = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})


class TokenOut(Schema):
    id = fields.Integer()
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True,
                                        metadata={"description": "recorded to within five minutes"})


class MembershipOut(Schema):
    community_id = fields.Integer()
    community = fields.String(attribute="community.name")
    role = fields.String()


class MeOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    is_admin = fields.Boolean()
    care_mode = fields.Boolean()
    locale = fields.String(allow_none=True)
    # the channels chosen on the account page besides the site (jobs.deliver)
    notify_email = fields.Boolean()
    notify_sms = fields.Boolean()
    notify_digest = fields.Boolean()
    memberships = fields.List(fields.Nested(MembershipOut))


class CommunityOut(Schema):
    id = fields.Integer()
    name = fields.String()
    district = fields.String()
    address = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class RoleIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf([Role.RESIDENT.value, Role.MODERATOR.value]),
                         metadata={"description": "moderator: make a resident a moderator; resident: remove one"})


class MemberRoleOut(Schema):
    community_id = fields.Integer()
    user_id = fields.Integer()
    display_name = fields.String(attribute="user.display_name")
    role = fields.String()


class RosterUploadIn(Schema):
    dry_run = fields.Boolean(load_default=False)
    only_valid = fields.Boolean(load_default=False)


class RosterFileIn(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class RosterProblemOut(Schema):
    line = fields.Integer()
    column = fields.String(allow_none=True)
    message = fields.String()


class RosterDuplicateOut(Schema):
    line = fields.Integer()
    same_as = fields.Integer()


class RosterReportOut(Schema):
    dry_run = fields.Boolean()
    valid = fields.Boolean()
    total_lines = fields.Integer()
    valid_rows = fields.Integer()
    duplicates = fields.Integer()
    duplicate_rows = fields.List(fields.Nested(RosterDuplicateOut), metadata={
        "description": "each row repeating an earlier one exactly (imported once), with the row it repeats"})
    problems = fields.List(fields.Nested(RosterProblemOut))
    imported = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)


@bp.route("/auth/token", methods=["POST"])
@limiter.limit("10 per minute")
@login_account_limit
@bp.arguments(TokenRequest)
@bp.response(200, TokenResponse)
def create_token(credentials):
    """Exchange a user name and password for a bearer token."""
    user = services.authenticate(db.session, credentials["username"], credentials["password"])
    if user is None:
        db.session.commit()  # the failed attempt stays in the audit log
        raise Unauthorized(_("用户名或密码不正确"))
    lifetime = current_app.config["API_TOKEN_LIFETIME"]
    token = services.issue_api_token(db.session, user, lifetime)
    db.session.commit()
    return {"token": token, "expires_in": int(lifetime.total_seconds())}


@bp.route("/tokens")
@token_required
@bp.response(200, TokenOut(many=True))
def tokens():
    """The user's unexpired tokens with their last use, newest first (this one included)."""
    return services.api_tokens_of(db.session, g.api_user)


@bp.route("/tokens/<int:token_id>", methods=["DELETE"])
@token_required
@bp.response(204)
def revoke_token(token_id: int):
    """Revoke one of the user's own tokens (this one too); another user's token answers 404."""
    services.revoke_api_token(db.session, g.api_user, token_id)
    db.session.commit()


@bp.route("/me")
@token_required
@bp.response(200, MeOut)
def me():
    """The user the token belongs to, with their roles."""
    return g.api_user


@bp.route("/communities/<int:community_id>")
@token_required
@bp.response(200, CommunityOut)
def community(community_id: int):
    """A community the user belongs to, with headline counts."""
    from deliberation.accounts.access import community_or_404

    found = community_or_404(community_id, g.api_user)
    return {"id": found.id, "name": found.name, "district": found.district, "address": found.address,
            "counts": services.community_counts(db.session, found)}


@bp.route("/communities/<int:community_id>/members/<int:user_id>/role", methods=["PUT"])
@token_required
@bp.arguments(RoleIn)
@bp.response(200, MemberRoleOut)
def change_role(change, community_id: int, user_id: int):
    """Make a resident of the community a moderator, or a moderator a resident again (administrators);
    audited, the person notified. Never one's own role, never the last moderator (409)."""
    from deliberation.accounts.access import community_or_404

    found = community_or_404(community_id, g.api_user)
    require(found.can_manage_roles(g.api_user), _("只有管理员可以任命或撤销主持人"))
    membership = roles.membership_of(db.session, found, user_id)
    roles.change_role(db.session, g.api_user, found, membership, Role(change["role"]))
    db.session.commit()
    return membership


@bp.route("/communities/<int:community_id>/roster", methods=["POST"])
@token_required
@bp.arguments(RosterUploadIn, location="query")
@bp.arguments(RosterFileIn, location="files")
@bp.response(200, RosterReportOut)
def import_roster(options, files, community_id: int):
    """Check a roster file (CSV or XLSX) and, unless dry_run, import it (moderators)."""
    from deliberation.accounts.access import community_or_404

    found = community_or_404(community_id, g.api_user, moderate=True)
    upload = files["file"]
    try:
        with upload.stream as stream:
            report = parse_roster(stream.read(MAX_ROSTER_BYTES + 1), upload.filename or "roster")
    except RosterError as error:
        raise Invalid(str(error), fields={"file": str(error)}) from error
    out = {"dry_run": options["dry_run"], "valid": report.valid, "total_lines": report.total_lines,
           "valid_rows": len(report.rows), "duplicates": report.duplicates,
           "duplicate_rows": [{"line": d.line, "same_as": d.same_as} for d in report.duplicate_rows],
           "problems": [asdict(p) for p in report.problems], "imported": None}
    if not options["dry_run"]:
        result = services.import_roster(db.session, g.api_user, found, report, only_valid=options["only_valid"])
        db.session.commit()
        out["imported"] = {"rows": result.rows_imported, "skipped": result.rows_skipped,
                           "persons_created": result.persons_created, "units_created": result.units_created,
                           "ownerships_created": result.ownerships_created}
    return out
