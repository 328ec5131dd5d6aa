"""The per-user limit on saving answers (autosave, the page's buttons and the API share one bucket)."""

from __future__ import annotations

from deliberation.limits import per_user

# Autosave sends at most one request per pause in typing: a generous allowance, still a ceiling.
DEFAULT_SURVEY_SAVE_RATE_LIMIT = "120 per minute"

survey_save_limit = per_user("surveys-save", "SURVEY_SAVE_RATE_LIMIT", DEFAULT_SURVEY_SAVE_RATE_LIMIT)
