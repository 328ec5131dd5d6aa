"""The blueprint of the consultations pages, and the labels every template of it may call."""

from __future__ import annotations

from flask import Blueprint

from deliberation.consultations.sessions import eligibility_label, phase_label

bp = Blueprint("consultations", __name__)


@bp.app_context_processor
def _consultation_helpers():
    return {"phase_label": phase_label, "eligibility_label": eligibility_label}
