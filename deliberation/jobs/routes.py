"""Pages: a community's 消息发送记录 (what was sent and what failed) and trying a failed one again."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from deliberation.accounts.access import community_or_404
from deliberation.accounts.forms import EmptyForm
from deliberation.errors import DomainError
from deliberation.extensions import db
from deliberation.jobs import records
from deliberation.jobs.models import DeliveryStatus
from deliberation.pagination import paginate

bp = Blueprint("jobs", __name__)


@bp.get("/communities/<int:community_id>/deliveries")
@login_required
def deliveries(community_id: int):
    """The deliveries to the community's members, newest first, by state (moderators)."""
    community = community_or_404(community_id, current_user, moderate=True)
    try:
        status = DeliveryStatus(request.args.get("status", ""))
    except ValueError:
        status = None
    if status not in records.SHOWN:
        status = None
    page = paginate(db.session, records.deliveries_of(community, status), per_page=30)
    return render_template("jobs/deliveries.html", community=community, page=page, status=status,
                           statuses=records.SHOWN, form=EmptyForm())


@bp.post("/communities/<int:community_id>/deliveries/<int:delivery_id>/retry")
@login_required
def retry(community_id: int, delivery_id: int):
    """Send a failed delivery again."""
    community = community_or_404(community_id, current_user, moderate=True)
    delivery = records.delivery_or_404(db.session, community, delivery_id)
    target = url_for(".deliveries", community_id=community.id)
    if not EmptyForm().validate_on_submit():
        flash(_("请求有误，请重试"), "error")
        return redirect(target)
    try:
        records.retry(db.session, current_user, community, delivery)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(target)
    db.session.commit()
    flash(_("已重新排队发送"))
    return redirect(target)
