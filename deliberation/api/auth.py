"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from werkzeug.exceptions import Unauthorized

from deliberation.accounts import services
from deliberation.db import write_intent, written_apart
from deliberation.extensions import db

# The OpenAPI security requirement of every endpoint behind `token_required`.
BEARER = [{"bearerAuth": []}]


def bearer_user():
    """The user of the request's bearer token, or None. Session cookies never count here."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        token = token.strip()
        found = services.api_token_user(db.session, token) if scheme.lower() == "bearer" and token else None
        g.api_user = found[0] if found else None
        if found and services.api_token_used(found[1]):
            _record_use(found[1].id)
    return g.api_user


def _record_use(token_id: int) -> None:
    """Write down the token's last use: in the request's own transaction when it writes anyway, else
    in a short one of its own (a read-only request)."""
    if write_intent.get():
        services.record_api_token_use(db.session, token_id)
        return
    with written_apart(db.session):
        services.record_api_token_use(db.session, token_id)


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
