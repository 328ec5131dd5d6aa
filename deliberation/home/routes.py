"""The home page: the invitation to sign in, or for a signed-in user the front door (待我参与)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from deliberation.booking.blueprint import STATUS as BOOKING_STATUS
from deliberation.db import utcnow
from deliberation.extensions import db
from deliberation.home import frontdoor
from deliberation.home.deadlines import days_left, deadline_words, waited_words

bp = Blueprint("home", __name__)


@bp.app_context_processor
def _deadline_helpers():
    return {"deadline_words": deadline_words, "waited_words": waited_words, "days_left": days_left}


@bp.get("/")
def index():
    """Home: what waits for the signed-in user and what needs them as a moderator; else the welcome."""
    if not current_user.is_authenticated:
        return render_template("accounts/welcome.html")
    now = utcnow()
    communities = frontdoor.communities_of(db.session, current_user)
    frontdoor.bring_up_to_date(db.session, current_user, communities, now)
    return render_template(
        "home/index.html", now=now, communities=communities, booking_status=BOOKING_STATUS,
        door=frontdoor.resident_door(db.session, current_user, communities, now),
        desk=frontdoor.moderator_desk(db.session, current_user, communities, now),
    )
