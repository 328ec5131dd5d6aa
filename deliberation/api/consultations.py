"""API of the consultations capability: sessions, proposals, comments, moderation and the wish wall.

Thin adapters over deliberation.consultations.services, the same ones the pages call. Objects a user
may not see answer 404, exactly as the pages do; hidden comment text is never sent to residents.
"""

from __future__ import annotations

from datetime import UTC

from flask import Response, g, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from deliberation.accounts.access import community_or_404
from deliberation.accounts.models import User
from deliberation.api.auth import token_required
from deliberation.consultations import pictures as picture_files
from deliberation.consultations import services
from deliberation.consultations.access import (
    comment_or_404,
    consultation_or_404,
    idea_or_404,
    picture_or_404,
    proposal_or_404,
)
from deliberation.consultations.eligibility import visible_clause
from deliberation.consultations.models import (
    PHASE_ORDER,
    Comment,
    CommentStatus,
    Consultation,
    Eligibility,
    Idea,
    IdeaSupport,
    Proposal,
)
from deliberation.errors import NotFound
from deliberation.extensions import db
from deliberation.limits import comment_limit
from deliberation.pagination import paginate

bp = Blueprint("api_consultations", __name__, description="议事：方案、意见征集、审核与居民心愿墙")



# -- schemas -----------------------------------------------------------------------------------


class StaircaseField(Schema):
    building_id = fields.Integer(required=True)
    staircase = fields.String(required=True, validate=validate.Length(min=1, max=20),
                              metadata={"description": "as on the roster, e.g. 2单元"})


class ConsultationIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    background = fields.String(load_default="", validate=validate.Length(max=services.MAX_LONG_TEXT))
    participants = fields.String(load_default="", validate=validate.Length(max=2000))
    eligibility = fields.String(
        load_default="community", validate=validate.OneOf([e.value for e in Eligibility])
    )
    building_ids = fields.List(fields.Integer(), load_default=list)
    staircases = fields.List(
        fields.Nested(StaircaseField),
        load_default=list,
        metadata={"description": "with eligibility 'buildings': chosen staircases, besides whole buildings"},
    )
    person_ids = fields.List(fields.Integer(), load_default=list)
    commenting_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    voting_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    closes_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    pre_moderation = fields.Boolean(load_default=False)


class ConsultationPatch(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    background = fields.String(validate=validate.Length(max=services.MAX_LONG_TEXT))
    participants = fields.String(validate=validate.Length(max=2000))
    eligibility = fields.String(validate=validate.OneOf([e.value for e in Eligibility]))
    building_ids = fields.List(fields.Integer())
    staircases = fields.List(fields.Nested(StaircaseField))
    person_ids = fields.List(fields.Integer())
    commenting_at = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    voting_at = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    closes_at = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    pre_moderation = fields.Boolean()


class PhaseIn(Schema):
    phase = fields.String(required=True, validate=validate.OneOf([p.value for p in PHASE_ORDER]))


class RoundIn(Schema):
    opens_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    closes_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class RoundOut(Schema):
    id = fields.Integer()
    number = fields.Integer()
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()
    state = fields.String()


class PictureOut(Schema):
    id = fields.Integer()
    url = fields.String(metadata={"description": "the picture for a signed-in browser"})
    api_url = fields.String(metadata={"description": "the picture with the bearer token"})
    original_name = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    content_type = fields.String()


class VersionOut(Schema):
    number = fields.Integer()
    title = fields.String()
    body_markdown = fields.String()
    body_html = fields.String(metadata={"description": "sanitised HTML, safe to display"})
    change_note = fields.String()
    created_at = fields.DateTime()
    pictures = fields.List(fields.Nested(PictureOut))


class ProposalOut(Schema):
    id = fields.Integer()
    consultation_id = fields.Integer()
    is_variant = fields.Boolean()
    current_version = fields.Integer()
    title = fields.String()
    versions = fields.List(fields.Nested(VersionOut))
    idea_ids = fields.List(fields.Integer())


class ProposalIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=services.MAX_LONG_TEXT))
    is_variant = fields.Boolean(load_default=False)


class ProposalUploadIn(ProposalIn):
    pictures = fields.List(
        Upload(),
        load_default=list,
        metadata={"description": "JPEG, PNG or WebP files, repeat the field for several (at most 10, 8 MB each)"},
    )


class VersionIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=services.MAX_LONG_TEXT))
    change_note = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class VersionUploadIn(VersionIn):
    pictures = fields.List(Upload(), load_default=list, metadata={"description": "pictures to add"})
    drop_picture_ids = fields.List(
        fields.Integer(),
        load_default=list,
        metadata={"description": "pictures of the current version not to carry over"},
    )


class ConsultationOut(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    title = fields.String()
    background = fields.String()
    participants = fields.String()
    eligibility = fields.String()
    building_ids = fields.List(fields.Integer())
    staircases = fields.List(fields.Nested(StaircaseField))
    phase = fields.String(
        metadata={"description": "effective phase: the stored one moved on by the schedule"}
    )
    commenting_at = fields.DateTime(allow_none=True)
    voting_at = fields.DateTime(allow_none=True)
    closes_at = fields.DateTime(allow_none=True)
    pre_moderation = fields.Boolean()
    created_at = fields.DateTime()
    rounds = fields.List(fields.Nested(RoundOut))
    proposals = fields.List(fields.Nested(ProposalOut))


class ConsultationSummary(Schema):
    id = fields.Integer()
    title = fields.String()
    phase = fields.String()
    eligibility = fields.String()
    created_at = fields.DateTime()


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class CommentsQuery(PageQuery):
    round = fields.Integer(
        load_default=None, metadata={"description": "round number; default the open or last"}
    )
    sort = fields.String(load_default="supported", validate=validate.OneOf(services.SORTS))


class CommentIn(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=services.MAX_TEXT))
    parent_id = fields.Integer(load_default=None, allow_none=True)
    proposal_id = fields.Integer(load_default=None, allow_none=True)
    official_answer = fields.Boolean(load_default=False, metadata={"description": "moderators, on a reply"})


class CommentOut(Schema):
    id = fields.Integer()
    round = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    thread_id = fields.Integer(allow_none=True)
    proposal_id = fields.Integer(allow_none=True)
    proposal_version = fields.Integer(allow_none=True)
    author = fields.String()
    body = fields.String(allow_none=True, metadata={"description": "null when hidden (moderators see it)"})
    status = fields.String()
    hidden_reason = fields.String(allow_none=True)
    is_official_answer = fields.Boolean()
    support_count = fields.Integer()
    supported = fields.Boolean()
    created_at = fields.DateTime()
    replies = fields.List(fields.Nested(lambda: CommentOut(exclude=("replies",))))


class CommentPage(Schema):
    items = fields.List(fields.Nested(CommentOut))
    page = fields.Integer()
    pages = fields.Integer()
    total = fields.Integer()
    round = fields.Nested(RoundOut, allow_none=True)


class ReasonIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class IdeaIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    body = fields.String(required=True, validate=validate.Length(min=1, max=services.MAX_TEXT))


class IdeaOut(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    author = fields.String()
    status = fields.String()
    support_count = fields.Integer()
    supported = fields.Boolean()
    answer = fields.String()
    merged_into_id = fields.Integer(allow_none=True)
    proposal_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class IdeaPage(Schema):
    items = fields.List(fields.Nested(IdeaOut))
    page = fields.Integer()
    pages = fields.Integer()
    total = fields.Integer()


# -- serialisers -------------------------------------------------------------------------------


def _round(round_) -> dict | None:
    if round_ is None:
        return None
    return {
        "id": round_.id,
        "number": round_.number,
        "opens_at": round_.opens_at,
        "closes_at": round_.closes_at,
        "state": round_.state.value,
    }


def _proposal(proposal: Proposal) -> dict:
    return {
        "id": proposal.id,
        "consultation_id": proposal.consultation_id,
        "is_variant": proposal.is_variant,
        "current_version": proposal.current_version.number,
        "title": proposal.title,
        "idea_ids": [i.id for i in proposal.ideas],
        "versions": [
            {
                "number": v.number,
                "title": v.title,
                "body_markdown": v.body_markdown,
                "body_html": v.body_html,
                "change_note": v.change_note,
                "created_at": v.created_at,
                "pictures": [
                    {
                        "id": p.id,
                        "url": url_for("consultations.picture", picture_id=p.id),
                        "api_url": url_for("api_consultations.read_picture", picture_id=p.id),
                        "original_name": p.original_name,
                        "width": p.width,
                        "height": p.height,
                        "content_type": p.content_type,
                    }
                    for p in v.pictures
                ],
            }
            for v in proposal.versions
        ],
    }


def _consultation(consultation: Consultation) -> dict:
    proposals = services.proposals_of(db.session, consultation)
    return {
        "id": consultation.id,
        "community_id": consultation.community_id,
        "title": consultation.title,
        "background": consultation.background,
        "participants": consultation.participants,
        "eligibility": consultation.eligibility.value,
        "building_ids": [b.id for b in consultation.buildings],
        "staircases": [
            {"building_id": b, "staircase": st} for b, _name, st in services.staircases_of(db.session, consultation)
        ],
        "phase": consultation.effective_phase.value,
        "commenting_at": consultation.commenting_at,
        "voting_at": consultation.voting_at,
        "closes_at": consultation.closes_at,
        "pre_moderation": consultation.pre_moderation,
        "created_at": consultation.created_at,
        "rounds": [_round(r) for r in consultation.rounds],
        "proposals": [_proposal(p) for p in proposals],
    }


def _comment(
    comment: Comment, viewer: User, supported: set[int], replies: list[Comment] | None = None
) -> dict:
    visible = comment.body_visible_to(viewer)
    moderator_or_author = comment.consultation.can_moderate(viewer) or comment.author_id == viewer.id
    out = {
        "id": comment.id,
        "round": comment.round.number,
        "parent_id": comment.parent_id,
        "thread_id": comment.thread_id,
        "proposal_id": comment.proposal_id,
        "proposal_version": comment.proposal_version.number if comment.proposal_version else None,
        "author": comment.author.display_name,
        "body": comment.body if visible else None,
        "status": comment.status.value,
        "hidden_reason": comment.hidden_reason
        if comment.status == CommentStatus.HIDDEN and moderator_or_author
        else None,
        "is_official_answer": comment.is_official_answer,
        "support_count": comment.support_count,
        "supported": comment.id in supported,
        "created_at": comment.created_at,
    }
    if replies is not None:
        out["replies"] = [_comment(r, viewer, supported) for r in replies]
    return out


def _idea(idea: Idea, supported: set[int]) -> dict:
    return {
        "id": idea.id,
        "title": idea.title,
        "body": idea.body,
        "author": idea.author.display_name,
        "status": idea.status.value,
        "support_count": idea.support_count,
        "supported": idea.id in supported,
        "answer": idea.answer,
        "merged_into_id": idea.merged_into_id,
        "proposal_id": idea.proposal_id,
        "created_at": idea.created_at,
    }


# -- sessions ----------------------------------------------------------------------------------


def _pairs(data: dict) -> dict:
    """The staircases of a request as (building id, staircase) pairs for the service."""
    return {**data, "staircases": [(s["building_id"], s["staircase"]) for s in data.get("staircases", [])]}


@bp.route("/communities/<int:community_id>/consultations")
@token_required
@bp.arguments(PageQuery, location="query")
@bp.response(200, ConsultationSummary(many=True))
def list_consultations(query, community_id: int):
    """The community's sessions the user may see (drafts for moderators only), newest first."""
    community = community_or_404(community_id, g.api_user)
    stmt = (
        select(Consultation)
        .where(
            Consultation.community_id == community.id, visible_clause(db.session, g.api_user, community.id)
        )
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
    )
    page = paginate(db.session, stmt, per_page=query["per_page"], number=query["page"])
    return [
        {
            "id": c.id,
            "title": c.title,
            "phase": c.effective_phase.value,
            "eligibility": c.eligibility.value,
            "created_at": c.created_at,
        }
        for c in page.items
    ]


@bp.route("/communities/<int:community_id>/consultations", methods=["POST"])
@token_required
@bp.arguments(ConsultationIn)
@bp.response(201, ConsultationOut)
def create_consultation(data, community_id: int):
    """Create a session in the draft phase (moderators)."""
    community = community_or_404(community_id, g.api_user, moderate=True)
    consultation = services.create_consultation(
        db.session, g.api_user, community, services.ConsultationInput(**_pairs(data))
    )
    db.session.commit()
    return _consultation(consultation)


@bp.route("/consultations/<int:consultation_id>")
@token_required
@bp.response(200, ConsultationOut)
def read_consultation(consultation_id: int):
    """A session with its rounds and proposals (all versions)."""
    return _consultation(consultation_or_404(consultation_id, g.api_user))


@bp.route("/consultations/<int:consultation_id>", methods=["PATCH"])
@token_required
@bp.arguments(ConsultationPatch)
@bp.response(200, ConsultationOut)
def update_consultation(data, consultation_id: int):
    """Change some fields of a session (moderators); fields left out keep their value."""
    consultation = consultation_or_404(consultation_id, g.api_user, moderate=True)
    current = {
        "title": consultation.title,
        "background": consultation.background,
        "participants": consultation.participants,
        "eligibility": consultation.eligibility.value,
        "building_ids": [b.id for b in consultation.buildings],
        "staircases": [
            {"building_id": b, "staircase": st} for b, _name, st in services.staircases_of(db.session, consultation)
        ],
        "person_ids": [p.id for p in consultation.persons],
        "commenting_at": consultation.commenting_at,
        "voting_at": consultation.voting_at,
        "closes_at": consultation.closes_at,
        "pre_moderation": consultation.pre_moderation,
    }
    services.update_consultation(
        db.session, g.api_user, consultation, services.ConsultationInput(**_pairs({**current, **data}))
    )
    db.session.commit()
    return _consultation(consultation)


@bp.route("/consultations/<int:consultation_id>/phase", methods=["POST"])
@token_required
@bp.arguments(PhaseIn)
@bp.response(200, ConsultationOut)
def move_phase(data, consultation_id: int):
    """Move the session to a later phase (moderators); 409 for a move backwards."""
    consultation = consultation_or_404(consultation_id, g.api_user, moderate=True)
    services.move_phase(db.session, g.api_user, consultation, data["phase"])
    db.session.commit()
    return _consultation(consultation)


@bp.route("/consultations/<int:consultation_id>/rounds", methods=["POST"])
@token_required
@bp.arguments(RoundIn)
@bp.response(201, RoundOut)
def open_round(data, consultation_id: int):
    """Open a numbered comment round (moderators)."""
    consultation = consultation_or_404(consultation_id, g.api_user, moderate=True)
    round_ = services.open_round(db.session, g.api_user, consultation, data["closes_at"], data["opens_at"])
    db.session.commit()
    return _round(round_)


# -- proposals ---------------------------------------------------------------------------------


@bp.route("/consultations/<int:consultation_id>/proposals", methods=["POST"])
@token_required
@bp.arguments(ProposalIn)
@bp.response(201, ProposalOut)
def create_proposal(data, consultation_id: int):
    """Add a proposal (Markdown, stored with its sanitised HTML) to a session (moderators)."""
    consultation = consultation_or_404(consultation_id, g.api_user, moderate=True)
    proposal = services.create_proposal(
        db.session, g.api_user, consultation, data["title"], data["body"], is_variant=data["is_variant"]
    )
    db.session.commit()
    return _proposal(proposal)


def _uploaded(name: str = "pictures") -> list[tuple[bytes, str]]:
    """The uploaded files of a multipart request, each read up to the size limit plus one byte."""
    return [
        (f.read(picture_files.MAX_BYTES + 1), f.filename or "")
        for f in request.files.getlist(name)
        if f.filename or f.content_length
    ]


@bp.route("/consultations/<int:consultation_id>/proposals/with-pictures", methods=["POST"])
@token_required
@bp.arguments(ProposalUploadIn, location="form", content_type="multipart/form-data")
@bp.response(201, ProposalOut)
def create_proposal_with_pictures(data, consultation_id: int):
    """Add a proposal with its pictures, as multipart/form-data (moderators).

    Every picture is decoded, stripped of EXIF and resized; one that is not a picture refuses the
    whole request (422) and nothing is stored.
    """
    consultation = consultation_or_404(consultation_id, g.api_user, moderate=True)
    proposal = services.create_proposal(
        db.session,
        g.api_user,
        consultation,
        data["title"],
        data["body"],
        is_variant=data["is_variant"],
        pictures=_uploaded(),
    )
    db.session.commit()
    return _proposal(proposal)


@bp.route("/proposals/<int:proposal_id>/versions/with-pictures", methods=["POST"])
@token_required
@bp.arguments(VersionUploadIn, location="form", content_type="multipart/form-data")
@bp.response(201, ProposalOut)
def add_version_with_pictures(data, proposal_id: int):
    """Publish a new version with new pictures, as multipart/form-data (moderators).

    The current version's pictures carry over unless listed in drop_picture_ids.
    """
    proposal = proposal_or_404(proposal_id, g.api_user, moderate=True)
    services.add_version(
        db.session,
        g.api_user,
        proposal,
        data["title"],
        data["body"],
        data["change_note"],
        pictures=_uploaded(),
        drop_picture_ids=data["drop_picture_ids"],
    )
    db.session.commit()
    db.session.refresh(proposal)
    return _proposal(proposal)


@bp.route("/pictures/<int:picture_id>")
@bp.doc(
    responses={
        200: {
            "description": "the re-encoded picture",
            "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in picture_files.MIME_TYPES},
        }
    },
)
@token_required
def read_picture(picture_id: int):
    """A proposal's picture, for those who may see its session."""
    found = picture_or_404(picture_id, g.api_user)
    path = picture_files.path_of(found.stored_name)
    if not path.is_file():
        raise NotFound(_("找不到该图片"))
    response = Response(path.read_bytes(), mimetype=found.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/proposals/<int:proposal_id>")
@token_required
@bp.response(200, ProposalOut)
def read_proposal(proposal_id: int):
    """A proposal with every version."""
    return _proposal(proposal_or_404(proposal_id, g.api_user))


@bp.route("/proposals/<int:proposal_id>/versions", methods=["POST"])
@token_required
@bp.arguments(VersionIn)
@bp.response(201, ProposalOut)
def add_version(data, proposal_id: int):
    """Publish a new version of a proposal; earlier versions stay (moderators)."""
    proposal = proposal_or_404(proposal_id, g.api_user, moderate=True)
    services.add_version(db.session, g.api_user, proposal, data["title"], data["body"], data["change_note"])
    db.session.commit()
    db.session.refresh(proposal)
    return _proposal(proposal)


# -- comments ----------------------------------------------------------------------------------


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
    listing = services.list_comments(
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
            _comment(c, g.api_user, listing.supported, listing.replies.get(c.id, []))
            for c in listing.page.items
        ],
        "page": listing.page.number,
        "pages": listing.page.pages,
        "total": listing.page.total,
        "round": _round(listing.round),
    }


@bp.route("/consultations/<int:consultation_id>/comments", methods=["POST"])
@comment_limit
@token_required
@bp.arguments(CommentIn)
@bp.response(201, CommentOut)
def post_comment(data, consultation_id: int):
    """Post a comment in the open round, or a reply (parent_id); moderators may post an official answer."""
    consultation = consultation_or_404(consultation_id, g.api_user)
    comment = services.post_comment(
        db.session,
        g.api_user,
        consultation,
        data["body"],
        parent_id=data["parent_id"],
        proposal_id=data["proposal_id"],
        official_answer=data["official_answer"],
    )
    db.session.commit()
    return _comment(comment, g.api_user, set())


@bp.route("/comments/<int:comment_id>/support", methods=["POST"])
@token_required
@bp.response(200, CommentOut)
def support(comment_id: int):
    """Support a comment; 409 when already supported."""
    comment = comment_or_404(comment_id, g.api_user)
    services.support_comment(db.session, g.api_user, comment)
    db.session.commit()
    return _comment(comment, g.api_user, {comment.id})


@bp.route("/comments/<int:comment_id>/support", methods=["DELETE"])
@token_required
@bp.response(200, CommentOut)
def withdraw_support(comment_id: int):
    """Withdraw one's support of a comment."""
    comment = comment_or_404(comment_id, g.api_user)
    services.withdraw_support(db.session, g.api_user, comment)
    db.session.commit()
    return _comment(comment, g.api_user, set())


@bp.route("/comments/<int:comment_id>/reports", methods=["POST"])
@token_required
@bp.arguments(ReasonIn)
@bp.response(201, CommentOut)
def report(data, comment_id: int):
    """Report a comment to the moderators, with a reason."""
    comment = comment_or_404(comment_id, g.api_user)
    services.report_comment(db.session, g.api_user, comment, data["reason"])
    db.session.commit()
    return _comment(comment, g.api_user, set())


@bp.route("/comments/<int:comment_id>/hide", methods=["POST"])
@token_required
@bp.arguments(ReasonIn)
@bp.response(200, CommentOut)
def hide(data, comment_id: int):
    """Hide a comment with a reason (moderators); the author is told."""
    comment = comment_or_404(comment_id, g.api_user, moderate=True)
    services.hide_comment(db.session, g.api_user, comment, data["reason"])
    db.session.commit()
    return _comment(comment, g.api_user, set())


@bp.route("/comments/<int:comment_id>/restore", methods=["POST"])
@token_required
@bp.response(200, CommentOut)
def restore(comment_id: int):
    """Publish a hidden or pending comment (moderators)."""
    comment = comment_or_404(comment_id, g.api_user, moderate=True)
    services.restore_comment(db.session, g.api_user, comment)
    db.session.commit()
    return _comment(comment, g.api_user, set())


# -- wish wall ---------------------------------------------------------------------------------


class IdeasQuery(PageQuery):
    sort = fields.String(load_default="supported", validate=validate.OneOf(services.SORTS))


@bp.route("/communities/<int:community_id>/ideas")
@token_required
@bp.arguments(IdeasQuery, location="query")
@bp.response(200, IdeaPage)
def list_ideas(query, community_id: int):
    """The community's wish wall, most supported or newest first."""
    community = community_or_404(community_id, g.api_user)
    page = services.list_ideas(
        db.session, community, sort=query["sort"], page=query["page"], per_page=query["per_page"]
    )
    ids = [i.id for i in page.items]
    supported = (
        set(
            db.session.execute(
                select(IdeaSupport.idea_id).where(
                    IdeaSupport.user_id == g.api_user.id, IdeaSupport.idea_id.in_(ids)
                )
            ).scalars()
        )
        if ids
        else set()
    )
    return {
        "items": [_idea(i, supported) for i in page.items],
        "page": page.number,
        "pages": page.pages,
        "total": page.total,
    }


@bp.route("/communities/<int:community_id>/ideas", methods=["POST"])
@token_required
@bp.arguments(IdeaIn)
@bp.response(201, IdeaOut)
def post_idea(data, community_id: int):
    """Post a need or idea on the wish wall."""
    community = community_or_404(community_id, g.api_user)
    idea = services.post_idea(db.session, g.api_user, community, data["title"], data["body"])
    db.session.commit()
    return _idea(idea, set())


@bp.route("/ideas/<int:idea_id>/support", methods=["POST"])
@token_required
@bp.response(200, IdeaOut)
def support_idea(idea_id: int):
    """Support an idea; 409 when already supported."""
    idea = idea_or_404(idea_id, g.api_user)
    services.support_idea(db.session, g.api_user, idea)
    db.session.commit()
    return _idea(idea, {idea.id})
