"""API of comments: list a round, post, support, report; hide and restore (moderators)."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from deliberation.api.auth import token_required
from deliberation.api.consultations.blueprint import bp
from deliberation.api.consultations.schemas import (
    CommentIn,
    CommentOut,
    CommentPage,
    CommentsQuery,
    ReasonIn,
)
from deliberation.api.consultations.serialisers import (
    dump_comment,
    dump_round,
)
from deliberation.consultations import comments, moderation
from deliberation.consultations.access import (
    comment_or_404,
    consultation_or_404,
)
from deliberation.errors import NotFound
from deliberation.extensions import db
from deliberation.limits import comment_limit


@bp.route("/consultations/<int:consultation_id>/comments")
@token_required
@bp.arguments(CommentsQuery, location="query")
@bp.response(200, CommentPage)
def list_comments(query, consultation_id: int):
    """Top-level comments of a round with their replies (official answers first)."""
    consultation = consultation_or_404(consultation_id, g.api_user)
    round_ = None
    if query["round"] is not None:
        round_ = next((r for r in consultation.rounds if r.number == query["round"]), None)
        if round_ is None:
            raise NotFound(_("找不到该轮次"))
    listing = comments.list_comments(
        db.session,
        g.api_user,
        consultation,
        round_=round_,
        sort=query["sort"],
        page=query["page"],
        per_page=query["per_page"],
    )
    return {
        "items": [
            dump_comment(c, g.api_user, listing.supported, listing.replies.get(c.id, []))
            for c in listing.page.items
        ],
        "page": listing.page.number,
        "pages": listing.page.pages,
        "total": listing.page.total,
        "round": dump_round(listing.round),
    }


@bp.route("/consultations/<int:consultation_id>/comments", methods=["POST"])
@comment_limit
@token_required
@bp.arguments(CommentIn)
@bp.response(201, CommentOut)
def post_comment(data, consultation_id: int):
    """Post a comment in the open round, or a reply (parent_id); moderators may post an official answer."""
    consultation = consultation_or_404(consultation_id, g.api_user)
    comment = comments.post_comment(
        db.session,
        g.api_user,
        consultation,
        data["body"],
        parent_id=data["parent_id"],
        proposal_id=data["proposal_id"],
        official_answer=data["official_answer"],
    )
    db.session.commit()
    return dump_comment(comment, g.api_user, set())


@bp.route("/comments/<int:comment_id>/support", methods=["POST"])
@token_required
@bp.response(200, CommentOut)
def support(comment_id: int):
    """Support a comment; 409 when already supported."""
    comment = comment_or_404(comment_id, g.api_user)
    comments.support_comment(db.session, g.api_user, comment)
    db.session.commit()
    return dump_comment(comment, g.api_user, {comment.id})


@bp.route("/comments/<int:comment_id>/support", methods=["DELETE"])
@token_required
@bp.response(200, CommentOut)
def withdraw_support(comment_id: int):
    """Withdraw one's support of a comment."""
    comment = comment_or_404(comment_id, g.api_user)
    comments.withdraw_support(db.session, g.api_user, comment)
    db.session.commit()
    return dump_comment(comment, g.api_user, set())


@bp.route("/comments/<int:comment_id>/reports", methods=["POST"])
@token_required
@bp.arguments(ReasonIn)
@bp.response(201, CommentOut)
def report(data, comment_id: int):
    """Report a comment to the moderators, with a reason."""
    comment = comment_or_404(comment_id, g.api_user)
    comments.report_comment(db.session, g.api_user, comment, data["reason"])
    db.session.commit()
    return dump_comment(comment, g.api_user, set())


@bp.route("/comments/<int:comment_id>/hide", methods=["POST"])
@token_required
@bp.arguments(ReasonIn)
@bp.response(200, CommentOut)
def hide(data, comment_id: int):
    """Hide a comment with a reason (moderators); the author is told."""
    comment = comment_or_404(comment_id, g.api_user, moderate=True)
    moderation.hide_comment(db.session, g.api_user, comment, data["reason"])
    db.session.commit()
    return dump_comment(comment, g.api_user, set())


@bp.route("/comments/<int:comment_id>/restore", methods=["POST"])
@token_required
@bp.response(200, CommentOut)
def restore(comment_id: int):
    """Publish a hidden or pending comment (moderators)."""
    comment = comment_or_404(comment_id, g.api_user, moderate=True)
    moderation.restore_comment(db.session, g.api_user, comment)
    db.session.commit()
    return dump_comment(comment, g.api_user, set())

