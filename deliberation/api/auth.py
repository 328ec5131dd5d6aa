"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import g, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Unauthorized

from deliberation.extensions import db

# The OpenAPI security requirement of every endpoint behind `token_required`.
BEARER = [{"bearerAuth": []}]


def user_for_token(plain: str):
    """The active user of an unexpired token with their memberships, in one statement (every API
    request pays for it): the token, the user and the roles joined."""
    from deliberation.accounts.models import ApiToken, User
    from deliberation.db import utcnow

    user = db.session.execute(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hashlib.sha256(plain.encode()).hexdigest(), ApiToken.expires_at > utcnow())
        .options(joinedload(User.memberships))
    ).unique().scalar()
    return user if user is not None and user.is_active else None


def bearer_user():
    """The user of the request's bearer token, or None. Session cookies never count here."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        g.api_user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    return g.api_user


def token_required(view):
    """401 unless the request carries a valid bearer token; the user is then `g.api_user`.

    The endpoint's OpenAPI entry says so too (security: bearerAuth), so the two cannot drift apart.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        if bearer_user() is None:
            raise Unauthorized(_("请提供有效的访问令牌"))
        return view(*args, **kwargs)

    return Blueprint.doc(security=BEARER)(wrapper)
