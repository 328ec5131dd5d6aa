"""The per-user limit on posting comments, shared by the pages and the API."""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from deliberation.extensions import limiter

DEFAULT_COMMENT_RATE_LIMIT = "10 per minute"


def poster_key() -> str:
    """The user's id, so a household sharing one IP address is not limited as one person."""
    from deliberation.api.auth import bearer_user

    user = bearer_user() if request.path.startswith("/api/") else current_user
    if user is not None and user.is_authenticated:
        return f"user:{user.id}"
    return get_remote_address()


def _comment_rate() -> str:
    return current_app.config.get("COMMENT_RATE_LIMIT", DEFAULT_COMMENT_RATE_LIMIT)


# One bucket for pages and API alike: switching channel does not double the allowance.
comment_rate_limit = limiter.shared_limit(_comment_rate, scope="consultations-comment", key_func=poster_key)
