"""The per-user limit on posting comments, shared by the pages and the API."""

from __future__ import annotations

from deliberation.limits import per_user

DEFAULT_COMMENT_RATE_LIMIT = "10 per minute"

# One bucket for pages and API alike: switching channel does not double the allowance.
comment_rate_limit = per_user("consultations-comment", "COMMENT_RATE_LIMIT", DEFAULT_COMMENT_RATE_LIMIT)
