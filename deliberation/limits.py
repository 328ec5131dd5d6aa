"""Rate limits per user (or per address when signed out), shared by the pages and the API, and the
limits on signing in and registering per user name and per invite code.

Counters live in Redis where REDIS_URL is set, so every process sees the same counts. Each limit
reads its rate from the app's config when a request comes in, e.g. COMMENT_RATE_LIMIT.
"""

from __future__ import annotations

import time
from functools import lru_cache

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many
from limits.strategies import FixedWindowRateLimiter

from deliberation.extensions import limiter


def user_key() -> str:
    """The user's id, so a household sharing one address is not limited as one person."""
    from deliberation.api.auth import bearer_user

    user = bearer_user() if request.path.startswith("/api/") else current_user
    if user is not None and user.is_authenticated:
        return f"user:{user.id}"
    return get_remote_address()


def configured(config_key: str, default: str | None = None):
    """The rate named by a setting, read when a request comes in (tests and deployments change it)."""
    return lambda: current_app.config.get(config_key, default)


def per_user(scope: str, config_key: str, default: str, methods: list[str] | None = None):
    """A decorator limiting a view by user; one bucket per scope for pages and API alike.

    `methods` limits only those methods (e.g. POST), so a page that shows a form and takes it
    counts only what is sent.
    """
    return limiter.shared_limit(configured(config_key, default), scope=scope, key_func=user_key, methods=methods,
                                exempt_when=lambda: scope in request.environ.get(COUNTED, ()))


# Every per-user limit, each one bucket for the pages and the API alike (switching channel does not
# double the allowance). The rates can be set from the environment (config.OPTIONAL_SETTINGS).
comment_limit = per_user("consultations-comment", "COMMENT_RATE_LIMIT", "10 per minute")
ballot_limit = per_user("voting-ballot", "BALLOT_RATE_LIMIT", "30 per minute")
booking_limit = per_user("booking-create", "BOOKING_RATE_LIMIT", "30 per hour", methods=["POST"])
# Autosave sends at most one request per pause in typing: a generous allowance, still a ceiling.
survey_save_limit = per_user("surveys-save", "SURVEY_SAVE_RATE_LIMIT", "120 per minute")


COUNTED = "deliberation.rate_counted"  # the scopes `count` has counted for the request, in its WSGI environ


@lru_cache(maxsize=64)
def _items(rate: str) -> tuple:
    return tuple(sorted(parse_many(rate)))


def count(scope: str, config_key: str, default: str, user_id: int) -> dict[str, str] | None:
    """One request of the user counted against the per_user limit `scope` as its decorator counts it (the same
    key and counters: the pages, the API and this share one bucket), without Flask-Limiter's per-request
    machinery, and without a request (the ordinary ballot below Flask: api.short_way). The rate-limit headers
    the decorator would give (none when they are off) when within the limit; None when a limit is reached."""
    if not limiter.enabled:
        return {}
    config = current_app.config
    strategy = limiter.limiter
    prefix = getattr(limiter, "_key_prefix", "") or ""  # the decorator's own (RATELIMIT_KEY_PREFIX as bound)
    identifiers = (prefix, f"user:{user_id}", scope) if prefix else (f"user:{user_id}", scope)
    items = _items(config.get(config_key, default))
    fixed = isinstance(strategy, FixedWindowRateLimiter)
    # The file store (limit_store) gives the window's end with the count: no second read for the headers.
    with_expiry = getattr(strategy.storage, "incr_with_expiry", None) if fixed else None
    remaining, reset = 0, None
    for n, item in enumerate(items):
        if fixed:  # the default strategy: the count comes back with the hit, no second read
            key = item.key_for(*identifiers)
            if with_expiry is not None:
                hits, expires = with_expiry(key, item.get_expiry(), amount=1)
                reset = expires if n == 0 else reset
            else:
                hits = strategy.storage.incr(key, item.get_expiry(), amount=1)
            if hits > item.amount:
                return None
            remaining = item.amount - hits if n == 0 else remaining
        elif not strategy.hit(item, *identifiers):
            return None
    if not (config.get("RATELIMIT_HEADERS_ENABLED") and items):
        return {}
    first = items[0]
    if fixed:
        if reset is None:
            reset = strategy.storage.get_expiry(first.key_for(*identifiers))
    else:
        stats = strategy.get_window_stats(first, *identifiers)
        reset, remaining = stats.reset_time, stats.remaining
    reset_at = int(reset + 1)  # as Flask-Limiter's RateLimit.reset_at gives it
    return {"X-RateLimit-Limit": str(first.amount), "X-RateLimit-Remaining": str(max(0, remaining)),
            "X-RateLimit-Reset": str(reset_at), "Retry-After": str(int(reset_at - time.time()))}


BALLOT_SCOPE = "voting-ballot"


def ballot_count(user_id: int) -> dict[str, str] | None:
    """A ballot counted as `ballot_limit` counts it, by `count` (the ordinary ballot of the API)."""
    return count(BALLOT_SCOPE, "BALLOT_RATE_LIMIT", "30 per minute", user_id)


# -- signing in and registering -----------------------------------------------------------------

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
    configured("LOGIN_ACCOUNT_RATE_LIMIT"), scope="login-account", key_func=login_account_key,
    methods=["POST"], deduct_when=lambda response: response.status_code not in (200, 302))
