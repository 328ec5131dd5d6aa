"""The browser's signed-in session: how it starts, how it ends, and how long it may last."""

from __future__ import annotations

import time

from flask import current_app, request, session
from flask_login import login_user, logout_user

from deliberation.accounts.models import User

# Display choices a browser keeps across signing in and out (language, 关怀版).
DISPLAY_CHOICES = ("lang", "care")


def start(user: User, remember: bool = False) -> None:
    """A signed-in session starts afresh (no session fixation), keeping only display choices."""
    keep = {k: session[k] for k in DISPLAY_CHOICES if k in session}
    session.clear()
    session.update(keep)
    login_user(user, remember=remember)
    session["signed_in_at"] = session["seen_at"] = int(time.time())


def end(keep: tuple[str, ...] = DISPLAY_CHOICES) -> None:
    """Sign the browser out; only the display choices in `keep` stay, the remember cookie goes."""
    kept = {k: session[k] for k in keep if k in session}
    session.clear()
    logout_user()  # after clear(): it marks the remember cookie for deletion in the session
    session.update(kept)


def enforce_lifetimes() -> None:
    """Before each page request: end a signed-in session idle for longer than SESSION_IDLE_TIMEOUT,
    or older than SESSION_ABSOLUTE_LIFETIME since the password was typed."""
    if request.endpoint == "static" or request.path.startswith("/api/") or "_user_id" not in session:
        return
    now = int(time.time())
    started = session.setdefault("signed_in_at", now)
    seen = session.get("seen_at", now)
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds()
    if now - seen > idle or now - started > absolute:
        end()
        return
    if now - seen >= 60 or "seen_at" not in session:
        session["seen_at"] = now
