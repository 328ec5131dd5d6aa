"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from werkzeug.exceptions import Unauthorized

from deliberation.accounts.services import user_for_api_token
from deliberation.extensions import db

# The OpenAPI security requirement of every endpoint behind `token_required`.
BEARER = [{"bearerAuth": []}]


def bearer_user():
    """The user of the request's bearer token, or None. Session cookies never count here."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        token = token.strip()
        g.api_user = user_for_api_token(db.session, token) if scheme.lower() == "bearer" and token else None
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
