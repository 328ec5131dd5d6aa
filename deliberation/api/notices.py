"""API of the notices for the wall (voting.notices): a vote's notice of one stage as a PDF or DOCX file.

`GET /votes/{id}/notices/{stage}?format=pdf|docx` — stage roll (表决权人名册公示), call (表决公告),
preliminary (表决结果公示（初步）) or final (表决结果公告); moderators only; 404 for a stage not reached.
"""

from __future__ import annotations

from flask import g, url_for
from marshmallow import Schema, fields, validate

from deliberation import documents
from deliberation.api.arguments import Blueprint
from deliberation.api.auth import token_required
from deliberation.db import write_intent
from deliberation.extensions import db
from deliberation.voting import lifecycle, notices
from deliberation.voting.access import vote_or_404

bp = Blueprint("api_notices", __name__, description="表决公告：名册公示、表决公告、结果公示与结果公告（PDF、DOCX）")

FILE_CONTENT = {mimetype: {"schema": {"type": "string", "format": "binary"}} for mimetype in notices.FORMATS.values()}


class NoticeQueryIn(Schema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(list(notices.FORMATS)),
                           metadata={"description": "pdf (default) or docx"})


@bp.route("/votes/<int:vote_id>/notices/<any(roll, call, preliminary, final):stage>")
@bp.doc(responses={200: {"description": "the notice as a file", "content": FILE_CONTENT}})
@token_required
@bp.arguments(NoticeQueryIn, location="query")
@bp.alt_response(403, description="not a moderator of the vote's community")
@bp.alt_response(404, description="no such vote here, or a stage the vote has not reached")
def get_notice(args, vote_id: int, stage: str):
    """A stage's notice for the wall, as a file (moderators). The download is audited."""
    db.session.rollback()
    write_intent.set(True)
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, g.api_user, moderate=True))
    data, name, mimetype = notices.export(db.session, g.api_user, vote, stage, args["format"],
                                          url_for("voting.detail", vote_id=vote.id, _external=True))
    db.session.commit()
    return documents.download(data, name, mimetype)
