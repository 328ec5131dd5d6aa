"""API of proposals: create them and their versions (with pictures or without), read them, their pictures."""

from __future__ import annotations

from flask import Response, g, request

from deliberation import audit
from deliberation.api.auth import token_required
from deliberation.api.consultations.blueprint import bp
from deliberation.api.consultations.schemas import (
    ProposalIn,
    ProposalOut,
    ProposalUploadIn,
    VersionIn,
    VersionUploadIn,
)
from deliberation.api.consultations.serialisers import (
    dump_proposal,
)
from deliberation.consultations import pictures as picture_files
from deliberation.consultations import proposals
from deliberation.consultations.access import (
    consultation_or_404,
    picture_or_404,
    proposal_or_404,
)
from deliberation.extensions import db


@bp.route("/consultations/<int:consultation_id>/proposals", methods=["POST"])
@token_required
@bp.arguments(ProposalIn)
@bp.response(201, ProposalOut)
def create_proposal(data, consultation_id: int):
    """Add a proposal (Markdown, stored with its sanitised HTML) to a session (moderators)."""
    consultation = consultation_or_404(consultation_id, g.api_user, moderate=True)
    proposal = proposals.create_proposal(
        db.session, g.api_user, consultation, data["title"], data["body"], is_variant=data["is_variant"]
    )
    db.session.commit()
    return dump_proposal(proposal)


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
    proposal = proposals.create_proposal(
        db.session,
        g.api_user,
        consultation,
        data["title"],
        data["body"],
        is_variant=data["is_variant"],
        pictures=_uploaded(),
    )
    db.session.commit()
    return dump_proposal(proposal)


@bp.route("/proposals/<int:proposal_id>/versions/with-pictures", methods=["POST"])
@token_required
@bp.arguments(VersionUploadIn, location="form", content_type="multipart/form-data")
@bp.response(201, ProposalOut)
def add_version_with_pictures(data, proposal_id: int):
    """Publish a new version with new pictures, as multipart/form-data (moderators).

    The current version's pictures carry over unless listed in drop_picture_ids.
    """
    proposal = proposal_or_404(proposal_id, g.api_user, moderate=True)
    with audit.refusal_recorded(db.session, g.api_user, "proposal.version_refused", proposal,
                                community_id=proposal.consultation.community_id):
        proposals.add_version(
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
    return dump_proposal(proposal)


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
    response = Response(proposals.picture_file(found), mimetype=found.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/proposals/<int:proposal_id>")
@token_required
@bp.response(200, ProposalOut)
def read_proposal(proposal_id: int):
    """A proposal with every version."""
    return dump_proposal(proposal_or_404(proposal_id, g.api_user))


@bp.route("/proposals/<int:proposal_id>/versions", methods=["POST"])
@token_required
@bp.arguments(VersionIn)
@bp.response(201, ProposalOut)
@bp.alt_response(409, description="a vote on the proposal is open")
def add_version(data, proposal_id: int):
    """Publish a new version of a proposal; earlier versions stay (moderators)."""
    proposal = proposal_or_404(proposal_id, g.api_user, moderate=True)
    with audit.refusal_recorded(db.session, g.api_user, "proposal.version_refused", proposal,
                                community_id=proposal.consultation.community_id):
        proposals.add_version(db.session, g.api_user, proposal, data["title"], data["body"], data["change_note"])
    db.session.commit()
    db.session.refresh(proposal)
    return dump_proposal(proposal)

