"""Loading objects for a user: one place that answers 404 for what the user may not see."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from deliberation.accounts.models import Community, User
from deliberation.errors import Forbidden, NotFound
from deliberation.extensions import db, limiter


def community_or_404(community_id: int, user: User, *, moderate: bool = False) -> Community:
    """The community if the user belongs to it (404 otherwise); with moderate, 403 for residents."""
    community = db.session.get(Community, community_id)
    if community is None or not community.can_view(user):
        raise NotFound(_("找不到该居民区"))
    if moderate and not community.can_moderate(user):
        raise Forbidden(_("只有本居民区的主持人可以进行此操作"))
    return community


# -- rate-limit keys ---------------------------------------------------------------------------

def login_account_key() -> str:
    """Sign-in attempts are also counted per user name, whatever address they come from."""
    data = request.get_json(silent=True) if request.is_json else request.form
    name = str((data or {}).get("username") or "").strip()[:50]
    return "login-account:" + name if name else get_remote_address()


def invite_code_key() -> str:
    """Registration attempts are also counted per invite code, whatever address they come from."""
    from deliberation.accounts.services import normalise_invite_code

    code = normalise_invite_code(str(request.form.get("code") or ""))[:16]
    return "invite-code:" + code if code else get_remote_address()


# Failed sign-ins per user name, one bucket for the page and the API's token exchange (successes
# do not count): put `@login_account_limit` on both.
login_account_limit = limiter.shared_limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], scope="login-account", key_func=login_account_key,
    methods=["POST"], deduct_when=lambda response: response.status_code not in (200, 302))
