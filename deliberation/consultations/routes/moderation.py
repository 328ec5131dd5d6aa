"""The moderation queue of a community and its blocked words."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from deliberation.accounts.access import community_or_404
from deliberation.accounts.forms import EmptyForm
from deliberation.consultations import moderation as moderation_ops
from deliberation.consultations.forms import (
    BlockedWordForm,
    ReasonForm,
)
from deliberation.consultations.routes.blueprint import bp
from deliberation.errors import DomainError
from deliberation.extensions import db
from deliberation.forms import error_summary, show_errors
from deliberation.pagination import page_number


def render_moderation(community, status: int = 200, word_form: BlockedWordForm | None = None):
    """The moderation page; a blocked word refused is shown again in its form, with why."""
    page = moderation_ops.moderation_queue(db.session, current_user, community, page=page_number())
    reports = moderation_ops.reports_of(db.session, [comment.id for comment, _count in page.items])
    words = moderation_ops.blocked_word_rows(db.session, community)
    return render_template(
        "consultations/moderation.html",
        community=community,
        page=page,
        reports=reports,
        words=words,
        word_form=word_form or BlockedWordForm(formdata=None),
        reason_form=ReasonForm(formdata=None),
        empty_form=EmptyForm(),
    ), status


@bp.get("/communities/<int:community_id>/moderation")
@login_required
def moderation(community_id: int):
    """The moderation queue: pending and reported comments; and the blocked words."""
    return render_moderation(community_or_404(community_id, current_user, moderate=True))


@bp.post("/communities/<int:community_id>/blocked-words")
@login_required
def add_blocked_word(community_id: int):
    """Add a blocked word (moderators); one refused (empty, too long, already listed) is shown again as typed."""
    community = community_or_404(community_id, current_user, moderate=True)
    form = BlockedWordForm()
    if not form.validate_on_submit():
        flash(error_summary(form) or _("请填写屏蔽词"), "error")
        return render_moderation(community, 422, word_form=form)
    try:
        moderation_ops.add_blocked_word(db.session, current_user, community, form.word.data)
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return render_moderation(community, error.status, word_form=form)
    db.session.commit()
    flash(_("已添加屏蔽词"))
    return redirect(url_for(".moderation", community_id=community.id) + "#words")


@bp.post("/communities/<int:community_id>/blocked-words/<int:word_id>/delete")
@login_required
def remove_blocked_word(community_id: int, word_id: int):
    """Remove a blocked word (moderators)."""
    community = community_or_404(community_id, current_user, moderate=True)
    if EmptyForm().validate_on_submit():
        moderation_ops.remove_blocked_word(db.session, current_user, community, word_id)
        db.session.commit()
        flash(_("已删除屏蔽词"))
    return redirect(url_for(".moderation", community_id=community.id) + "#words")


