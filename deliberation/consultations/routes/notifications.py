"""The user's notifications."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from deliberation.accounts.forms import EmptyForm
from deliberation.consultations import notifications as notification_ops
from deliberation.consultations.routes.blueprint import bp
from deliberation.extensions import db
from deliberation.pagination import page_number


@bp.get("/notifications")
@login_required
def notifications():
    """The user's notifications, newest first."""
    page = notification_ops.notifications_of(db.session, current_user, page=page_number())
    return render_template(
        "consultations/notifications.html",
        page=page,
        empty_form=EmptyForm(),
        unread=notification_ops.unread_count(db.session, current_user),
    )


@bp.post("/notifications/read")
@login_required
def read_notifications():
    """Mark every notification read."""
    if EmptyForm().validate_on_submit():
        notification_ops.mark_notifications_read(db.session, current_user)
        db.session.commit()
    return redirect(url_for(".notifications"))
