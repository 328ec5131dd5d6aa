"""API of sessions: list, create, read, edit them, move their phase, open their comment rounds."""

from __future__ import annotations

from flask import g

from deliberation.accounts.access import community_or_404
from deliberation.api.auth import token_required
from deliberation.api.consultations.blueprint import bp
from deliberation.api.consultations.schemas import (
    ConsultationIn,
    ConsultationOut,
    ConsultationPatch,
    ConsultationSummary,
    PageQuery,
    PhaseIn,
    RoundIn,
    RoundOut,
)
from deliberation.api.consultations.serialisers import (
    dump_consultation,
    dump_round,
)
from deliberation.consultations import comments, sessions
from deliberation.consultations.access import (
    consultation_or_404,
)
from deliberation.extensions import db


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
    page = sessions.consultations_of(
        db.session, g.api_user, community, page=query["page"], per_page=query["per_page"]
    )
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
    consultation = sessions.create_consultation(
        db.session, g.api_user, community, sessions.ConsultationInput(**_pairs(data))
    )
    db.session.commit()
    return dump_consultation(consultation)


@bp.route("/consultations/<int:consultation_id>")
@token_required
@bp.response(200, ConsultationOut)
def read_consultation(consultation_id: int):
    """A session with its rounds and proposals (all versions)."""
    return dump_consultation(consultation_or_404(consultation_id, g.api_user))


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
            {"building_id": b, "staircase": st} for b, _name, st in sessions.staircases_of(db.session, consultation)
        ],
        "person_ids": [p.id for p in consultation.persons],
        "commenting_at": consultation.commenting_at,
        "voting_at": consultation.voting_at,
        "closes_at": consultation.closes_at,
        "pre_moderation": consultation.pre_moderation,
    }
    sessions.update_consultation(
        db.session, g.api_user, consultation, sessions.ConsultationInput(**_pairs({**current, **data}))
    )
    db.session.commit()
    return dump_consultation(consultation)


@bp.route("/consultations/<int:consultation_id>/phase", methods=["POST"])
@token_required
@bp.arguments(PhaseIn)
@bp.response(200, ConsultationOut)
def move_phase(data, consultation_id: int):
    """Move the session to a later phase (moderators); 409 for a move backwards."""
    consultation = consultation_or_404(consultation_id, g.api_user, moderate=True)
    sessions.move_phase(db.session, g.api_user, consultation, data["phase"])
    db.session.commit()
    return dump_consultation(consultation)


@bp.route("/consultations/<int:consultation_id>/rounds", methods=["POST"])
@token_required
@bp.arguments(RoundIn)
@bp.response(201, RoundOut)
def open_round(data, consultation_id: int):
    """Open a numbered comment round (moderators)."""
    consultation = consultation_or_404(consultation_id, g.api_user, moderate=True)
    round_ = comments.open_round(db.session, g.api_user, consultation, data["closes_at"], data["opens_at"])
    db.session.commit()
    return dump_round(round_)

