"""The browser's signed-in session: how it starts, how it ends, and how long it may last.

Each sign-in is a row of `sign_ins`; the session and remember-me cookies carry its key, and only the
key's hash is stored. Signing out ends the row, so a saved cookie replayed afterwards signs nobody in
(ASVS 3.3.1); "log out everywhere" and a password change end every row of the user (ASVS 3.3.3).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from datetime import datetime

from flask import current_app, request, session
from flask_login import login_user, logout_user
from sqlalchemy import Select, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from deliberation.accounts.models import SignIn, User
from deliberation.db import utcnow, written_apart
from deliberation.extensions import db

# Display choices a browser keeps across signing in and out (language, 关怀版).
DISPLAY_CHOICES = ("lang", "care")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User, remember: bool = False) -> None:
    """A signed-in session starts afresh (no session fixation), keeping only display choices.

    The sign-in is added to the request's database session: the caller commits it."""
    keep = {k: session[k] for k in DISPLAY_CHOICES if k in session}
    session.clear()
    session.update(keep)
    user.sign_in_key = secrets.token_urlsafe(32)
    oldest = utcnow() - current_app.config["SESSION_ABSOLUTE_LIFETIME"]
    db.session.execute(delete(SignIn).where(
        SignIn.user_id == user.id, or_(SignIn.ended_at.is_not(None), SignIn.created_at < oldest)))
    db.session.add(SignIn(user_id=user.id, key_hash=_digest(user.sign_in_key)))
    login_user(user, remember=remember)
    session["signed_in_at"] = session["seen_at"] = int(time.time())


def end(keep: tuple[str, ...] = DISPLAY_CHOICES) -> None:
    """Sign the browser out, on the server too; only the display choices in `keep` stay, the
    remember cookie goes. Commits the end of the sign-in on its own (it may run on a read-only page)."""
    key = session.get("_user_id")
    kept = {k: session[k] for k in keep if k in session}
    session.clear()
    logout_user()  # after clear(): it marks the remember cookie for deletion in the session
    session.update(kept)
    if key:
        with written_apart(db.session):
            db.session.execute(update(SignIn).where(SignIn.key_hash == _digest(key), SignIn.ended_at.is_(None))
                               .values(ended_at=utcnow()))


def end_all(dbsession: Session, user: User, now: datetime | None = None) -> None:
    """End every sign-in of the user (log out everywhere, a password change); the caller commits."""
    dbsession.execute(update(SignIn).where(SignIn.user_id == user.id, SignIn.ended_at.is_(None))
                      .values(ended_at=now or utcnow()))


@functools.cache
def _user_of_sign_in() -> Select:
    """The statement user_for_key runs on every signed-in request, built once (building it cost as much
    as running it)."""
    return (select(User).join(SignIn, SignIn.user_id == User.id)
            .where(SignIn.key_hash == bindparam("key_hash"), SignIn.ended_at.is_(None),
                   SignIn.created_at >= bindparam("oldest"))
            .options(joinedload(User.memberships)))


def user_for_key(key: str) -> User | None:
    """Flask-Login's loader: the user of a sign-in that has not ended and is not older than
    SESSION_ABSOLUTE_LIFETIME, with their memberships, in one statement."""
    oldest = utcnow() - current_app.config["SESSION_ABSOLUTE_LIFETIME"]
    user = db.session.execute(_user_of_sign_in(), {"key_hash": _digest(key), "oldest": oldest}).unique().scalar()
    if user is not None:
        user.sign_in_key = key
    return user


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
