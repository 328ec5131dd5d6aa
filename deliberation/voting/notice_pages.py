"""Pages of the notices for the wall (voting.notices): moderators download each stage's notice as PDF or DOCX."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user, login_required

from deliberation import documents
from deliberation.db import write_intent
from deliberation.extensions import db
from deliberation.voting import lifecycle, notices
from deliberation.voting.access import vote_or_404
from deliberation.voting.routes import bp


@bp.app_template_global()
def notice_stages(vote) -> list[tuple[str, str]]:
    """(stage, title) of the notices the vote page offers its moderators (voting/_notices.html)."""
    return notices.stages_reached(vote)


@bp.get("/votes/<int:vote_id>/notices/<any(roll, call, preliminary, final):stage>.<any(pdf, docx):notice_format>")
@login_required
def notice(vote_id: int, stage: str, notice_format: str):
    """A stage's notice as a file to print and post (moderators): 404 for a stage the vote has not reached."""
    # A download is recorded in the audit log (as the minutes' are): this GET writes, so it takes the write
    # lock up front.
    db.session.rollback()
    write_intent.set(True)
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user, moderate=True))
    data, name, mimetype = notices.export(db.session, current_user, vote, stage, notice_format,
                                          url_for(".detail", vote_id=vote.id, _external=True))
    db.session.commit()
    return documents.download(data, name, mimetype)
