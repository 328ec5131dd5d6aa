"""The blueprint of the consultations pages, and the labels every template of it may call."""

from __future__ import annotations

from flask import Blueprint

from deliberation.consultations.ideas import question_state_label
from deliberation.consultations.meetings import attendance_words
from deliberation.consultations.models import comment_state
from deliberation.consultations.sessions import eligibility_label, phase_label

bp = Blueprint("consultations", __name__)


@bp.app_context_processor
def _consultation_helpers():
    return {"phase_label": phase_label, "eligibility_label": eligibility_label,
            "question_state_label": question_state_label, "comment_state": comment_state,
            "attendance_words": attendance_words}
