"""API of the minutes capability: read, export, draft and publish the minutes of a consultation.

`GET /consultations/{id}/minutes` answers JSON (the versions and the contents) or, with
`?format=pdf|docx|md|html|csv|xlsx`, the file with its content type and an RFC 6266 Chinese name.
"""

from __future__ import annotations

from flask import g
from marshmallow import Schema, fields, validate

from deliberation import documents
from deliberation.api.arguments import Blueprint
from deliberation.api.auth import token_required
from deliberation.consultations.access import consultation_or_404
from deliberation.db import write_intent
from deliberation.extensions import db
from deliberation.minutes import contents as minutes_contents
from deliberation.minutes import render, services

bp = Blueprint("api_minutes", __name__, description="会议纪要：草稿、发布与导出")

FILE_CONTENT = {
    mimetype.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
    for mimetype in render.MIMETYPES.values()
}


class MinutesQueryIn(Schema):
    format = fields.String(
        load_default="json", validate=validate.OneOf(["json", *render.FORMATS]),
        metadata={"description": "json (default) or a file: pdf, docx, md, html, csv, xlsx"},
    )
    version = fields.Integer(load_default=None, validate=validate.Range(min=1),
                             metadata={"description": "a published version (default: the latest)"})
    draft = fields.Boolean(load_default=False, metadata={"description": "the draft (moderators only)"})


class MinutesVersionOut(Schema):
    number = fields.Integer()
    status = fields.String(metadata={"enum": ["draft", "published"]})
    published_at = fields.AwareDateTime(allow_none=True)
    change_note = fields.String()
    content_digest = fields.String(allow_none=True, metadata={"description": "SHA-256 of the frozen contents"})
    ballot_digest = fields.String(allow_none=True, metadata={"description": "SHA-256 of the ballot record"})


class MinutesOut(Schema):
    consultation_id = fields.Integer()
    versions = fields.List(fields.Nested(MinutesVersionOut))
    contents = fields.Dict(metadata={"description": "the minutes' contents (the shown version or the draft)"})


class MinutesDraftIn(Schema):
    closing_notes = fields.String(load_default="", validate=validate.Length(max=services.MAX_NOTES))
    host = fields.String(load_default="", validate=validate.Length(max=services.MAX_NAME))
    recorder = fields.String(load_default="", validate=validate.Length(max=services.MAX_NAME))
    change_note = fields.String(load_default="", validate=validate.Length(max=services.MAX_CHANGE_NOTE))


@bp.route("/consultations/<int:consultation_id>/minutes")
@bp.doc(responses={200: {"description": "JSON, or the file asked for by format",
                                          "content": FILE_CONTENT}})
@token_required
@bp.arguments(MinutesQueryIn, location="query")
@bp.response(200, MinutesOut, content_type="application/json")
def get_minutes(args, consultation_id: int):
    """The minutes: JSON, or a file (pdf, docx, md, html, csv, xlsx). Drafts for moderators only."""
    user = g.api_user
    if args["format"] != "json":
        # A download is audited: take the write lock up front (SQLite) before anything is read.
        db.session.rollback()
        write_intent.set(True)
        consultation = consultation_or_404(consultation_id, user)
        data, name, mimetype = services.export(db.session, user, consultation, args["format"],
                                               version=args["version"], draft=args["draft"])
        db.session.commit()
        return documents.download(data, name, mimetype)
    consultation = consultation_or_404(consultation_id, user)
    contents = services.contents_for(db.session, user, consultation, version=args["version"], draft=args["draft"])
    rows = services.versions(db.session, consultation)
    if not consultation.can_moderate(user):
        rows = [row for row in rows if row.is_published]
    return {"consultation_id": consultation.id, "versions": rows, "contents": minutes_contents.to_json(contents)}


@bp.route("/consultations/<int:consultation_id>/minutes/draft", methods=["PUT"])
@token_required
@bp.arguments(MinutesDraftIn)
@bp.response(200, MinutesVersionOut)
def save_draft(args, consultation_id: int):
    """Write the draft's closing notes, the names for the signature lines and the correction note."""
    consultation = consultation_or_404(consultation_id, g.api_user, moderate=True)
    draft = services.save_draft(db.session, g.api_user, consultation, **args)
    db.session.commit()
    return draft


@bp.route("/consultations/<int:consultation_id>/minutes/publish", methods=["POST"])
@token_required
@bp.response(201, MinutesVersionOut)
def publish(consultation_id: int):
    """Publish the draft as the next version (frozen from then on)."""
    consultation = consultation_or_404(consultation_id, g.api_user, moderate=True)
    minutes = services.publish(db.session, g.api_user, consultation)
    db.session.commit()
    return minutes
